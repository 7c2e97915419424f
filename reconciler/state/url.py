"""State URLs: the one place that parses where the shared state lives, and picks the URL.

Forms (the same on the command line, in ``FLEXCTL_STATE`` and in the Organization's
``state:`` block):

    local | PATH                  the local state directory (``--state-dir``) or another one
    s3://BUCKET[/PREFIX]          a bucket and prefix; endpoint and credentials from the
                                  standard AWS variables (``AWS_ENDPOINT_URL[_S3]`` ...)
    git+URL#REF                   a ref in a git repository, e.g.
                                  ``git+file:///srv/config.git#refs/flexctl/state``

Precedence: ``--state`` beats ``FLEXCTL_STATE`` beats the ``state:`` block beats ``local``.
Must not open anything: opening is ``reconciler.state.open_backend``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from reconciler.errors import StateError
from reconciler.redact import redact_userinfo

Scheme = Literal["local", "s3", "git"]
DEFAULT_GIT_REF = "refs/flexctl/state"


@dataclass(frozen=True)
class StateUrl:
    scheme: Scheme
    #: local: a directory ("" = the --state-dir); s3: the bucket; git: the repository URL.
    location: str
    #: s3: the key prefix (no leading or trailing "/"); git: the ref.
    path: str = ""
    #: Where the URL was chosen ("--state", "FLEXCTL_STATE", "Organization state.url", ...).
    origin: str = "default"

    @property
    def shared(self) -> bool:
        return self.scheme != "local"

    def __str__(self) -> str:
        if self.scheme == "local":
            return self.location or "local"
        if self.scheme == "s3":
            return f"s3://{self.location}/{self.path}" if self.path else f"s3://{self.location}"
        return f"git+{redact_userinfo(self.location)}#{self.path}"


def parse_state_url(text: str, *, origin: str = "--state") -> StateUrl:
    """Parse one URL; a malformed one is a StateError naming where it came from."""
    raw = text.strip()
    if raw in ("", "local"):
        return StateUrl("local", "", origin=origin)
    if raw.startswith("s3://"):
        bucket, _, prefix = raw.removeprefix("s3://").partition("/")
        if not bucket:
            raise StateError(f"{origin}: {text!r} names no bucket (expected s3://BUCKET/PREFIX)")
        return StateUrl("s3", bucket, prefix.strip("/"), origin=origin)
    if raw.startswith("git+"):
        repo, sep, ref = raw.removeprefix("git+").partition("#")
        if not repo:
            raise StateError(f"{origin}: {text!r} names no repository (expected git+URL#REF)")
        ref = ref if sep and ref else DEFAULT_GIT_REF
        if not ref.startswith("refs/") or " " in ref or ".." in ref:
            raise StateError(
                f"{origin}: {text!r}: the ref must be a full ref like {DEFAULT_GIT_REF}"
            )
        return StateUrl("git", repo, ref, origin=origin)
    if "://" in raw:
        raise StateError(
            f"{origin}: {text!r} is not a state URL (use local, a path, s3://BUCKET/PREFIX "
            "or git+URL#REF)"
        )
    return StateUrl("local", raw, origin=origin)


def select_state_url(
    *, flag: str | None, env: Mapping[str, str], configured: str | None
) -> StateUrl:
    """The state URL this run uses: the command line wins, then the environment, then config."""
    if flag:
        return parse_state_url(flag, origin="--state")
    if env.get("FLEXCTL_STATE"):
        return parse_state_url(env["FLEXCTL_STATE"], origin="FLEXCTL_STATE")
    if configured:
        return parse_state_url(configured, origin="Organization state.url")
    return StateUrl("local", "", origin="default")


def is_shared(url: StateUrl | str | None) -> bool:
    """True when the state lives outside this machine's state directory (s3, git)."""
    if url is None:
        return False
    parsed = parse_state_url(url) if isinstance(url, str) else url
    return parsed.shared
