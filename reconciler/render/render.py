"""``render_all``: desired state in, the files of every data plane's folder out.

Per data plane a folder ``<region>--<dataplane>`` holding values.yaml, the manifests
(Namespace, ExternalSecret, Flux or Argo CD objects, kustomization), a README and the
marker file that lets ``write_tree`` recognise and clean up its own folders. Every check
of every data plane runs before anything is returned; problems are raised together.
Pure and deterministic: same desired state, same bytes.
"""

from __future__ import annotations

from typing import Any

from reconciler.config.desired import DesiredState, dataplane_key
from reconciler.config.diagnostics import Diagnostic
from reconciler.config.models import DataPlane, GitOpsEngine
from reconciler.render import advice, chartversions, check, launcher, manifests
from reconciler.render import delivery as delivery_objects
from reconciler.render.delivery import GitDelivery
from reconciler.render.kube_schema import validate_manifest
from reconciler.render.names import folder_name
from reconciler.render.problems import RenderProblems, problem
from reconciler.render.readme import readme
from reconciler.render.secretspec import external_source, secret_spec
from reconciler.render.values import merged_values
from reconciler.render.yamlout import dump

MARKER_FILE = ".flexctl-rendered"
_MARKER_HEAD = "flexctl render output for DataPlane"


def render_all(
    desired: DesiredState,
    *,
    delivery: GitDelivery | None = None,
    check_manifests: bool = True,
    texts: bool = True,
) -> dict[str, str]:
    """Relative path -> file text for every data plane. Raises ``RenderProblems``.

    With ``delivery`` (the folders are committed to a Git branch), the Flux / Argo CD objects
    of each folder read the folder from that branch (``render.delivery``). Without
    ``check_manifests`` the Kubernetes schema check of the generated objects is skipped (it
    needs jsonschema and the schemas; ``validate`` and ``plan`` run without it). Without
    ``texts`` every check runs but no file is written out (``{}``: the preflight's way; the
    YAML dumps were most of its cost)."""
    files: dict[str, str] = {}
    problems: list[Diagnostic] = []
    seen: dict[str, DataPlane] = {}
    for dataplane in sorted(desired.dataplanes, key=lambda d: (d.region.lower(), d.name)):
        folder = folder_name(dataplane)
        clash = seen.get(folder.lower())
        if clash is not None:
            problems.append(
                problem(
                    desired,
                    dataplane,
                    ("name",),
                    f"renders into folder {folder!r}, like DataPlane {dataplane_key(clash)}",
                )
            )
            continue
        seen[folder.lower()] = dataplane
        rendered, found = render_dataplane(
            desired, dataplane, delivery=delivery, check_manifests=check_manifests, texts=texts
        )
        problems += found
        files |= {f"{folder}/{name}": text for name, text in rendered.items()}
    if problems:
        raise RenderProblems(problems)
    return files


