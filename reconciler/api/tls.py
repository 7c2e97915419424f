"""The API client's TLS context, its CA bundle loaded before the first https request only.

httpx makes its context when the client is made (``httpx.create_ssl_context``: loading
certifi's bundle took 45 ms of every run), whether or not the client will speak TLS; a control
plane at ``http://`` (the embedded one, a self-managed one inside the cluster) never does.
``DeferredTrust.context`` is the context httpx would have made (``ssl.create_default_context``
with ``SSL_CERT_FILE``, ``SSL_CERT_DIR`` or certifi's bundle, ``SSLKEYLOGFILE``) but for the
bundle, which ``load`` adds: the client's request hook (``before``) calls it for any https
request before it is sent, so no handshake ever runs without it. Proxies use this context for
the requests they tunnel, as they used httpx's. Must not: relax any TLS setting.
"""

from __future__ import annotations

import os
import ssl
import sys

import httpx

__all__ = ["DeferredTrust"]

#: The variables httpx takes proxies from (``trust_env``), in both cases.
_PROXY_VARIABLES = tuple(
    name for base in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY") for name in (base, base.lower())
)


class DeferredTrust:
    def __init__(self) -> None:
        # ssl.create_default_context(purpose=SERVER_AUTH), less load_verify_locations.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.verify_mode = ssl.CERT_REQUIRED
        context.check_hostname = True
        keylog = os.environ.get("SSLKEYLOGFILE")
        if hasattr(context, "keylog_filename") and keylog and not sys.flags.ignore_environment:
            context.keylog_filename = keylog
        self.context = context
        self.loaded = False
        if any(os.environ.get(name) for name in _PROXY_VARIABLES):
            # An https proxy's own handshake uses this context, whatever the request's
            # scheme (an http:// control plane behind it too): loaded now, as httpx did.
            self.load()

    def load(self) -> None:
        """The CA bundle httpx would have loaded (with ``trust_env``, its default)."""
        if self.loaded:
            return
        if os.environ.get("SSL_CERT_FILE"):
            self.context.load_verify_locations(cafile=os.environ["SSL_CERT_FILE"])
        elif os.environ.get("SSL_CERT_DIR"):
            self.context.load_verify_locations(capath=os.environ["SSL_CERT_DIR"])
        else:
            import certifi

            self.context.load_verify_locations(cafile=certifi.where())
        self.loaded = True

    async def before(self, request: httpx.Request) -> None:
        """httpx request hook: every request passes here before it is sent."""
        if request.url.scheme == "https":
            self.load()
