"""Keeping the data safe: ``backup``, ``restore`` and ``verify``."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from ...store._sqlite import copy_database, renew_instance, verify_database
from ...views._text import clean, tr
from .._args import counted
from .._run import EXIT_OK, EXIT_REFUSED, Command, Run, UsageError

__all__ = ["COMMANDS"]


def _backup(p: argparse.ArgumentParser) -> None:
    p.add_argument("destination", help="the new file (never overwritten)")


def backup(run: Run) -> int:
    store = run.console().store
    copy = getattr(store, "backup", None)
    if copy is None:
        raise UsageError(
            tr(
                "back up a PostgreSQL store with its own tools: pg_dump --format=custom "
                "--file FILE DATABASE (the whole database), restored with pg_restore",
                run.lang,
            )
        )
    if run.args.dry_run:
        print(tr("ok: the database would be copied (nothing changed)", run.lang), file=run.out)
        return EXIT_OK
    target = copy(run.args.destination)
    print(tr("copied the database to {path}", run.lang, path=target), file=run.out)
    return EXIT_OK


def _restore(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="a file `backup` wrote")
    p.add_argument("--replace", action="store_true", help="replace an existing database at --db")
    p.add_argument(
        "--wait",
        type=counted(0, 3600),
        default=10,
        metavar="SECONDS",
        help="how long to wait for another writer's lock before giving up",
    )


def restore(run: Run) -> int:
    target = run.sqlite_path()
    if target is None:
        raise UsageError(tr("restore a PostgreSQL store with pg_restore (see `backup`)", run.lang))
    source = Path(run.args.source)
    if not source.exists():
        raise UsageError(tr("no file at {path}", run.lang, path=source))
    if target.exists() and not run.args.replace:
        raise UsageError(
            tr(
                "{path} exists: give --replace to put the backup in its place",
                run.lang,
                path=target,
            )
        )
    folder = target.resolve().parent
    if not folder.is_dir():
        raise UsageError(tr("no folder {path}", run.lang, path=folder))
    # The whole file is put in place, every partner's data with it: so every
    # partner is verified, on a private copy (the very bytes installed after).
    staged = Path(tempfile.mkdtemp(prefix=".cytolicense-restore-", dir=folder))
    try:
        copy = staged / "backup.db"
        copy_database(source, copy, wait=run.args.wait, locked=source)
        problems = verify_database(copy, timeout=run.args.wait)
        if problems:
            for line in problems:
                print(clean(line), file=run.err)
            print(tr("nothing restored: the backup does not verify", run.lang), file=run.err)
            return EXIT_REFUSED
        if run.args.dry_run:
            print(tr("ok: the backup verifies (nothing changed)", run.lang), file=run.out)
            return EXIT_OK
        copy_database(copy, target, wait=run.args.wait, locked=target)
        # Another database now: a process serving the file keeps no forecast of the
        # one replaced (its change marks may repeat with other data).
        renew_instance(target, timeout=run.args.wait)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    print(
        tr("restored {path} from {source}", run.lang, path=target, source=source),
        file=run.out,
    )
    return EXIT_OK


def verify(run: Run) -> int:
    store = run.console().store
    problems = store.verify()
    if run.json:
        run.emit({"ok": not problems, "problems": problems})
    else:
        for line in problems:
            print(clean(line), file=run.out)
        if not problems:
            print(
                tr(
                    "ok: {count} client(s), their events, indexes and the pool agree",
                    run.lang,
                    count=len(store),
                ),
                file=run.out,
            )
    return EXIT_REFUSED if problems else EXIT_OK


COMMANDS = (
    Command(
        "backup",
        "copy the database while it is in use (SQLite's online backup)",
        backup,
        _backup,
        reads_only=True,
    ),
    Command("restore", "put a backup in place of the database (checked first)", restore, _restore),
    Command(
        "verify",
        "check that the partner's data agrees with itself (exit 1 if not)",
        verify,
        reads_only=True,
    ),
)
