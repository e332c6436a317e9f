"""The commands, one module per group, each holding its commands' arguments and
handlers (as tox's ``session/cmd/*.py`` do). Adding a command: declare it in its
group's ``COMMANDS`` and name it in :data:`HELP_ORDER`."""

from __future__ import annotations

from .._run import Command
from . import (
    backup,
    catalog,
    clients,
    demo,
    integrations,
    keys,
    lifecycle,
    operations,
    pool,
    renewal,
    report,
    serve,
    team,
    transfer,
)

__all__ = ["COMMANDS", "HELP_ORDER"]

HELP_ORDER = (
    "catalog",
    "add-client",
    "assign",
    "check",
    "modify",
    "manage",
    "unmanage",
    "delete-service",
    "renew",
    "change",
    "convert",
    "extend",
    "suspend",
    "resume",
    "suspend-client",
    "resume-client",
    "add-seats",
    "auto-renew",
    "schedule",
    "usage-report",
    "group",
    "pool",
    "expiring",
    "forecast",
    "run-day",
    "usage",
    "offer",
    "delete-client",
    "detail",
    "entitlements",
    "history",
    "monitoring",
    "clients",
    "demo",
    "import",
    "export",
    "serve",
    "backup",
    "restore",
    "verify",
    "keys",
    "feed",
    "webhooks",
    "deliver",
    "operators",
    "requests",
    "request",
    "approve",
    "reject",
    "audit",
)
"""The order ``cytolicense --help`` lists the commands in: the console's work, from
the catalog through a client's services to the data's care."""

_GROUPS = (
    backup,
    catalog,
    clients,
    demo,
    integrations,
    keys,
    lifecycle,
    operations,
    pool,
    renewal,
    report,
    serve,
    team,
    transfer,
)
_DECLARED = {c.name: c for group in _GROUPS for c in group.COMMANDS}

COMMANDS: tuple[Command, ...] = tuple(_DECLARED[name] for name in HELP_ORDER)
"""Every command, in :data:`HELP_ORDER` (a command declared but not named there is
caught by ``tests/test_cli.py``)."""
