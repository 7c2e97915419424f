"""The bounded YAML reader: scalar typing, positions, documents, and hostile input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.config import yamlio
from reconciler.config.yamlio import (
    MAX_DEPTH,
    MAX_NODES,
    LazySpans,
    YamlProblem,
    read_documents,
    read_exact,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v: plain", "plain"),
        ("v: 'true'", "true"),
        ("v: true", True),
        ("v: false", False),
        ("v: False", "False"),  # booleans strictly as YAML 1.2 writes them: true/false only
        ("v: TRUE", "TRUE"),
        ("v: no", "no"),  # YAML 1.2: not a boolean
        ("v: on", "on"),
        ("v: ~", None),
        ("v:", None),
        ("v: 12", 12),
        ("v: -3", -3),
        ("v: 0x1f", 31),
        ("v: 0o17", 15),
        ("v: 010", 10),  # YAML 1.2: not octal
        ("v: 1.8", 1.8),
        ("v: 1.8.1", "1.8.1"),
        ("v: 1e3", 1000.0),
        ("v: .inf", float("inf")),
        ("v: 2024-01-01", "2024-01-01"),  # no timestamps
        ('v: "12"', "12"),
        ("v: |\n  two\n  lines\n", "two\nlines\n"),
    ],
)
def test_scalars_follow_yaml_1_2_core(text: str, expected: Any) -> None:
    assert read_documents(text)[0].data == {"v": expected}


@pytest.mark.parametrize("version", ["1.1"])  # libyaml itself refuses other majors
def test_a_yaml_directive_other_than_1_2_is_refused(version: str) -> None:
    with pytest.raises(YamlProblem) as caught:
        read_documents(f"a: 1\n---\n%YAML {version}\n---\nb: yes\n")
    assert (caught.value.line, caught.value.column) == (2, 0)
    assert f"%YAML {version} directive" in caught.value.message


def test_a_yaml_1_2_directive_is_accepted() -> None:
    assert read_documents("%YAML 1.2\n---\nb: true\n")[0].data == {"b": True}


def test_positions_of_keys_and_values() -> None:
    doc = read_documents("a: 1\nb:\n  - x\n  - {c: d}\n")[0]
    assert doc.spans[("a",)] == (0, 0, 0, 3)
    assert doc.spans[("b",)] == (1, 0, 1, 0)  # container: its key
    assert doc.spans[("b", 0)] == (2, 4, 2, 4)
    assert doc.spans[("b", 1, "c")] == (3, 5, 3, 8)


def test_empty_documents_are_skipped() -> None:
    docs = read_documents("# only a comment\n---\n---\na: 1\n---\n")
    assert [d.data for d in docs] == [{"a": 1}]
    assert (docs[0].line, docs[0].column) == (3, 0)


def test_duplicate_keys_are_reported_and_the_first_value_kept() -> None:
    doc = read_documents("a: 1\nb:\n  c: 2\na: {x: 1}\n")[0]
    assert doc.data == {"a": 1, "b": {"c": 2}}
    assert doc.problems == [(3, 0, "duplicate key 'a' (first at line 1)")]


def _refusal(text: str) -> YamlProblem:
    with pytest.raises(YamlProblem) as caught:
        read_documents(text)
    return caught.value


def test_alias_bomb_is_refused_at_the_first_anchor() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    problem = _refusal(bomb)
    assert (problem.line, problem.column) == (0, 3)
    assert "anchors and aliases are not allowed" in problem.message


def test_alias_is_refused_even_without_its_anchor() -> None:
    problem = _refusal("a: *nowhere\n")
    assert problem.message == (
        "YAML anchors and aliases are not allowed (found alias '*nowhere'); write each value out"
    )


def test_deep_nesting_is_refused_at_the_limit() -> None:
    problem = _refusal("v: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert problem.message == f"YAML nested deeper than {MAX_DEPTH} levels"
    # The document's own mapping is the first level.
    assert problem.column == 3 + MAX_DEPTH - 1


def test_node_count_is_bounded() -> None:
    # About 400 KB: under the file size cap, over the node cap.
    problem = _refusal("[" + "0," * (MAX_NODES + 10) + "0]\n")
    assert (
        problem.message == f"file has more than {MAX_NODES} YAML nodes; split it into smaller files"
    )
    # Refused at the node past the cap: nothing beyond it was built.
    assert problem.column == 1 + 2 * (MAX_NODES - 1)


def test_node_budget_is_per_file_not_per_document() -> None:
    one = "- " + "\n- ".join(["0"] * 1000) + "\n"
    with pytest.raises(YamlProblem):
        read_documents("---\n".join([one] * (MAX_NODES // 1000 + 1)))


@pytest.mark.parametrize("text", ["v: !!str 1\n", "v: !secret abc\n", "--- !Region\nname: x\n"])
def test_tags_are_refused(text: str) -> None:
    assert "YAML tags are not allowed" in _refusal(text).message


def test_parser_errors_never_quote_the_line() -> None:
    problem = _refusal("password: 'hunter2\n")
    assert "hunter2" not in problem.message


# --------------------------------------------------------------------------- the two readers

CORPUS = sorted(
    p
    for root in ("tests/config/broken", "examples")
    for p in (Path(__file__).parents[2] / root).rglob("*.y*ml")
    if p.is_file()
)


def _exact_view(docs: list[Any]) -> list[tuple[Any, int, int, dict[Any, Any], list[Any]]]:
    return [(d.data, d.line, d.column, dict(d.spans), d.problems) for d in docs]


def _outcome(read: Any, text: str) -> Any:
    try:
        return _exact_view(read(text))
    except YamlProblem as problem:
        return (problem.line, problem.column, problem.message)


def test_the_fast_reader_agrees_with_the_exact_one_on_every_corpus_file() -> None:
    fast = 0
    for path in CORPUS:
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            continue
        docs = _outcome(read_documents, text)
        assert docs == _outcome(read_exact, text), path
        fast += yamlio._fast_can_take(text) and yamlio._read_fast(text) is not None
    assert fast >= 50  # the comparison is of two readers, not of one with itself


def test_a_plain_file_is_read_fast_and_its_spans_only_when_asked() -> None:
    docs = read_documents("a: 1\nb:\n  - x\n---\nc: {d: e}\n")
    assert isinstance(docs[0].spans, LazySpans)
    assert docs[1].spans._spans is None  # type: ignore[attr-defined]
    assert docs[1].spans[("c", "d")] == (4, 4, 4, 7)
    assert docs[0].spans[("b", 0)] == (2, 4, 2, 4)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # duplicate key: the exact reader reports it
        "? [a]\n: 1\n",  # a key that is not a scalar
        "a: 'unterminated\n",  # a parse error
        "url: &x https://x.example/\n",  # an anchor: the exact reader refuses it
        "v: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n",  # near the depth limit
        "- 0\n" * (MAX_NODES // 2),  # could hold more nodes than the limit
    ],
)
def test_the_fast_reader_hands_over_what_the_exact_one_must_report(text: str) -> None:
    assert not yamlio._fast_can_take(text) or yamlio._read_fast(text) is None
    assert _outcome(read_documents, text) == _outcome(read_exact, text)


@pytest.mark.parametrize(
    "text",
    [
        'stream: "*"\nfields: ["*ssn*", \'&x\', "!t"]\n',  # quoted, as the example writes them
        "url: https://x.example/?a=1&b=2\nshare: 50%\nnote: a*b!\n",  # inside plain scalars
        "# AIRBYTE_* variables, &anchors, !tags and %directives in comments\na: 1 # *x &y\n",
        "a: |\n  block *text* & !more\n  # not a comment: content\n# *after the block\nb: 2\n",
        'a: "two\n  lines * &"\nb: [x, "y #*"] # *z\n',
        "k: v\n---\n# *second document\nk: w\n",
        "a: b#c &x d\n",  # one plain scalar: '#' after a character starts no comment
    ],
)
def test_property_characters_inside_scalars_and_comments_are_read_fast(text: str) -> None:
    assert all(isinstance(doc.spans, LazySpans) for doc in read_documents(text))
    assert _outcome(read_documents, text) == _outcome(read_exact, text)


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",  # anchor and alias
        "a: &x 1\n",  # an anchor alone
        'a: &x "quoted"\n',  # an anchor before a quoted scalar
        "a: !t x\n",  # a tag
        "a: ! x\n",  # the non-specific tag
        "a: !!str 1\n",
        "a: &m {b: 1}\n",  # an anchor on a collection
        "- &s [1]\n- *s\n",
        "%YAML 1.1\n---\na: 1\n",  # a directive
        "# c\r%YAML 1.1\n---\na: 1\n",  # a lone CR ends the comment's line (libyaml's break)
        "# c\x85%YAML 1.1\n---\na: 1\n",  # so does NEL
        'a: "x" # c\nb: &y 2\n',  # a comment on another line covers nothing here
        "a: &x\n  b: 1\nc: *x\n",
    ],
)
def test_an_anchor_alias_tag_or_directive_sends_the_file_to_the_exact_reader(text: str) -> None:
    assert yamlio._read_fast(text) is None
    assert _outcome(read_documents, text) == _outcome(read_exact, text)
