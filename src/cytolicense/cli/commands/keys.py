"""``keys``: the idempotency keys the store keeps (``keys prune --before DATE``)."""

from __future__ import annotations

import argparse

from ...views._text import tr
from .._args import day
from .._run import EXIT_OK, Command, Run

__all__ = ["COMMANDS"]


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["prune"], help="what to do")
    p.add_argument("--before", type=day, required=True, help="forget keys stored before this day")


def keys(run: Run) -> int:
    console = run.console()
    if run.args.dry_run:
        print(tr("ok: keys would be pruned (nothing changed)", run.lang), file=run.out)
        return EXIT_OK
    count = console.prune_keys(run.args.before)
    if run.json:
        run.emit({"pruned": count})
    else:
        print(
            tr(
                "forgot {count} idempotency key(s) stored before {day}",
                run.lang,
                count=count,
                day=run.args.before,
            ),
            file=run.out,
        )
    return EXIT_OK


COMMANDS = (
    Command("keys", "manage idempotency keys: `keys prune --before DATE`", keys, _arguments),
)
