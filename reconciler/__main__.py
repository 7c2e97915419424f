"""``python -m reconciler`` is the same program as ``flexctl``."""

from reconciler.cli.main import main

raise SystemExit(main())
