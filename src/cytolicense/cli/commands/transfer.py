"""Bringing clients in and out: ``import`` (CSV or JSON lines) and ``export``."""

from __future__ import annotations

import argparse
from pathlib import Path

from ...views._text import clean, tr
from .._args import seats
from .._run import EXIT_OK, EXIT_REFUSED, Command, Run, UsageError
from .._transfer import ImportReport, export_clients, read_data, write_changes

__all__ = ["COMMANDS"]


def _import(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="a .csv (one row per maintenance) or .jsonl (from `export`)")
    p.add_argument("--batch", type=seats, default=500, help="clients per transaction")


def import_(run: Run) -> int:
    path = Path(run.args.file)
    if not path.exists():
        raise UsageError(tr("no file at {path}", run.lang, path=path))
    tty = run.err.isatty()

    def progress(done: int, total: int) -> None:
        if tty:
            print(
                "\r" + tr("imported {done} of {total} clients", run.lang, done=done, total=total),
                end="",
                file=run.err,
            )

    data = read_data(run.engine, path, run.lang)  # checked whole: no store yet
    report = ImportReport(imported=0, skipped=0, errors=tuple(data.errors))
    if not data.errors and run.args.dry_run:
        if run.json:
            run.emit({"would_import": len(data.changes), "pool_events": len(data.pool_events)})
        else:
            print(
                tr(
                    "ok: {count} client(s) read and checked; nothing imported (dry run)",
                    run.lang,
                    count=len(data.changes),
                ),
                file=run.out,
            )
        return EXIT_OK
    if not data.errors:
        report = write_changes(
            run.console().store,
            data.changes,
            batch=run.args.batch,
            progress=progress,
            pool_events=data.pool_events,
            language=run.lang,
        )
    if tty and report.imported:
        print(file=run.err)
    if report.errors:
        if run.json:
            run.emit({"errors": [{"line": n, "reason": r} for n, r in report.errors]})
        for line, reason in report.errors:
            where = f"{path}:{line}" if line else str(path)
            print(f"{where}: {clean(reason)}", file=run.err)
        print(
            tr(
                "nothing imported: {count} bad row(s); fix them and run again",
                run.lang,
                count=len(report.errors),
            ),
            file=run.err,
        )
        return EXIT_REFUSED
    if run.json:
        run.emit({"imported": report.imported, "skipped": report.skipped})
    else:
        print(
            tr("imported {count} client(s)", run.lang, count=report.imported)
            + (
                tr(", skipped {count} already present", run.lang, count=report.skipped)
                if report.skipped
                else ""
            ),
            file=run.out,
        )
    return EXIT_OK


def export(run: Run) -> int:
    count = export_clients(run.console().store, run.out)
    if run.err.isatty():
        print(tr("exported {count} client(s)", run.lang, count=count), file=run.err)
    return EXIT_OK


COMMANDS = (
    Command(
        "import",
        "import clients from a CSV file or JSON lines (all or nothing per file)",
        import_,
        _import,
    ),
    Command(
        "export",
        "write every client and its events as JSON lines to stdout",
        export,
        reads_only=True,
    ),
)
