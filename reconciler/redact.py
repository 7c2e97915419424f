"""The user-info part of URLs, dropped before any URL reaches an output.

Owns one rule shared by every module that prints a repository or state URL. Must not parse
URLs strictly: a malformed password (``user:SECRET/PART@host``, a ``/`` or ``@`` in it) is the
case that matters, and a strict parser gives up exactly there.
"""

from __future__ import annotations

import re

# Everything from "scheme://" to the *last* "@" of the same word is user-info: a password may
# hold "/", "@" or ":" when it was pasted unencoded. A path with an "@" in it loses its head
# too; printing too little is the safe way to be wrong.
_USERINFO_RE = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^\s'\"<>`]*@")


def redact_userinfo(text: str) -> str:
    """``text`` with the user-info of every URL in it replaced by ``***``.

    Both ``https://user:token@host`` and ``https://token@host`` carry a secret, so the whole
    user-info is dropped. scp-like ``git@host:org/repo`` has no scheme and stays: ``git`` is no
    secret.
    """
    return _USERINFO_RE.sub(r"\g<scheme>***@", text)
