"""Cross-document rules about groups: what a ``group:`` entry or a Group's ``roles`` may name.

A group's roles are declared in its Group document (``roles``) or in the access lists of the
Organization and the Workspaces (``{group: NAME, role: ...}``); both mean the same resource.
Rules: a ``group:`` entry names a declared Group, a Group role names a declared Workspace
(each with "did you mean"); one group holds one role per scope, wherever it is declared; a
workspace role the group's organisation role covers is redundant, as for users. Part of
``config.validate.RULES``; same contract: pure, never raises, positions from
``DocumentSource``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from reconciler.config.diagnostics import Diagnostic, Position
from reconciler.config.models import Group, fold_name
from reconciler.config.roles import covers
from reconciler.config.suggest import closest

if TYPE_CHECKING:
    from reconciler.config.validate import Context


@dataclass(frozen=True)
class GroupGrant:
    """One role of one group, wherever it was declared."""

    group: str
    #: None: the organisation.
    workspace: str | None
    role: str
    #: Positions are read on demand (``yamlio.LazySpans``): these are asked only by a
    #: diagnostic, so a valid config builds none.
    where_of: Callable[[], Position]
    #: Where the group is named (the entry's ``group`` value, or the Group's ``name``).
    named_of: Callable[[], Position]

    @property
    def where(self) -> Position:
        return self.where_of()

    @property
    def named_at(self) -> Position:
        return self.named_of()


def group_grants(ctx: Context) -> list[GroupGrant]:
    """Every declared group role, in position order (Group documents first); made once per
    ``Context`` (two rules read them)."""
    if ctx.group_grants is None:
        ctx.group_grants = _group_grants(ctx)
    return ctx.group_grants


def _group_grants(ctx: Context) -> list[GroupGrant]:
    out: list[GroupGrant] = []
    for document in ctx.groups:
        model = document.model
        assert isinstance(model, Group)
        for index, role in enumerate(model.roles):
            out.append(
                GroupGrant(
                    group=model.name,
                    workspace=role.workspace,
                    role=role.role.value,
                    where_of=partial(document.source.at, "roles", index),
                    named_of=partial(document.source.at, "name"),
                )
            )
    for document in (*ctx.organizations, *ctx.workspaces):
        workspace = None if document.kind == "Organization" else document.name
        for index, grant in enumerate(getattr(document.model, "access", [])):
            if grant.group is None:
                continue
            out.append(
                GroupGrant(
                    group=grant.group,
                    workspace=workspace,
                    role=grant.role.value,
                    where_of=partial(document.source.at, "access", index),
                    named_of=partial(document.source.value_at, "access", index, "group"),
                )
            )
    return out


def group_grants_resolve(ctx: Context) -> Iterator[Diagnostic]:
    """Named groups and workspaces are declared; one role per group and scope."""
    grants = group_grants(ctx)
    if not grants:
        return  # nothing to resolve: no need to fold every workspace's name
    groups = [d.name for d in ctx.groups]
    declared_groups = {fold_name(n) for n in groups} | {
        fold_name(n) for n in ctx.failed_names("Group")
    }
    workspaces = [d.name for d in ctx.workspaces]
    declared_workspaces = {fold_name(n) for n in workspaces} | {
        fold_name(n) for n in ctx.failed_names("Workspace")
    }
    seen: dict[tuple[str, str | None], GroupGrant] = {}
    for grant in grants:
        if fold_name(grant.group) not in declared_groups:
            meant = closest(grant.group, groups)
            hint = f"; did you mean '{meant}'?" if meant is not None else ""
            yield Diagnostic(
                grant.named_at,
                f"group '{grant.group}' is not declared{hint} (declare a Group document; a "
                "SCIM-managed group too, with scim: true)",
            )
            continue
        if grant.workspace is not None and fold_name(grant.workspace) not in declared_workspaces:
            meant = closest(grant.workspace, workspaces)
            hint = f"; did you mean '{meant}'?" if meant is not None else ""
            yield Diagnostic(
                grant.where,
                f"group '{grant.group}' has a role on workspace '{grant.workspace}', which is "
                f"not declared{hint}",
            )
            continue
        scope = None if grant.workspace is None else fold_name(grant.workspace)
        first = seen.setdefault((fold_name(grant.group), scope), grant)
        if first is not grant:
            on = "the organization" if grant.workspace is None else f"workspace '{grant.workspace}'"
            yield Diagnostic(
                grant.where,
                f"group '{grant.group}' is given a second role on {on} (first at {first.where}); "
                "a group has one role per scope",
            )


def no_redundant_group_grants(ctx: Context) -> Iterator[Diagnostic]:
    """A workspace role the group's organisation role already covers, as for users."""
    grants = group_grants(ctx)
    org_roles: dict[str, GroupGrant] = {}
    for grant in grants:
        if grant.workspace is None:
            org_roles.setdefault(fold_name(grant.group), grant)
    for grant in grants:
        org = org_roles.get(fold_name(grant.group))
        if grant.workspace is None or org is None or not covers(org.role, grant.role):
            continue
        yield Diagnostic(
            grant.where,
            f"group '{grant.group}' already has {org.role} on the organisation ({org.where}), "
            f"which covers {grant.role}: redundant workspace permissions are refused; remove "
            "this entry or lower the organisation role",
        )