def render_dataplane(
    desired: DesiredState,
    dataplane: DataPlane,
    *,
    delivery: GitDelivery | None = None,
    check_manifests: bool = True,
    texts: bool = True,
) -> tuple[dict[str, str], list[Diagnostic]]:
    """The files of one folder (names relative to it) and the problems found (without
    ``texts``, the problems only)."""
    problems = check.check_document(desired, dataplane)
    if problems:
        return {}, problems  # later checks need a supported chart and a storage
    line = chartversions.line_of(dataplane.chart_version)
    assert line is not None  # check_document refused it otherwise
    keys = line.keys
    spec = secret_spec(desired, dataplane)
    base, merged = merged_values(desired, dataplane, buckets=line.buckets)
    problems += check.check_overrides(desired, dataplane, keys)
    problems += check.check_merged(
        desired, dataplane, merged=merged, base=base, spec=spec, keys=keys
    )
    problems += launcher.check_launcher(
        desired, dataplane, merged=merged, storage=desired.storage_for(dataplane), spec=spec
    )

    external = external_source(desired, dataplane)
    # One Namespace object per namespace: two folders rendering it would fight over it, and
    # pruning either folder would delete the other's namespace (issue 13 item 10).
    sharers = manifests.namespace_sharers(desired, dataplane)
    objects: dict[str, dict[str, Any]] = {}
    if sharers[0] is dataplane:
        shared = len(sharers) > 1
        objects[manifests.NAMESPACE_FILE] = manifests.namespace(dataplane, shared=shared)
    if external is not None:
        objects[manifests.EXTERNAL_SECRET_FILE] = manifests.external_secret(spec, external)
    engine = desired.organization.gitops.engine
    folder = folder_name(dataplane)
    extra: tuple[str, ...] = ()
    if engine is GitOpsEngine.FLUX:
        objects[manifests.HELM_REPOSITORY_FILE] = manifests.helm_repository(desired, dataplane)
        objects[manifests.HELM_RELEASE_FILE] = manifests.helm_release(desired, dataplane)
        if delivery is not None:
            extra = (delivery_objects.GIT_REPOSITORY_FILE, delivery_objects.SYNC_FILE)
            objects[extra[0]] = delivery_objects.git_repository(desired, dataplane, delivery)
            objects[extra[1]] = delivery_objects.flux_sync(desired, dataplane, delivery, folder)
    elif engine is GitOpsEngine.ARGOCD:
        app = manifests.application(desired, dataplane, merged)
        if delivery is not None:
            app_spec = app["spec"]
            chart = app_spec.pop("source")
            app_spec["sources"] = delivery_objects.argo_sources(chart, delivery, folder)
            app["spec"] = dict(sorted(app_spec.items()))
        objects[manifests.APPLICATION_FILE] = app
    objects[manifests.KUSTOMIZATION_FILE] = manifests.kustomization(
        desired,
        dataplane,
        with_external_secret=external is not None,
        with_namespace=manifests.NAMESPACE_FILE in objects,
        extra=extra,
    )
    if check_manifests:
        for name, obj in objects.items():
            problems += [
                problem(desired, dataplane, (), f"rendered {name} is invalid: {message}")
                for message in validate_manifest(obj)
            ]
    if not texts:
        return {}, problems

    header = (
        f"Helm values for chart airbyte-data-plane {dataplane.chart_version}, "
        f"DataPlane {dataplane_key(dataplane)}.\n"
        "Rendered by flexctl: do not edit, change the config and run `flexctl render`."
    )
    notes = launcher.value_comments(merged)
    files = {manifests.VALUES_FILE: dump(merged, header=header, comments=notes)}
    inline = ("spec", "source", "helm", "valuesObject")  # Argo CD: the values inline
    files |= {
        name: dump(
            obj,
            header="Rendered by flexctl: do not edit.",
            comments={(*inline, *path): text for path, text in notes.items()},
        )
        for name, obj in objects.items()
    }
    names = sorted([*files, "README.md", MARKER_FILE])
    files["README.md"] = readme(
        desired,
        dataplane,
        spec,
        [n for n in names if n != MARKER_FILE],
        warnings=[w.message for w in advice.chart_warnings(desired, dataplane, merged)],
        namespace_from=None if sharers[0] is dataplane else sharers[0],
    )
    files[MARKER_FILE] = marker_text(dataplane_key(dataplane), names)
    return dict(sorted(files.items())), problems


def marker_text(key: str, names: list[str]) -> str:
    """The marker: says who owns the folder and lists the files flexctl wrote there."""
    head = (
        f"# {_MARKER_HEAD} {key}.\n"
        "# flexctl rewrites the files listed below on every render and removes them when the\n"
        "# data plane leaves the config; other files in this folder are left alone.\n"
    )
    return head + "".join(f"{name}\n" for name in sorted(names))


def marker_files(text: str) -> list[str] | None:
    """The files a marker lists, or None when ``text`` is not a flexctl marker."""
    if not text.startswith(f"# {_MARKER_HEAD} "):
        return None
    return [line for line in text.splitlines() if line and not line.startswith("#")]
