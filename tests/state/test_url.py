"""State URL forms and the precedence: --state > FLEXCTL_STATE > Organization state.url."""

from __future__ import annotations

import pytest

from reconciler.errors import StateError
from reconciler.state import is_shared, parse_state_url, select_state_url


@pytest.mark.parametrize(
    ("text", "scheme", "location", "path", "shown"),
    [
        ("local", "local", "", "", "local"),
        ("", "local", "", "", "local"),
        ("/srv/flexctl", "local", "/srv/flexctl", "", "/srv/flexctl"),
        ("s3://bkt", "s3", "bkt", "", "s3://bkt"),
        ("s3://bkt/teams/flex/", "s3", "bkt", "teams/flex", "s3://bkt/teams/flex"),
        (
            "git+file:///srv/c.git#refs/flexctl/state",
            "git",
            "file:///srv/c.git",
            "refs/flexctl/state",
            "git+file:///srv/c.git#refs/flexctl/state",
        ),
        (
            "git+https://bot:tok3n@host/org/repo.git",
            "git",
            "https://bot:tok3n@host/org/repo.git",
            "refs/flexctl/state",
            "git+https://***@host/org/repo.git#refs/flexctl/state",
        ),
        (
            "git+https://bot:tok/3n@host/org/repo.git",
            "git",
            "https://bot:tok/3n@host/org/repo.git",
            "refs/flexctl/state",
            "git+https://***@host/org/repo.git#refs/flexctl/state",
        ),
    ],
)
def test_forms(text: str, scheme: str, location: str, path: str, shown: str) -> None:
    url = parse_state_url(text)
    assert (url.scheme, url.location, url.path, str(url)) == (scheme, location, path, shown)
    assert is_shared(url) is (scheme != "local")
    assert is_shared(text) is (scheme != "local")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("s3://", "--state: 's3://' names no bucket (expected s3://BUCKET/PREFIX)"),
        ("git+#refs/x", "--state: 'git+#refs/x' names no repository (expected git+URL#REF)"),
        ("git+file:///r.git#main", "the ref must be a full ref like refs/flexctl/state"),
        ("https://example.com/state", "is not a state URL"),
    ],
)
def test_bad_urls(text: str, message: str) -> None:
    with pytest.raises(
        StateError, match=message.replace("+", r"\+").replace("(", r"\(").replace(")", r"\)")
    ):
        parse_state_url(text)


def test_precedence() -> None:
    env = {"FLEXCTL_STATE": "s3://from-env/p"}
    assert str(select_state_url(flag="git+file:///r#refs/s", env=env, configured="local")) == (
        "git+file:///r#refs/s"
    )
    chosen = select_state_url(flag=None, env=env, configured="s3://from-config")
    assert (str(chosen), chosen.origin) == ("s3://from-env/p", "FLEXCTL_STATE")
    chosen = select_state_url(flag=None, env={}, configured="s3://from-config")
    assert (str(chosen), chosen.origin) == ("s3://from-config", "Organization state.url")
    assert select_state_url(flag=None, env={}, configured=None).shared is False
    assert is_shared(None) is False
