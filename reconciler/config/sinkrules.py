"""Cross-document rules about where data planes' credentials and GitOps objects land.

Two data planes must never share a sink target (a file, an env file, a Kubernetes Secret,
a secrets-manager secret after its template is filled in): the second write overwrites the
first one's one-time secret and both read back as stored. An env-file sink must not land on
flexctl's own state files. Part of ``config.validate.RULES``; same contract: pure, never
raises, positions from ``DocumentSource``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import TYPE_CHECKING

from reconciler.config.desired import KeyPath, dataplane_key
from reconciler.config.diagnostics import Diagnostic
from reconciler.config.documents import LoadedDocument
from reconciler.config.models import (
    CredentialSink,
    DataPlane,
    SinkType,
    dataplane_stem,
    fill_template,
)
from reconciler.statedir import user_path_problem

if TYPE_CHECKING:
    from reconciler.config.validate import Context


def _sink_target(
    dataplane: DataPlane, sink: CredentialSink
) -> tuple[list[tuple[str, str]], KeyPath]:
    """Where the sink writes, as comparable ``(what, where)`` pairs, and the key it is set at.

    Compared case-folded: Key Vault names and case-insensitive file systems fold case, and
    names flexctl derives differ in more than case anyway.
    """
    region, name = dataplane.region, dataplane.name
    stem = dataplane_stem(region, name)
    cluster = dataplane.cluster
    if sink.type is SinkType.ENV_FILE:
        assert sink.path is not None
        return [("file", posixpath.normpath(sink.path))], ("path",)
    if sink.type is SinkType.KUBERNETES:
        secret = f"{cluster.release_name}-credentials"
        return [
            ("file", f"credentials/{stem}.pending.yaml"),
            ("kubernetes Secret", f"{cluster.kube_context} {cluster.namespace}/{secret}"),
        ], ("type",)
    managed: list[tuple[str, str]] = []
    if sink.vault is not None:
        v = sink.vault
        where = f"{v.address} {v.namespace or ''} {v.mount}/"
        managed.append(
            ("vault secret", where + fill_template(v.path, region=region, dataplane=name))
        )
        key: KeyPath = ("vault", "path")
    elif sink.aws_secrets_manager is not None:
        a = sink.aws_secrets_manager
        filled = fill_template(a.name, region=region, dataplane=name)
        managed.append(("AWS secret", _joined(a.endpoint_url, a.region, filled)))
        key = ("awsSecretsManager", "name")
    elif sink.gcp_secret_manager is not None:
        g = sink.gcp_secret_manager
        filled = fill_template(g.secret_id, region=region, dataplane=name)
        managed.append(("Secret Manager secret", _joined(g.endpoint, g.project, filled)))
        key = ("gcpSecretManager", "secretId")
    elif sink.azure_key_vault is not None:
        z = sink.azure_key_vault
        filled = fill_template(z.name, region=region, dataplane=name)
        managed.append(("Key Vault secret", _joined(z.vault_url.rstrip("/"), filled)))
        key = ("azureKeyVault", "name")
    else:
        return [("file", f"credentials/{stem}.yaml")], ("type",)
    return managed, key


def _joined(*parts: str | None) -> str:
    """Where a secret lives, as one string: service, scope, then its name."""
    return " ".join(part for part in parts if part)


def distinct_sink_targets(ctx: Context) -> Iterator[Diagnostic]:
    """One data plane per sink target: a second write would overwrite the first one's
    one-time secret, and both would then read back as stored."""
    organization = ctx.organization
    if organization is None:
        return
    seen: dict[tuple[str, str], tuple[LoadedDocument, str]] = {}
    for document in ctx.dataplanes:
        assert isinstance(document.model, DataPlane)
        dataplane = document.model
        own = dataplane.own_sink is not None
        sink = dataplane.own_sink or organization.credentials or CredentialSink()
        targets, key = _sink_target(dataplane, sink)
        where = document.source.at("credentials", *key) if own else document.source.at("name")
        if sink.type is SinkType.ENV_FILE:
            assert sink.path is not None
            problem = user_path_problem(sink.path)
            if problem is not None:
                yield Diagnostic(
                    where,
                    f"data plane '{dataplane_key(dataplane)}': the env-file path "
                    f"{sink.path!r} would overwrite flexctl's own state: {problem}",
                )
        for what, target in targets:
            first = seen.setdefault((what, target.casefold()), (document, str(where)))
            if first[0] is document or _same_key(first[0], document):
                continue
            assert isinstance(first[0].model, DataPlane)
            yield Diagnostic(
                where,
                f"data plane '{dataplane_key(dataplane)}' delivers its credentials to the "
                f"same {what} as data plane '{dataplane_key(first[0].model)}' ({first[1]}): "
                f"{target}; one would overwrite the other's one-time secret",
            )


def distinct_gitops_names(ctx: Context) -> Iterator[Diagnostic]:
    """The HelmRelease / Application names (``<region>-<dataplane>``, lower case) share one
    namespace: ``a-b``/``c`` and ``a``/``b-c`` would be one object."""
    seen: dict[str, LoadedDocument] = {}
    for document in ctx.dataplanes:
        assert isinstance(document.model, DataPlane)
        dataplane = document.model
        name = f"{dataplane.region.lower()}-{dataplane.name}"
        first = seen.setdefault(name, document)
        if first is not document and not _same_key(first, document):
            assert isinstance(first.model, DataPlane)
            yield Diagnostic(
                document.source.at("name"),
                f"data plane '{dataplane_key(dataplane)}' renders GitOps objects named "
                f"'{name}', as data plane '{dataplane_key(first.model)}' does "
                f"({first.source.at('name')}); rename one of them",
            )


def _same_key(first: LoadedDocument, second: LoadedDocument) -> bool:
    """Declared twice: ``unique_names`` reports it, once."""
    assert isinstance(first.model, DataPlane) and isinstance(second.model, DataPlane)
    return dataplane_key(first.model).lower() == dataplane_key(second.model).lower()
