"""README.md for a rendered folder: what the cluster's operator applies, in what order.

Deterministic text (no dates, no absolute paths); pure.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.config.desired import DesiredState, dataplane_key
from reconciler.config.models import DataPlane, GitOpsEngine, SinkType
from reconciler.render.chartversions import chart_repository
from reconciler.render.names import CHART_NAME, folder_name
from reconciler.render.secretspec import SecretSpec, external_source


def readme(
    desired: DesiredState,
    dataplane: DataPlane,
    spec: SecretSpec,
    files: list[str],
    *,
    warnings: Sequence[str] = (),
    namespace_from: DataPlane | None = None,
) -> str:
    """``namespace_from``: the data plane whose folder renders the shared Namespace."""
    cluster = dataplane.cluster
    repository = chart_repository(desired, dataplane)
    ctx = f"kubectl --context {cluster.kube_context}"
    lines = [
        f"# Data plane {dataplane_key(dataplane)}",
        "",
        f"Rendered by `flexctl render` from the DataPlane document `{dataplane_key(dataplane)}`. "
        "Do not edit these files: change the config repository and render again.",
        "",
        f"- chart: `{CHART_NAME}` {dataplane.chart_version} from {repository}",
        f"- release `{cluster.release_name}` in namespace `{cluster.namespace}`, "
        f"kube context `{cluster.kube_context}`",
        f"- credentials: Secret `{spec.name}` with keys {', '.join(f'`{k}`' for k in spec.keys)}",
        *_namespace_note(desired, dataplane, namespace_from),
        "",
        "Files: " + ", ".join(f"`{f}`" for f in files) + ". No file here holds a secret value. "
        "`kustomization.yaml` lists the manifests; `values.yaml` and this README are not "
        "manifests.",
        "",
        "## Apply, in this order",
        "",
        "1. **The Secret.** " + _secret_step(desired, dataplane, spec),
        "2. **The chart.** " + _chart_step(desired, dataplane),
        f"3. **Check.** `{ctx} -n {cluster.namespace} get pods` shows the workload launcher "
        "Running, and `flexctl verify` reports the data plane's credentials as working.",
        "",
    ]
    if warnings:
        lines += ["## Warnings", "", *(f"- {w}" for w in warnings), ""]
    return "\n".join(lines)


def _namespace_note(
    desired: DesiredState, dataplane: DataPlane, namespace_from: DataPlane | None
) -> list[str]:
    namespace = dataplane.cluster.namespace
    if namespace_from is not None:
        return [
            f"- namespace `{namespace}` is shared: its Namespace object is rendered in folder "
            f"`{folder_name(namespace_from)}` (DataPlane {dataplane_key(namespace_from)}), "
            "not here"
        ]
    others = [
        d
        for d in desired.dataplanes
        if d is not dataplane
        and d.cluster.namespace == namespace
        and d.cluster.kube_context.lower() == dataplane.cluster.kube_context.lower()
    ]
    if not others:
        return []
    names = ", ".join(sorted(dataplane_key(d) for d in others))
    return [
        f"- namespace `{namespace}` is shared with DataPlane {names}: this folder renders it, "
        "marked so that neither Flux nor Argo CD prunes it"
    ]


def _secret_step(desired: DesiredState, dataplane: DataPlane, spec: SecretSpec) -> str:
    external = external_source(desired, dataplane)
    sink = desired.credentials_for(dataplane)
    stem = folder_name(dataplane)
    pulled = [e for e in spec.entries if e.source != "empty"]
    empty = [e.key for e in spec.entries if e.source == "empty"]
    empty_note = (
        f" Keys {', '.join(f'`{k}`' for k in empty)} stay empty by design (ambient identity)."
        if empty
        else ""
    )
    if external is not None:
        where = ", ".join(f"`{e.key}`" for e in pulled)
        source = (
            f"`externalsecret.yaml` makes External Secrets Operator build it from "
            f"{external.store_kind} `{external.store_name}`, remote key `{external.key}`, one "
            f"property per key: {where}."
        )
        if external.store_note is not None:
            return (
                f"{source} `flexctl apply` writes them there ({sink.type.value} sink): nothing "
                f"to copy. The cluster needs {external.store_kind} `{external.store_name}` "
                f"using {external.store_note}, with read access to that key.{empty_note}"
            )
        return (
            f"{source} Store them there first (the data-plane client id and secret are in "
            f"flexctl's credential sink after `flexctl apply`).{empty_note}"
        )
    ctx = f"kubectl --context {dataplane.cluster.kube_context}"
    match sink.type:
        case SinkType.KUBERNETES:
            how = (
                "`flexctl apply` writes it into the cluster itself (kubernetes sink): "
                "nothing to do."
            )
        case SinkType.ENV_FILE:
            how = (
                "`flexctl apply` writes every key listed above (and `DATAPLANE_ID`) to "
                f"`{sink.path}` in its state directory (env-file sink). "
                f"Create the Secret from it: `{ctx} -n {dataplane.cluster.namespace} create "
                f"secret generic {spec.name} --from-env-file=<state-dir>/{sink.path}`."
            )
        case _:
            how = (
                f"`flexctl apply` writes it, complete, to `credentials/{stem}.yaml` in its "
                f"state directory (file sink, mode 0600, never in Git): `{ctx} apply -f "
                f"<state-dir>/credentials/{stem}.yaml`."
            )
    return f"Not in Git. {how}{empty_note}"


def _chart_step(desired: DesiredState, dataplane: DataPlane) -> str:
    cluster = dataplane.cluster
    gitops = desired.organization.gitops
    ctx = f"kubectl --context {cluster.kube_context}"
    match gitops.engine:
        case GitOpsEngine.FLUX:
            return (
                "Point a Flux `Kustomization` in the data plane's cluster at this folder (or "
                f"`{ctx} apply -k .`): it creates the namespace, the HelmRepository, the "
                f"values ConfigMap and the HelmRelease in `{gitops.namespace}`."
            )
        case GitOpsEngine.ARGOCD:
            return (
                f"`{ctx} apply -k .` (namespace and Secret source), then apply "
                f"`application.yaml` in Argo CD's cluster (namespace `{gitops.namespace}`); it "
                f"deploys to the cluster Argo CD knows as `{cluster.kube_context}`."
            )
        case _:
            return (
                f"`{ctx} apply -k .`, then `helm upgrade --install {cluster.release_name} "
                f"{CHART_NAME} --repo {chart_repository(desired, dataplane)} --version "
                f"{dataplane.chart_version} --kube-context {cluster.kube_context} --namespace "
                f"{cluster.namespace} -f values.yaml`."
            )
