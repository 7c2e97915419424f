"""Cross-document rules: what no single document can check on its own.

Each rule is a function from the loaded documents to diagnostics, listed in ``RULES``; a rule
never raises and never stops the others. Documents that failed to load are passed as
``FailedDocument`` so that a reference to one is not reported a second time as dangling, and
rules that need the Organization are skipped when it did not load (its own errors say why).

Must not: read files, resolve secrets, or know about YAML (positions come from
``DocumentSource``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reconciler.config.desired import dataplane_key
from reconciler.config.diagnostics import Diagnostic, Position
from reconciler.config.documents import FailedDocument, LoadedDocument
from reconciler.config.models import (
    AZURE_SECRET_NAME_MAX,
    GCP_SECRET_ID_MAX,
    MANAGED_REGIONS,
    DataPlane,
    Grant,
    Organization,
    Region,
    Workspace,
    fill_template,
    fold_name,
)
from reconciler.config.roles import covers
from reconciler.config.secrets import file_reference_problem
from reconciler.config.suggest import closest

if TYPE_CHECKING:
    from reconciler.config.grouprules import GroupGrant

_MANAGED = {name.lower(): name for name in MANAGED_REGIONS}
_MANAGED_LIST = ", ".join(MANAGED_REGIONS)


@dataclass
class Context:
    """The documents by kind, in position order, and what is known of the failed ones."""

    organizations: list[LoadedDocument] = field(default_factory=list)
    regions: list[LoadedDocument] = field(default_factory=list)
    dataplanes: list[LoadedDocument] = field(default_factory=list)
    workspaces: list[LoadedDocument] = field(default_factory=list)
    groups: list[LoadedDocument] = field(default_factory=list)
    failed: list[FailedDocument] = field(default_factory=list)
    origin: str = "."
    #: Some paths could not be read: a missing Organization may be in one of them.
    incomplete: bool = False
    #: ``grouprules.group_grants``, made on first use.
    group_grants: list[GroupGrant] | None = None

    @property
    def organization(self) -> Organization | None:
        """The Organization, when exactly one loaded (else org-wide rules cannot apply)."""
        if len(self.organizations) != 1:
            return None
        model = self.organizations[0].model
        return model if isinstance(model, Organization) else None

    _by_name: dict[str, Region] | None = None

    def region(self, name: str) -> Region | None:
        """The declared region ``name`` (case-insensitive; the first one if declared twice)."""
        if self._by_name is None:
            self._by_name = {}
            for document in self.regions:
                if isinstance(document.model, Region):
                    self._by_name.setdefault(document.name.lower(), document.model)
        return self._by_name.get(name.lower())

    def failed_names(self, kind: str) -> set[str]:
        return {f.name.lower() for f in self.failed if f.kind == kind and f.name is not None}


Rule = Callable[[Context], Iterator[Diagnostic]]


def validate_documents(
    documents: Sequence[LoadedDocument],
    *,
    failed: Sequence[FailedDocument] = (),
    origin: str = ".",
    incomplete: bool = False,
) -> list[Diagnostic]:
    """Every cross-document problem of ``documents``; ``origin`` names the config as a whole;
    ``incomplete``: some paths could not be read (their errors are reported already)."""
    ctx = Context(failed=list(failed), origin=origin, incomplete=incomplete)
    buckets = {
        "Organization": ctx.organizations,
        "Region": ctx.regions,
        "DataPlane": ctx.dataplanes,
        "Workspace": ctx.workspaces,
        "Group": ctx.groups,
    }
    for document in sorted(documents, key=lambda d: d.source.position):
        buckets[document.kind].append(document)
    return [diagnostic for rule in RULES for diagnostic in rule(ctx)]


# --------------------------------------------------------------------------- rules


def exactly_one_organization(ctx: Context) -> Iterator[Diagnostic]:
    if not ctx.organizations:
        if not ctx.incomplete and not any(f.kind == "Organization" for f in ctx.failed):
            yield Diagnostic(
                Position(ctx.origin), "no Organization document; exactly one is required"
            )
        return
    first = ctx.organizations[0]
    for extra in ctx.organizations[1:]:
        yield Diagnostic(
            extra.source.position,
            f"a second Organization '{extra.name}'; exactly one is allowed "
            f"(the first, '{first.name}', is at {first.source.position})",
        )


def unique_names(ctx: Context) -> Iterator[Diagnostic]:
    for kind, documents in (
        ("Region", ctx.regions),
        ("Workspace", ctx.workspaces),
        ("Group", ctx.groups),
    ):
        seen: dict[str, LoadedDocument] = {}
        for document in documents:
            first = seen.setdefault(fold_name(document.name), document)
            if first is not document:
                spelled = f" as '{first.name}'" if first.name != document.name else ""
                yield Diagnostic(
                    document.source.at("name"),
                    f"duplicate {kind} name '{document.name}' (first declared{spelled} at "
                    f"{first.source.at('name')}; names are compared without case and "
                    "compatibility forms, as flexctl matches them to live ones)",
                )
    planes: dict[tuple[str, str], LoadedDocument] = {}
    for document in ctx.dataplanes:
        assert isinstance(document.model, DataPlane)
        key = (document.model.region.lower(), document.name.lower())
        first = planes.setdefault(key, document)
        if first is not document:
            yield Diagnostic(
                document.source.at("name"),
                f"duplicate DataPlane name '{document.name}' in region "
                f"'{document.model.region}' (first declared at {first.source.at('name')})",
            )


def workspace_slugs(ctx: Context) -> Iterator[Diagnostic]:
    """Slugs become file names (one per workspace)."""
    slugs: dict[str, LoadedDocument] = {}
    for document in ctx.workspaces:
        assert isinstance(document.model, Workspace)
        slug = document.model.safe_name
        first = slugs.setdefault(slug, document)
        if first is not document and first.name.lower() != document.name.lower():
            field = "slug" if document.model.slug else "name"
            yield Diagnostic(
                document.source.at(field),
                f"workspace '{document.name}' has the slug '{slug}' (its file and Kubernetes "
                f"name), as workspace '{first.name}' does ({first.source.at('name')}); set a "
                "distinct `slug:`",
            )


def no_managed_region_names(ctx: Context) -> Iterator[Diagnostic]:
    for document in ctx.regions:
        managed = _MANAGED.get(document.name.lower())
        if managed is not None:
            yield Diagnostic(
                document.source.at("name"),
                f"region name '{document.name}' collides with the Airbyte-managed region "
                f"'{managed}'; choose another name",
            )


def references_resolve(ctx: Context) -> Iterator[Diagnostic]:
    """Every region a document names exists; a typo is pointed at (the value, not its key)
    with the closest declared (or, for workspaces, managed) name."""
    failed = ctx.failed_names("Region")
    declared = [d.name for d in ctx.regions]
    for document in ctx.workspaces:
        assert isinstance(document.model, Workspace)
        region = document.model.region
        lowered = region.lower()
        if ctx.region(region) or lowered in _MANAGED or lowered in failed:
            continue
        yield Diagnostic(
            document.source.value_at("region"),
            f"workspace '{document.name}' names region '{region}', which is not declared"
            f"{_did_you_mean(region, [*declared, *MANAGED_REGIONS])} (declare a Region "
            f"document, or use an Airbyte-managed region: {_MANAGED_LIST})",
        )
    for document in ctx.dataplanes:
        assert isinstance(document.model, DataPlane)
        region = document.model.region
        if ctx.region(region) or region.lower() in failed:
            continue
        if region.lower() in _MANAGED:
            message = (
                f"data plane '{document.name}' names the Airbyte-managed region '{region}'; "
                "data planes run only in declared (self-managed) regions"
            )
        else:
            message = (
                f"data plane '{document.name}' names region '{region}', which is not declared"
                f"{_did_you_mean(region, declared)} (declare a Region document with that name)"
            )
        yield Diagnostic(document.source.value_at("region"), message)


def _did_you_mean(name: str, choices: list[str]) -> str:
    meant = closest(name, choices)
    return f"; did you mean '{meant}'?" if meant is not None else ""


def shared_secrets_manager(ctx: Context) -> Iterator[Diagnostic]:
    # Every data plane equals the organisation's, so data planes in one region share it too.
    organization = ctx.organization
    if organization is None:
        return
    for document in ctx.dataplanes:
        assert isinstance(document.model, DataPlane)
        declared = document.model.secrets_manager
        if declared is not None and declared != organization.secrets_manager:
            yield Diagnostic(
                document.source.at("secretsManager"),
                f"data plane '{dataplane_key(document.model)}' declares a secrets manager "
                "that differs from the organisation's; control and data planes must share "
                "one (remove the block to inherit it)",
            )


def storage_present(ctx: Context) -> Iterator[Diagnostic]:
    organization = ctx.organization
    if organization is None or organization.default_storage is not None:
        return
    for document in ctx.dataplanes:
        assert isinstance(document.model, DataPlane)
        if document.model.storage is None:
            yield Diagnostic(
                document.source.position,
                f"data plane '{dataplane_key(document.model)}' has no storage: add a "
                "'storage' block, or 'defaultStorage' to the Organization",
            )


def residency(ctx: Context) -> Iterator[Diagnostic]:
    organization = ctx.organization
    required = set(organization.residency.self_managed_required_for) if organization else set()
    for document in ctx.workspaces:
        workspace = document.model
        assert isinstance(workspace, Workspace)
        declared = ctx.region(workspace.region)
        managed = _MANAGED.get(workspace.region.lower())
        if declared is None and managed is None:
            continue  # dangling: reported by references_resolve
        name, region = workspace.name, workspace.region
        if workspace.classification in required:
            label = workspace.classification.value
            if declared is None:
                yield Diagnostic(
                    document.source.at("region"),
                    f"workspace '{name}' is classified '{label}', which the residency policy "
                    f"keeps on self-managed regions, but region '{region}' is Airbyte-managed",
                )
            if workspace.jurisdiction is None:
                yield Diagnostic(
                    document.source.at("classification"),
                    f"workspace '{name}' is classified '{label}' and must declare a "
                    f"'jurisdiction' matching its region '{region}' (residency policy)",
                )
        if workspace.jurisdiction is None:
            continue
        actual = declared.jurisdiction if declared else MANAGED_REGIONS[managed or ""]
        if actual is None:
            yield Diagnostic(
                document.source.at("jurisdiction"),
                f"workspace '{name}' requires jurisdiction '{workspace.jurisdiction}', but "
                f"region '{region}' has no fixed jurisdiction",
            )
        elif actual != workspace.jurisdiction:
            yield Diagnostic(
                document.source.at("jurisdiction"),
                f"workspace '{name}' requires jurisdiction '{workspace.jurisdiction}', but "
                f"region '{region}' is in jurisdiction '{actual}'",
            )


def one_role_per_user(ctx: Context) -> Iterator[Diagnostic]:
    for document in (*ctx.organizations, *ctx.workspaces):
        access: list[Grant] = getattr(document.model, "access", [])
        scope = "organization" if document.kind == "Organization" else "workspace"
        first_index: dict[tuple[str, str], int] = {}
        for index, grant in enumerate(access):
            what, who = grant.grantee
            first = first_index.setdefault((what, who.casefold()), index)
            if first != index:
                line = document.source.at("access", first).line
                yield Diagnostic(
                    document.source.at("access", index),
                    f"{what} '{who}' is listed twice in this access list (first at line "
                    f"{line}); a {what} has one role per {scope}",
                )


def no_redundant_grants(ctx: Context) -> Iterator[Diagnostic]:
    """The server refuses a workspace role the user's organisation role already covers."""
    org_roles: dict[str, tuple[str, str]] = {}
    for document in ctx.organizations:
        for index, grant in enumerate(getattr(document.model, "access", [])):
            if grant.user is None:
                continue  # groups: config.grouprules
            where = str(document.source.at("access", index))
            org_roles.setdefault(grant.user.lower(), (grant.role.value, where))
    for document in ctx.workspaces:
        for index, grant in enumerate(getattr(document.model, "access", [])):
            if grant.user is None:
                continue
            org = org_roles.get(grant.user.lower())
            if org is None or not covers(org[0], grant.role.value):
                continue
            yield Diagnostic(
                document.source.at("access", index),
                f"user '{grant.user}' already has {org[0]} on the organisation ({org[1]}), "
                f"which covers {grant.role.value}: Airbyte refuses redundant workspace "
                "permissions; remove this entry or lower the organisation role",
            )


