"""The renewal day: ``auto-renew`` (on or off for a maintenance), ``schedule`` (the
change its next renewal makes, or ``--cancel``) and ``run-day`` (the day's run: every
renewal due, safe to repeat; ``--dry-run`` says what it would do)."""

from __future__ import annotations

import argparse

from ...core._day_run import DayRun
from ...core._operations import ScheduleChange, SetAutoRenew
from ...store._serialize import converter
from ...views._text import table, tr
from .._args import counted, maintenance_arguments, period, seats
from .._run import EXIT_OK, EXIT_REFUSED, Command, Run, UsageError

__all__ = ["COMMANDS"]


def _auto_renew(p: argparse.ArgumentParser) -> None:
    maintenance_arguments(p)
    state = p.add_mutually_exclusive_group(required=True)
    state.add_argument("--on", dest="on", action="store_true", help="renew it on its expiry")
    state.add_argument("--off", dest="on", action="store_false", help="stop renewing it")


def auto_renew(run: Run) -> int:
    a = run.args
    op = SetAutoRenew(maintenance=a.maintenance, on=a.on)
    return run.operate(a.client, op, "auto-renewal on" if a.on else "auto-renewal off")


def _schedule(p: argparse.ArgumentParser) -> None:
    maintenance_arguments(p)
    p.add_argument("--seats", type=seats, default=None, help="the seats the renewal renews")
    p.add_argument("--period", type=period, default=None, help="the renewal's term")
    p.add_argument(
        "--cancel", action="store_true", help="drop the change scheduled (renew as it is)"
    )


def schedule(run: Run) -> int:
    a = run.args
    if a.cancel and (a.seats is not None or a.period is not None):
        raise UsageError(tr("--cancel takes neither --seats nor --period", run.lang))
    if not a.cancel and a.seats is None and a.period is None:
        raise UsageError(tr("give --seats and/or --period, or --cancel", run.lang))
    op = ScheduleChange(maintenance=a.maintenance, quantity=a.seats, period=a.period)
    return run.operate(a.client, op, "schedule cancelled" if a.cancel else "change scheduled")


def _run_day(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--batch",
        type=counted(1, 100_000),
        default=500,
        metavar="CLIENTS",
        help="clients per transaction (a run stopped halfway loses at most one batch)",
    )
    p.add_argument(
        "--notice-days",
        type=_notice_days,
        default=None,
        metavar="DAYS",
        help="keep these expiry notice thresholds for the partner first (days before an "
        "expiry, comma-separated, e.g. 60,30,7,1; 'none' turns the notices off)",
    )


def _notice_days(text: str) -> tuple[int, ...]:
    if text.strip().lower() == "none":
        return ()
    try:
        days = tuple(int(part) for part in text.split(","))
        for t in days:
            if not 1 <= t <= 3660:
                raise ValueError(t)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected days from 1 to 3660 separated by commas, or 'none': {text!r}"
        ) from None
    return days


def run_day(run: Run) -> int:
    """The day's run on ``--today`` (default: today): a table, or ``--json``."""
    dry = bool(getattr(run.args, "dry_run", False))
    if run.args.notice_days is not None and not dry:
        run.console().set_notice_thresholds(run.args.notice_days)
    done = run.console().run_day(run.today, dry_run=dry, batch=run.args.batch)
    if run.json:
        data = converter().unstructure(done)
        run.emit({"day": run.today.isoformat(), "dry_run": dry, **data})
    else:
        print(day_table(done, run.lang, dry=dry), file=run.out)
    return EXIT_REFUSED if done.refused and not dry else EXIT_OK


def day_table(done: DayRun, lang: str, *, dry: bool = False) -> str:
    """The run as a table: a line per operation, applied (or, dry, that would be) or
    refused with its error codes, then the totals."""
    ok = tr("would be done" if dry else "done", lang)
    rows = [
        [cid, op.kind, getattr(op, "maintenance", "-"), _terms(op), ok, ""]
        for cid, op in done.applied
    ]
    rows += [
        [
            cid,
            op.kind,
            getattr(op, "maintenance", "-"),
            _terms(op),
            tr("not done", lang),
            ", ".join(f.code for f in d.errors),
        ]
        for cid, op, d in done.refused
    ]
    rows += [
        [
            cid,
            "expiry_notice",
            e.maintenance_id,
            tr("{days} days before {day}", lang, days=e.days_before, day=e.expires_on),
            ok,
            "",
        ]
        for cid, e in done.notices
    ]
    head = ["client", "operation", "maintenance", "terms", "outcome", "codes"]
    lines = table([tr(h, lang) for h in head], rows) if rows else [tr("nothing due", lang)]
    lines.append(
        tr(
            "{applied} applied, {refused} refused",
            lang,
            applied=len(done.applied),
            refused=len(done.refused),
        )
        + tr(", {notices} expiry notices", lang, notices=len(done.notices))
    )
    return "\n".join(lines)


def _terms(op: object) -> str:
    seats_, term = getattr(op, "quantity", None), getattr(op, "period", None)
    parts = [f"{seats_} seats" if seats_ is not None else "", str(term) if term else ""]
    return " ".join(p for p in parts if p) or "-"


COMMANDS = (
    Command(
        "auto-renew",
        "turn a maintenance's automatic renewal on or off",
        auto_renew,
        _auto_renew,
    ),
    Command(
        "schedule",
        "schedule the change a maintenance's next renewal makes (or --cancel it)",
        schedule,
        _schedule,
    ),
    Command(
        "run-day",
        "the day's run: renew what is due (safe to repeat; --dry-run says what it would do)",
        run_day,
        _run_day,
    ),
)
