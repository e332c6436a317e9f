"""What every command is handed: one run of the command line (:class:`Run`), and how a
command declares itself (:class:`Command`).

Shell code: reads the clock (``--today`` defaults to the local date), the
environment (``CYTOLICENSE_DB``, ``CYTOLICENSE_PARTNER``, ``CYTOLICENSE_LANG``)
and the installed catalog plugins.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import attrs

from ..core._catalog import Catalog
from ..core._exceptions import StoreError, said
from ..core._findings import Decision, Finding
from ..core._messages import language_of
from ..core._operations import Operation
from ..engine._change import Change
from ..engine._engine import Engine
from ..plugins._plugins import load_catalog
from ..store._console import Console
from ..store._open import open_store
from ..store._protocol import ClientStore
from ..store._serialize import converter
from ..store._sqlite import Store
from ..views._input import dry_run_said, refusal_header
from ..views._text import tr

__all__ = [
    "DB_ENV",
    "DEFAULT_DB",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_USAGE",
    "LANG_ENV",
    "PARTNER_ENV",
    "TOKEN_ENV",
    "Command",
    "Run",
    "UsageError",
]

DB_ENV = "CYTOLICENSE_DB"
PARTNER_ENV = "CYTOLICENSE_PARTNER"
LANG_ENV = "CYTOLICENSE_LANG"
TOKEN_ENV = "CYTOLICENSE_TOKEN"
DEFAULT_DB = "cytolicense.db"

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_ERROR = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


class UsageError(Exception):
    """A command line that cannot run as given (exit status 2)."""


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    """A command that takes only the global options."""


@attrs.frozen
class Command:
    """One subcommand, as its module in ``cli/commands/`` declares it.

    Attributes:
        name: what is typed (``add-client``).
        help: its one-line help, also the description of its own ``--help``.
        handler: runs it; returns the exit status.
        arguments: adds its positional arguments and options to its parser.
        reads_only: whether it only reads, so that a missing database file is an
            error rather than a new, empty file (a function of the parsed
            arguments when that depends on them, as ``pool`` versus ``pool credit``).
    """

    name: str
    help: str
    handler: Callable[[Run], int]
    arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments
    reads_only: bool | Callable[[argparse.Namespace], bool] = False


class Run:
    """One run of the command line: the parsed arguments, where to write, the language
    and day, and the catalog, engine and console opened when first needed."""

    def __init__(
        self, args: argparse.Namespace, out: TextIO, err: TextIO, command: Command
    ) -> None:
        self.args = args
        self.out = out
        self.err = err
        self.command = command
        self.lang: str = language_of(args.lang or os.environ.get(LANG_ENV, "en"))
        self.today: dt.date = args.today or dt.date.today()
        self.json: bool = args.json
        self._catalog: Catalog | None = None
        self._engine: Engine | None = None
        self._console: Console | None = None

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = load_catalog()
        return self._catalog

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = Engine(self.catalog)
        return self._engine

    def reads_only(self) -> bool:
        """Whether the command only reads (then a missing database file is an error,
        never a new empty file)."""
        if getattr(self.args, "dry_run", False):
            return True
        reads = self.command.reads_only
        return reads(self.args) if callable(reads) else reads

    def sqlite_path(self) -> Path | None:
        """The SQLite file ``--db`` (or ``$CYTOLICENSE_DB``) names; None for a server URL."""
        where = str(self.args.db or os.environ.get(DB_ENV) or DEFAULT_DB)
        if "://" in where and not where.startswith("sqlite:///"):
            return None
        return Path(where.removeprefix("sqlite:///"))

    def console(self, default_db: str = DEFAULT_DB) -> Console:
        """The console over the database; its store is closed when the command ends."""
        if self._console is None:
            partner = self.args.partner
            if partner is None:
                partner = os.environ.get(PARTNER_ENV, "default")
            if not partner.strip():
                raise UsageError(
                    tr(
                        "the partner is empty: give --partner NAME (or set {env}); an empty "
                        "partner never falls back to another",
                        self.lang,
                        env=PARTNER_ENV,
                    )
                )
            if self.args.db == "":
                raise UsageError(
                    tr(
                        "the database is empty: give --db PATH or URL (or set {env}); an "
                        "empty --db never falls back to another",
                        self.lang,
                        env=DB_ENV,
                    )
                )
            where = str(self.args.db or os.environ.get(DB_ENV) or default_db)
            if "://" in where and not where.startswith("sqlite:///"):
                store: ClientStore = open_store(where, partner)
            else:
                path = Path(where.removeprefix("sqlite:///"))
                if self.reads_only() and not path.exists():
                    raise said(
                        StoreError,
                        "no database at {path} (check --db or ${env}, or the folder you run "
                        "from; nothing was created)",
                        path=path,
                        env=DB_ENV,
                    )
                store = Store(path, partner)
            console = Console(self.engine, store)
            operator = getattr(self.args, "operator", None)
            if operator:
                try:
                    console = console.as_operator(operator)
                except BaseException:
                    store.close()
                    raise
            self._console = console
        return self._console

    def close(self) -> None:
        if self._console is not None:
            self._console.store.close()
            self._console = None

    # -- output ------------------------------------------------------------------------

    def emit(self, data: Any) -> None:
        """Print *data* as JSON (``--json``)."""
        print(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True), file=self.out)

    def finding_line(self, f: Finding) -> str:
        return f"{tr(f.severity.value, self.lang)} [{f.code}] {f.message_in(self.lang)}"

    def warnings(self, findings: Sequence[Finding]) -> None:
        for f in findings:
            print(self.finding_line(f), file=self.err)

    def change(self, change: Change, verb: str) -> None:
        """Report a change applied: its warnings, then what changed (or its document)."""
        self.warnings(change.warnings)
        if self.json:
            self.emit(converter().unstructure(change))
            return
        m = change.maintenance
        what = (
            tr("maintenance {id}", self.lang, id=m.id)
            if m is not None
            else tr("client {id}", self.lang, id=change.client.id)
        )
        if not change.events:
            print(tr("{what}: nothing to change", self.lang, what=what), file=self.out)
            return
        print(tr("{verb}: {what}", self.lang, verb=tr(verb, self.lang), what=what), file=self.out)
        if m is not None:
            print(self.engine.detail(change.client, self.today).text(self.lang), file=self.out)

    def refused(self, decision: Decision, operation: str) -> int:
        """Report a refusal (on stderr, or as JSON) and return its exit status."""
        if self.json:
            data = converter().unstructure(decision)
            for doc, f in zip(data["findings"], decision.findings, strict=True):
                # Each finding's message in the language asked for, beside the English.
                doc["translations"] = {
                    **doc.get("translations", {}),
                    self.lang: f.message_in(self.lang),
                }
            self.emit({"refused": operation, **data, "messages": decision.messages(self.lang)})
        else:
            print(tr(refusal_header(operation), self.lang) + ":", file=self.err)
            for f in decision.findings:
                print("  " + self.finding_line(f), file=self.err)
        return EXIT_REFUSED

    # -- the one way an operation is run ------------------------------------------------

    def operate(self, client_id: str, op: Operation, verb: str) -> int:
        """Apply *op* (or, with ``--dry-run``, only check it) and report."""
        console = self.console()
        if getattr(self.args, "dry_run", False):
            decision = console.check(client_id, op, self.today)
            if not decision.ok:
                return self.refused(decision, op.kind)
            if self.json:
                self.emit(converter().unstructure(decision))
            else:
                self.warnings(decision.warnings)
                said = tr(dry_run_said(op.kind), self.lang)
                print(tr("ok: {what} (nothing changed)", self.lang, what=said), file=self.out)
            return EXIT_OK
        change = console.apply(
            client_id,
            op,
            self.today,
            actor=self.args.actor,
            reason=self.args.reason,
            key=self.args.key,
        )
        self.change(change, verb)
        return EXIT_OK
