"""Admin steps on the OpenBao dev server that several tests need."""

from __future__ import annotations

import uuid

import hvac

from .conftest_plugin import OpenBao


def token_with_policy(openbao: OpenBao, rules: str) -> str:
    """A fresh token whose only policy is ``rules`` (HCL)."""
    admin = hvac.Client(url=openbao.url, token=openbao.root_token)
    name = f"p-{uuid.uuid4().hex[:8]}"
    admin.sys.create_or_update_policy(name=name, policy=rules)
    return str(admin.auth.token.create(policies=[name])["auth"]["client_token"])


READ_ONLY = 'path "secret/data/*" { capabilities = ["read"] }'
