"""Role authority as the Airbyte server ranks it, and the redundant-permission rule.

The server (``PermissionServiceDataImpl``) refuses to create a workspace permission whose
authority is at most the user's organisation role (``PermissionRedundantException``, a 500
through the public API), and when an organisation role is raised it deletes the workspace
permissions the new role now covers. Authorities: organisation admin 500, editor 400,
runner 300, reader 200, member 100; workspace admin/owner 500, editor 400, runner 300,
reader 200. So ``organization_member`` never covers a workspace role. Pure: no I/O.

Also which roles an access list of each scope accepts, and what to say when an entry names
another scope's role or a misspelt one (``scope_problem``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from reconciler.config.suggest import hint, plain, yaml_type

Scope = Literal["organization", "workspace"]

AUTHORITY: dict[str, int] = {
    "organization_admin": 500,
    "organization_editor": 400,
    "organization_runner": 300,
    "organization_reader": 200,
    "organization_member": 100,
    "workspace_owner": 500,
    "workspace_admin": 500,
    "workspace_editor": 400,
    "workspace_runner": 300,
    "workspace_reader": 200,
}


def covers(organization_role: str | None, workspace_role: str) -> bool:
    """True when the server would call ``workspace_role`` redundant next to the org role."""
    if organization_role is None:
        return False
    return AUTHORITY.get(workspace_role, 0) <= AUTHORITY.get(organization_role, 0)


def covered_by(organization_role: str, workspace_roles: Iterable[tuple[str, str]]) -> list[str]:
    """Names of the ``(workspace, role)`` pairs the server deletes when the org role is set."""
    return sorted(name for name, role in workspace_roles if covers(organization_role, role))


_ELSEWHERE = {
    "organization": "a Workspace's access list",
    "workspace": "the Organization's access list",
}


def scope_problem(value: object, scope: Scope, *, roles: Sequence[str]) -> str | None:
    """Why ``value`` is not one of ``roles`` (every role the config accepts) that a ``scope``
    access list takes; None when it is. Quotes ``value`` only when it is a plain word: it
    may be a pasted secret."""
    allowed = [role for role in roles if role.startswith(f"{scope}_")]
    if value in allowed:
        return None
    listed = ", ".join(allowed)
    article = "an" if scope == "organization" else "a"
    if value in roles:
        other = "a workspace" if scope == "organization" else "an organization"
        return (
            f"role '{value}' is {other} role, not {article} {scope} role: grant it in "
            f"{_ELSEWHERE[scope]}, or use one of: {listed}"
        )
    if not isinstance(value, str) or not plain(value):
        return f"expected {article} {scope} role (one of: {listed}), found {yaml_type(value)}"
    return f"'{value}' is not {article} {scope} role{hint(value, allowed)}; use one of: {listed}"
