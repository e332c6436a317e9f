"""``python -m cytolicense``: the command line."""

from .cli._cli import main

raise SystemExit(main())
