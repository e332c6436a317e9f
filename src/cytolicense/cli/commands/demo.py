"""``demo``: a fresh demo database, shown (its data is built in ``cli/_demo.py``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ...store._serialize import converter
from ...store._sqlite import Store
from ...views._detail import MonitoringList
from ...views._text import clean, tr
from .._demo import build_demo
from .._run import EXIT_OK, Command, Run, UsageError

__all__ = ["COMMANDS", "DEMO_DB"]

DEMO_DB = "cytolicense-demo.db"


def demo(run: Run) -> int:
    if run.args.dry_run:
        raise UsageError(
            tr("`demo` has no --dry-run: it only ever writes its own demo file", run.lang)
        )
    # The demo writes only its own file: CYTOLICENSE_DB is not read, and an
    # explicit --db is replaced only when it holds a previous demo.
    path = Path(run.args.db) if run.args.db else Path(DEMO_DB)
    if path.exists() and not _is_demo(path):
        raise UsageError(
            tr(
                "refusing to replace {path}: it is not a demo database (the demo writes "
                "only its own file; omit --db to use ./{demo})",
                run.lang,
                path=path,
                demo=DEMO_DB,
            )
        )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    run.args.db = path
    console = run.console(DEMO_DB)
    featured = build_demo(console, run.today)
    store = console.store
    if isinstance(store, Store):
        store.mark_demo()
    if run.json:
        run.emit(
            {
                "database": str(path),
                "monitoring": [c.id for c in console.monitoring(run.today)],
                "hidden": [
                    c.id for c in console.store.clients() if not run.engine.visible(c, run.today)
                ],
                "detail": converter().unstructure(console.detail(featured, run.today)),
            }
        )
        return EXIT_OK
    shown = console.monitoring(run.today)
    print(
        tr(
            "Demo database: {path} (partner '{partner}'), {count} clients, today {day}",
            run.lang,
            path=path,
            partner=console.store.partner,
            count=len(console.store),
            day=run.today,
        )
        + "\n",
        file=run.out,
    )
    print(tr("Monitoring list ({count} shown):", run.lang, count=len(shown)), file=run.out)
    print(MonitoringList(shown, today=run.today).table(language=run.lang), file=run.out)
    hidden = [c for c in console.store.clients() if not run.engine.visible(c, run.today)]
    for c in hidden:
        print(
            tr(
                "Not shown: {name} [{id}], no service since {day} (90 days or more): "
                "`clients` lists it.",
                run.lang,
                name=clean(c.name),
                id=clean(c.id),
                day=c.ended_on,
            ),
            file=run.out,
        )
    print("", file=run.out)
    print(console.detail(featured, run.today).text(run.lang), file=run.out)
    command = f"python -m cytolicense --db {path} detail {featured}"
    print("\n" + tr("Explore it: {command}", run.lang, command=command), file=run.out)
    return EXIT_OK


def _is_demo(path: Path) -> bool:
    """Whether *path* is a database a previous ``demo`` wrote (never opened for writing)."""
    try:
        # A path is a path: as_uri() escapes '?', '#' and '%' (an f-string URI would
        # read 'a?b.db' as the file 'a' with a query).
        db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'demo'").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return False
    return row is not None


COMMANDS = (Command("demo", "build a fresh demo database and show it", demo),)
