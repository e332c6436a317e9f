"""What is used and billed: ``usage-report`` (the month's usage per client and item)
and ``usage`` (devices in use against the seats in force)."""

from __future__ import annotations

import argparse
import csv

from ...store._serialize import converter
from ...views._text import tr
from ...views._usage import UsageBasis
from .._args import month, usage
from .._run import EXIT_OK, Command, Run

__all__ = ["COMMANDS"]

_FIELDS = ("client_id", "item", "seat_days", "peak", "end_of_month", "billed")


def _report(p: argparse.ArgumentParser) -> None:
    p.add_argument("month", type=month, help="the month, YYYY-MM")
    p.add_argument(
        "--basis",
        choices=[b.value for b in UsageBasis],
        default=UsageBasis.SEAT_DAYS.value,
        help="the billed figure: seat-days (pro rata to the day), peak or end-of-month",
    )
    p.add_argument("--csv", action="store_true", help="write the rows as CSV")


def usage_report(run: Run) -> int:
    report = run.console().usage_report(run.args.month, basis=run.args.basis)
    if run.json:
        run.emit(
            {
                "month": report.month,
                "basis": report.basis.value,
                "rows": [{f: getattr(r, f) for f in _FIELDS} for r in report.rows],
                "totals": report.totals(),
            }
        )
        return EXIT_OK
    if run.args.csv:
        writer = csv.writer(run.out, lineterminator="\n")
        writer.writerow(_FIELDS)
        for r in report.rows:
            writer.writerow([getattr(r, f) for f in _FIELDS])
        return EXIT_OK
    t = run.lang
    head = (
        tr("client", t),
        tr("item", t),
        tr("seat-days", t),
        tr("peak", t),
        tr("end of month", t),
        tr("billed", t),
    )
    rows = [
        (r.client_id, r.item, str(r.seat_days), str(r.peak), str(r.end_of_month), str(r.billed))
        for r in report.rows
    ]
    print(
        tr(
            "usage of {month}, billed by {basis}",
            t,
            month=report.month,
            basis=tr(report.basis.value, t),
        ),
        file=run.out,
    )
    if not rows:
        print(tr("no seats in force that month", t), file=run.out)
        return EXIT_OK
    widths = [max(len(x[i]) for x in (head, *rows)) for i in range(len(head))]
    for row in (head, *rows):
        cells = [
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip(), file=run.out)
    return EXIT_OK


def _usage(p: argparse.ArgumentParser) -> None:
    p.add_argument("client", help="the client's id")
    p.add_argument(
        "devices",
        nargs="+",
        type=usage,
        metavar="ID=N",
        help="devices in use per product or module",
    )


def devices(run: Run) -> int:
    client = run.console().get(run.args.client)
    decision = run.engine.usage(client, dict(run.args.devices), run.today)
    if run.json:
        run.emit(converter().unstructure(decision))
    elif not decision.findings:
        print(tr("ok: no device above the seats in force", run.lang), file=run.out)
    else:
        for f in decision.findings:
            print(run.finding_line(f), file=run.out)
    return EXIT_OK


COMMANDS = (
    Command(
        "usage-report",
        "the month's usage per client and item, rebuilt from the events (what an MSP bills)",
        usage_report,
        _report,
        reads_only=True,
    ),
    Command(
        "usage",
        "compare devices in use with the seats in force",
        devices,
        _usage,
        reads_only=True,
    ),
)
