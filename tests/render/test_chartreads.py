"""The template reader follows ``.Values`` the way Helm evaluates it: through rendered files,
``include`` into defines, ``with`` and ``range`` scoping, variables, ``dict``/``list``
arguments. Small synthetic charts, one rule each; the real charts are test_chartkeys.py."""

from __future__ import annotations

import pytest

from reconciler.render.chartkeys import derive
from reconciler.render.chartreads import scan
from reconciler.render.gotemplate import TemplateSyntaxError


def _reads(**templates: str) -> tuple[set[str], dict[str, set[str]]]:
    files = {
        f"templates/{name.replace('__', '/').replace('_yaml', '.yaml')}": text
        for name, text in templates.items()
    }
    reads = scan(files)
    return {".".join(p) for p in reads.read}, {".".join(p): u for p, u in reads.uses.items()}


def test_field_chains_and_the_root_variable() -> None:
    read, uses = _reads(a_yaml="x: {{ .Values.a.b | quote }}\ny: {{ $.Values.c }}")
    assert read == {"a", "a.b", "c"}
    assert uses == {"a.b": {"quote"}, "c": {"output"}}


def test_with_scopes_the_dot_and_else_keeps_it() -> None:
    read, uses = _reads(
        a_yaml="{{ with .Values.pod }}{{ .name }}{{ toYaml .labels }}"
        "{{ else }}{{ .Values.z }}{{ end }}"
    )
    assert read == {"pod", "pod.name", "pod.labels", "z"}
    assert "pod" not in uses  # only tested: a map
    assert uses["pod.labels"] == {"toYaml"}


def test_variables_bound_to_values() -> None:
    read, uses = _reads(a_yaml='{{ $v := .Values.java }}{{ join " " $v.opts }}{{ $v.x }}')
    assert read == {"java", "java.opts", "java.x"}
    assert uses["java.opts"] == {"join"}


def test_a_reassigned_variable_counts_its_earlier_value_as_used_whole() -> None:
    read, uses = _reads(
        a_yaml="{{ $x := .Values.a }}{{ if .Values.c }}{{ $x = .Values.b }}{{ end }}{{ $x.f }}"
    )
    assert read == {"a", "b", "b.f", "c"}
    assert uses == {"a": {"reassigned"}, "b.f": {"output"}}


def test_range_uses_the_value_whole() -> None:
    read, uses = _reads(a_yaml="{{ range $k, $v := .Values.tags }}{{ $k }}={{ $v.deep }}{{ end }}")
    assert read == {"tags"}
    assert uses == {"tags": {"range"}}


def test_include_follows_the_argument_into_the_define() -> None:
    read, uses = _reads(
        _helpers_tpl='{{- define "h" -}}{{ .inner.name }}{{ index .list 0 }}{{- end -}}'
        '{{- define "img" -}}{{ $i := index . 0 }}{{ $r := index . 1 }}'
        "{{ $i.tag }}{{ $r.Values.reg }}{{- end -}}",
        a_yaml='{{ include "h" (dict "inner" .Values.sa "list" .Values.l) }}'
        '{{ include "img" (list .Values.image $) }}',
    )
    assert read == {"sa", "sa.name", "l", "image", "image.tag", "reg"}
    assert uses["l"] == {"index"}


def test_defines_no_rendered_file_reaches_read_nothing() -> None:
    read, _ = _reads(
        _helpers_tpl='{{ define "used" }}{{ .Values.used }}{{ end }}'
        '{{ define "dead" }}{{ .Values.dead }}{{ end }}',
        a_yaml='{{ include "used" . }}',
        config___partial_tpl="{{ .Values.partial }}",  # partials render nothing
    )
    assert read == {"used"}


def test_else_if_chains_and_comments_and_strings_with_braces() -> None:
    read, _ = _reads(
        a_yaml="{{/* {{ .Values.commented }} */}}"
        '{{- if .Values.a }}1{{- else if eq .Values.b "}}" }}2{{ else }}{{ .Values.c }}{{ end }}'
        "{{ .Values.d }}"
    )
    assert read == {"a", "b", "c", "d"}


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("{{ if .Values.a }}", "templates/a.yaml:1: if never ends"),
        ("x\n{{ end }}", "templates/a.yaml:2: 'end' without a block"),
        ("{{ .Values.a ~ }}", "templates/a.yaml:1: cannot read '~'"),
        ("{{ toYaml .Values }}", "the chart uses .Values whole"),
    ],
)
def test_what_the_reader_cannot_follow_is_an_error(text: str, where: str) -> None:
    with pytest.raises(TemplateSyntaxError, match=where):
        scan({"templates/a.yaml": text})


def test_derive_types_and_unread_keys() -> None:
    document = derive(
        {
            "Chart.yaml": "name: c\nversion: 9.9.9\n",
            "values.yaml": "replicaCount: 1\nlauncher:\n  replicaCount: 1\n  resources: {}\n"
            "  probe: {path: /x}\nmetrics:\n  otel: {endpoint: ''}\n",
            "templates/d.yaml": "r: {{ .Values.launcher.replicaCount }}\n"
            "{{ toYaml .Values.launcher.resources }}{{ toYaml .Values.launcher.probe }}"
            "{{ range .Values.tags }}{{ end }}{{ toYaml .Values.extra }}{{ .Values.name }}",
            "templates/s.yaml": "kind: Secret\nx: {{ .Values.launcher.password }}\n",
        }
    )
    assert document["version"] == "9.9.9"
    assert document["keys"] == {
        "extra": {"type": "map"},
        "launcher.password": {"type": "scalar", "sensitive": True},
        "launcher.probe": {"type": "map"},
        "launcher.replicaCount": {"type": "integer"},
        "launcher.resources": {"type": "map"},
        "name": {"type": "scalar"},
        "tags": {"type": "list"},
    }
    assert document["unread"] == {
        "metrics.otel.endpoint": {},
        "replicaCount": {},  # the redirect's target is not a key of this chart
    }
