"""``pool``: the partner's licence pool, its history, and crediting it."""

from __future__ import annotations

import argparse

from ...core._messages import period_words
from ...store._serialize import converter, to_data
from ...views._text import clean, tr
from .._args import period, seats
from .._run import EXIT_OK, Command, Run, UsageError

__all__ = ["COMMANDS"]


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "action",
        nargs="*",
        metavar="credit ITEM PERIOD SEATS",
        help="credit SEATS of ITEM (a product or module id) for PERIOD",
    )
    p.add_argument(
        "--credit",
        nargs=3,
        metavar=("ITEM", "PERIOD", "SEATS"),
        default=None,
        help="the same as `pool credit ITEM PERIOD SEATS`",
    )
    p.add_argument(
        "--allow-negative",
        action="store_true",
        help="let a correction (negative SEATS) take the pool below zero",
    )


def _reads_only(args: argparse.Namespace) -> bool:
    """``pool`` only reads; ``pool credit`` (and ``--credit``) writes."""
    return args.credit is None and not args.action


def pool(run: Run) -> int:
    action = list(run.args.action)
    if action == ["history"]:
        return history(run)
    if action:
        if action[0] != "credit" or len(action) != 4:
            raise UsageError(
                tr(
                    "expected `pool`, `pool history` or `pool credit ITEM PERIOD SEATS`",
                    run.lang,
                )
            )
        run.args.credit = action[1:]
    console = run.console()
    if run.args.credit is not None:
        item, term, count = run.args.credit
        try:
            quantity = seats(count)
        except argparse.ArgumentTypeError as exc:
            raise UsageError(str(exc)) from None
        try:
            term = period(term)
        except argparse.ArgumentTypeError as exc:
            raise UsageError(str(exc)) from None
        balance = console.credit_pool(
            item,
            term,
            quantity,
            run.today,
            actor=run.args.actor,
            reason=run.args.reason,
            allow_negative=run.args.allow_negative,
            dry_run=run.args.dry_run,
        )
        if run.args.dry_run and not run.json:
            print(tr("ok: the pool would be (nothing changed):", run.lang), file=run.out)
    else:
        balance = console.pool()
    if run.json:
        run.emit(converter().unstructure(balance))
    else:
        for row in balance.text(run.lang).splitlines():
            print(clean(row), file=run.out)
        for line in balance.lines:
            if line.seats < 0:
                print(
                    tr(
                        "over-assigned: {item} for {period} by {seats} seats",
                        run.lang,
                        item=clean(line.item),
                        period=period_words(line.period, run.lang),
                        seats=-line.seats,
                    ),
                    file=run.out,
                )
    return EXIT_OK


def history(run: Run) -> int:
    """``pool history``: every movement of the pool, oldest first, with who and why."""
    events = run.console().store.pool_history()
    if run.json:
        run.emit([to_data(e) for e in events])
        return EXIT_OK
    if not events:
        print(tr("the pool has no history", run.lang), file=run.out)
    for e in events:
        parts = [
            str(e.on),
            tr(e.kind, run.lang),
            clean(e.item),
            period_words(e.period, run.lang),
            f"{e.seats:+d}",
        ]
        if e.client_id:
            parts.append(tr("client {id}", run.lang, id=clean(e.client_id)))
        if e.actor:
            parts.append(tr("by {actor}", run.lang, actor=clean(e.actor)))
        if e.reason:
            parts.append(tr("reason: {reason}", run.lang, reason=clean(e.reason)))
        print("  ".join(parts), file=run.out)
    return EXIT_OK


COMMANDS = (
    Command(
        "pool",
        "show the partner's licence pool (`pool`), or credit it (`pool credit ITEM PERIOD SEATS`)",
        pool,
        _arguments,
        reads_only=_reads_only,
    ),
)