def distinct_install_targets(ctx: Context) -> Iterator[Diagnostic]:
    seen: dict[tuple[str, str, str], LoadedDocument] = {}
    for document in ctx.dataplanes:
        assert isinstance(document.model, DataPlane)
        cluster = document.model.cluster
        target = (cluster.kube_context, cluster.namespace, cluster.release_name)
        first = seen.setdefault(target, document)
        if first is not document:
            assert isinstance(first.model, DataPlane)
            yield Diagnostic(
                document.source.at("cluster"),
                f"data plane '{dataplane_key(document.model)}' installs into the same kube "
                f"context, namespace and release name as data plane "
                f"'{dataplane_key(first.model)}' ({first.source.at('cluster')})",
            )


def secret_file_references(ctx: Context) -> Iterator[Diagnostic]:
    """``{file: PATH}`` stays inside the config root: the form of the path, every reference."""
    for document in (*ctx.organizations, *ctx.regions, *ctx.dataplanes, *ctx.workspaces):
        for key_path, ref in document.secret_refs:
            problem = None if ref.file is None else file_reference_problem(ref.file)
            if problem is not None:
                yield Diagnostic(document.source.at(*key_path, "file"), problem)


def sink_names_fit(ctx: Context) -> Iterator[Diagnostic]:
    """A templated Secret Manager id / Key Vault name, filled in, must fit the service's limit
    (the template alone cannot tell: region and data-plane names vary)."""
    organization = ctx.organization
    default = organization.credentials if organization is not None else None
    for document in ctx.dataplanes:
        assert isinstance(document.model, DataPlane)
        dataplane = document.model
        sink = dataplane.own_sink or default
        if sink is None:
            continue
        for block, key, limit, what in (
            (sink.gcp_secret_manager, "secretId", GCP_SECRET_ID_MAX, "Secret Manager secret id"),
            (sink.azure_key_vault, "name", AZURE_SECRET_NAME_MAX, "Key Vault secret name"),
        ):
            if block is None:
                continue
            template = getattr(block, "secret_id" if key == "secretId" else "name")
            name = fill_template(template, region=dataplane.region, dataplane=dataplane.name)
            if len(name) <= limit:
                continue
            own = dataplane.own_sink is not None
            yield Diagnostic(
                document.source.at("credentials", _camel_block(sink.type.value), key)
                if own
                else document.source.at("name"),
                f"the {what} of data plane '{dataplane_key(dataplane)}' is {len(name)} "
                f"characters long ({name!r}); at most {limit} are allowed: shorten the "
                + ("template" if own else "Organization's credentials template"),
            )


def _camel_block(sink_type: str) -> str:
    head, *rest = sink_type.split("-")
    return head + "".join(part.title() for part in rest)


# Imported here, after Context: the sink rules take a Context.
from reconciler.config.grouprules import (  # noqa: E402
    group_grants_resolve,
    no_redundant_group_grants,
)
from reconciler.config.renamerules import previous_names_free  # noqa: E402
from reconciler.config.sinkrules import distinct_gitops_names, distinct_sink_targets  # noqa: E402

RULES: tuple[Rule, ...] = (
    exactly_one_organization,
    unique_names,
    workspace_slugs,
    previous_names_free,
    no_managed_region_names,
    references_resolve,
    shared_secrets_manager,
    storage_present,
    residency,
    one_role_per_user,
    no_redundant_grants,
    group_grants_resolve,
    no_redundant_group_grants,
    distinct_install_targets,
    secret_file_references,
    distinct_sink_targets,
    distinct_gitops_names,
    sink_names_fit,
)
