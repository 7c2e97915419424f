"""Optional behaviours of real servers, off by default, switched on by tests.

Behaviours every real server has (redundant workspace permissions refused, an identical
permission create answering the existing permission) are always on and live in the routes;
only what differs between server versions is a switch here:

* ``token_body``: which encodings ``POST /applications/token`` accepts. Public reports show
  self-managed servers answering 401 to a form body while JSON works (``"json"``); the
  Python SDK's form body works elsewhere (``"form"``); the default takes both.
* ``webhook_patch_ignored``: airbyte#65105: a PATCH that changes a workspace's webhook
  notification settings is answered 200 but not applied (the stored value stays).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Quirks:
    token_body: Literal["both", "json", "form"] = "both"  # noqa: S105 (an encoding name)
    webhook_patch_ignored: bool = False


class QuirkSwitch:
    """The live setting, changeable while the app serves (tests flip it between runs)."""

    def __init__(self, quirks: Quirks | None = None) -> None:
        self._lock = threading.Lock()
        self._quirks = quirks or Quirks()

    def get(self) -> Quirks:
        with self._lock:
            return self._quirks

    def set(self, quirks: Quirks | None) -> None:
        with self._lock:
            self._quirks = quirks or Quirks()
