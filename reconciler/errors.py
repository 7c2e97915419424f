"""The one exception tree every user-facing failure belongs to.

    FlexctlError                 rendered once by cli.main, exit code 1, never a traceback
     +-- ConfigError             diagnostics with path:line:col (config.diagnostics)
     +-- SecretResolutionError   an {env:}/{file:} reference could not be read
     |    +-- UnresolvedReferences  every unusable reference of a run, each with path:line:col
     |                              (config.references; a ConfigError too)
     +-- ApiError                a control-plane call failed (api.errors: method, path, resource)
     +-- StateError              state directory: lock busy, inventory or journal unreadable
     +-- RefusedError            a safety rail said no (stale plan, delete cap, lock-out guard)
     +-- RenderError             rendered output would not work with the chart or Kubernetes
     +-- SinkError               a credential sink could not be written or read back
     +-- GitError                a repository, ref or fetch failed

Messages must never contain a secret value: they are printed, logged and audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType


class FlexctlError(Exception):
    """Base of every error flexctl reports to a user."""

    #: The control plane's failed answers by HTTP status up to this error, when a reconcile
    #: cycle knows them (its metrics count them); empty otherwise.
    api_errors: Mapping[str, int] = MappingProxyType({})

    def render(self) -> str:
        return f"error: {self}"


class SecretResolutionError(FlexctlError):
    pass


class StateError(FlexctlError):
    pass


class RefusedError(FlexctlError):
    pass


class RenderError(FlexctlError):
    pass


class SinkError(FlexctlError):
    pass


class GitError(FlexctlError):
    pass
