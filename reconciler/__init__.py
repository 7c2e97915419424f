"""flexctl: a declarative GitOps reconciler for Airbyte Enterprise Flex and self-managed Airbyte."""

import sys

__version__ = "0.1.0"

# httpx imports its command-line client (click, pygments and rich's console: about 75 ms of
# every plan's start) unless that import fails, and flexctl never runs it: ``httpx.main`` is
# then httpx's own stub, which says the CLI is not installed.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
