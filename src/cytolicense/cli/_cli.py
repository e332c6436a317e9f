"""The ``cytolicense`` command line: every console action and view over a SQLite store.

Shell code: reads the clock (``--today`` defaults to the local date), the
environment (``CYTOLICENSE_DB``, ``CYTOLICENSE_PARTNER``, ``CYTOLICENSE_LANG``)
and the installed catalog plugins.

Exit status: 0 done (warnings included), 1 refused by the rules, 2 bad usage,
3 any other error (unknown client, store or catalog problem).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import secrets
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from ..core._catalog import Catalog
from ..core._exceptions import (
    ClientExistsError,
    CytolicenseError,
    RuleViolation,
    StoreError,
    UnknownIdError,
    said,
)
from ..core._findings import Decision, Finding
from ..core._messages import language_of, period_words
from ..core._operations import (
    AddSeats,
    AssignmentRequest,
    ChangeProduct,
    ConvertTrial,
    DeleteClient,
    DeleteService,
    ExtendTrial,
    GroupSets,
    Modify,
    Operation,
    Renew,
    Resume,
    ResumeClient,
    SetManagement,
    Suspend,
    SuspendClient,
)
from ..core._period import Period
from ..engine._engine import Change, Engine
from ..plugins._plugins import load_catalog
from ..store._console import Console
from ..store._open import open_store
from ..store._protocol import ClientStore
from ..store._serialize import converter, to_data
from ..store._sqlite import Store, copy_database, verify_database
from ..views._catalog_diff import catalog_diff
from ..views._detail import MonitoringList
from ..views._history import describe_history
from ..views._input import ACTIONS, whole_number
from ..views._lifecycle import ExpiryList
from ..views._offer import offers_text
from ..views._text import clean, tr
from ..views._usage import UsageBasis, month_of
from ._demo import build_demo
from ._transfer import ImportReport, export_clients, read_data, write_changes

__all__ = ["main"]


READ_ONLY = frozenset(
    {
        "check",
        "detail",
        "entitlements",
        "history",
        "monitoring",
        "clients",
        "expiring",
        "forecast",
        "usage",
        "usage-report",
        "export",
        "offer",
        "verify",
        "backup",
    }
)
"""Commands that only read: they never create a database file."""

DB_ENV = "CYTOLICENSE_DB"
PARTNER_ENV = "CYTOLICENSE_PARTNER"
LANG_ENV = "CYTOLICENSE_LANG"
TOKEN_ENV = "CYTOLICENSE_TOKEN"
DEFAULT_DB = "cytolicense.db"
DEMO_DB = "cytolicense-demo.db"

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_ERROR = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


_DAY_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class UsageError(Exception):
    """A command line that cannot run as given (exit status 2)."""


def _arg_error(template: str, **values: object) -> argparse.ArgumentTypeError:
    """A bad value on the command line, in the language argparse speaks while it parses
    (see :func:`_argparse_in`)."""
    words: Callable[[str], str] = getattr(argparse, "_")  # noqa: B009
    return argparse.ArgumentTypeError(words(template).format(**values))


def _day(text: str) -> dt.date:
    """An ISO date, YYYY-MM-DD only (not 20261127 nor 2026-W48-5)."""
    try:
        if not _DAY_RE.fullmatch(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _arg_error("not a date (YYYY-MM-DD): '{text}'", text=text) from None


def _seats(text: str) -> int:
    """A whole number in ASCII digits (not 1_0, not full-width digits)."""
    n = whole_number(text) if text == text.strip() else None
    if n is None:
        raise _arg_error("not a whole number: '{text}'", text=text)
    return n


class _Help(argparse.HelpFormatter):
    """Help that shows an option's default when it has a real one."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            default not in (None, False, [], argparse.SUPPRESS)
            and "%(default)" not in text
            and "default" not in text
        ):
            words: Callable[[str], str] = getattr(argparse, "_")  # noqa: B009 (see _argparse_in)
            text += words(" (default: %(default)s)")
        return text


def _month(text: str) -> str:
    """A month ``YYYY-MM`` (a typo is a usage error, exit 2)."""
    try:
        month_of(text)
    except ValueError:
        raise _arg_error("not a month (YYYY-MM): '{text}'", text=text) from None
    return text


def _period(text: str) -> str:
    """A period as the console writes it (``1y``, ``2y``, ``1m``): checked here, so a
    typo is a usage error (exit 2), not a refusal."""
    try:
        return str(Period.parse(text))
    except ValueError:
        raise _arg_error(
            "not a period: '{text}' (expected e.g. 1y, 2y, 3y or 1m)", text=text
        ) from None


def _wildcard(host: str) -> bool:
    """Whether *host* is an address that listens on every interface."""
    return host in ("", "0.0.0.0", "::", "[::]")


def _counted(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from *low* (to *high*), else a usage error."""

    def parse(text: str) -> int:
        n = _seats(text)
        if n < low or (high is not None and n > high):
            if high is None:
                raise _arg_error("must be {low} or more, got {n}", low=low, n=n)
            raise _arg_error("must be from {low} to {high}, got {n}", low=low, high=high, n=n)
        return n

    return parse


def _usage(text: str) -> tuple[str, int]:
    name, sep, count = text.partition("=")
    if not name or not sep:
        raise _arg_error("expected ID=N (devices in use), got '{text}'", text=text)
    n = _seats(count)
    if n < 0:
        raise _arg_error("{name}: devices in use must be 0 or more, got {n}", name=name, n=n)
    return name, n


def _client_id(text: str) -> str:
    """A client id as typed: not empty, no control characters, at most 200 characters."""
    if not text.strip():
        raise _arg_error("a client id cannot be empty")
    if len(text) > 200 or not text.isprintable():
        raise _arg_error(
            "a client id has at most 200 printable characters, got '{text}'", text=clean(text)
        )
    return text


def _module(text: str) -> tuple[str, int | None]:
    name, sep, seats = text.partition("=")
    if not name:
        raise _arg_error("expected MODULE or MODULE=SEATS, got '{text}'", text=text)
    return name, (_seats(seats) if sep else None)


def _lang(text: str) -> str:
    """A language the interface speaks, as a language tag or locale (``es``, ``es-ES``,
    ``es_MX.UTF-8``)."""
    found = language_of(text)
    if found == "en" and not text.lower().startswith("en"):
        raise _arg_error("not a language this tool speaks: '{text}' (en, es)", text=text)
    return found


def _options(suppress: bool) -> argparse.ArgumentParser:
    """The global options; on subcommands they default to "not given" so that an
    option placed before the subcommand is not reset by the subcommand's parser."""
    common = argparse.ArgumentParser(add_help=False)
    none: Any = argparse.SUPPRESS if suppress else None
    common.add_argument(
        "--db",
        default=none,
        help=(
            "database: a file, sqlite:///PATH or postgresql://... "
            f"(default: ${DB_ENV} or ./{DEFAULT_DB})"
        ),
    )
    common.add_argument(
        "--partner",
        default=none,
        help=f"partner the data belongs to (default: ${PARTNER_ENV} or 'default')",
    )
    common.add_argument("--today", type=_day, default=none, help="date to act on (default: today)")
    common.add_argument(
        "--lang",
        type=_lang,
        metavar="{en,es}",
        default=none,
        help=f"language of messages (default: ${LANG_ENV} or en)",
    )
    common.add_argument("--actor", default=none, help="who acts (recorded in the events)")
    common.add_argument("--reason", default=none, help="why (recorded in the events)")
    common.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="print JSON for scripts",
    )
    common.add_argument(
        "--key",
        default=none,
        help="an idempotency key: the same command run again with it applies nothing twice",
    )
    common.add_argument(
        "--dry-run",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="say whether a changing command would go through; change nothing",
    )
    return common


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cytolicense")
    except PackageNotFoundError:  # pragma: no cover - a source tree without metadata
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    common = _options(suppress=True)
    parser = argparse.ArgumentParser(
        prog="cytolicense",
        description="Assign security products and modules to a partner's clients.",
        parents=[_options(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", help="what to do")

    def add(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help,
            description=help,
            parents=[common],
            formatter_class=_Help,
        )

    p = add(
        "catalog",
        "print the installed catalog (`catalog`), or what changed between two of its "
        "releases (`catalog diff OLD NEW`)",
    )
    p.add_argument(
        "action",
        nargs="*",
        metavar="diff OLD NEW",
        help="list what release NEW adds, removes and changes against release OLD",
    )
    p.add_argument(
        "--on",
        type=_day,
        default=None,
        help="print the catalog release in force on this day (default: the newest)",
    )
    p = add("add-client", "add a client")
    p.add_argument("client", type=_client_id, help="the new client's id")
    p.add_argument("name", help="its name, as the console shows it")

    def modules(
        p: argparse.ArgumentParser,
        help: str = "the modules wanted (repeatable; default: the old maintenance's)",
        default: list[tuple[str, int | None]] | None = None,
    ) -> None:
        p.add_argument(
            "--module",
            dest="modules",
            type=_module,
            action="append",
            default=default,
            metavar="MODULE[=SEATS]",
            help=help,
        )

    def target(name: str, help: str) -> argparse.ArgumentParser:
        p = add(name, help)
        p.add_argument("client", help="the client's id")
        p.add_argument("maintenance", help="the maintenance id (m1, m2, ...; see `detail`)")
        return p

    def assignment(p: argparse.ArgumentParser) -> None:
        p.add_argument("client", help="the client's id")
        p.add_argument("--product", required=True, help="the product id (see `catalog`)")
        p.add_argument(
            "--type",
            dest="license_type",
            choices=["commercial", "trial"],
            default="commercial",
            help="the licence type",
        )
        p.add_argument("--seats", type=_seats, required=True, help="number of seats")
        p.add_argument(
            "--period", type=_period, default=None, help="1y, 2y, 3y or 1m (commercial only)"
        )
        modules(p, "add a module (repeatable)", default=[])
        p.add_argument(
            "--management",
            choices=["centralized", "unmanaged"],
            default="centralized",
            help="centralized management or not",
        )

    assignment(add("assign", "assign a product (and modules) to a client"))
    assignment(add("check", "say whether an assignment would go through, changing nothing"))
    p = add("modify", "change a maintenance's seats or modules")
    p.add_argument("client", help="the client's id")
    p.add_argument("maintenance", help="the maintenance id (see `detail`)")
    p.add_argument("--seats", type=_seats, default=None, help="new number of seats")
    modules(p, "add a module or change its seats, keeping the others (repeatable)")
    p.add_argument(
        "--drop-module",
        dest="drop",
        action="append",
        default=[],
        metavar="MODULE",
        help="remove a module (repeatable)",
    )
    p.add_argument("--no-modules", action="store_true", help="remove every module")
    for name, help in (
        ("manage", "start centralized management of a maintenance"),
        ("unmanage", "stop centralized management of a maintenance"),
        ("delete-service", "delete a maintenance"),
    ):
        target(name, help)
    p = target("renew", "renew a commercial maintenance: new end = old end + period")
    p.add_argument(
        "--period", type=_period, default=None, help="default: the maintenance's own period"
    )
    for name, help in (
        ("change", "change a maintenance to another product of its family, from today"),
        ("convert", "convert a trial into a commercial maintenance"),
    ):
        p = target(name, help)
        if name == "change":
            p.add_argument("--product", required=True, help="the new product id")
        p.add_argument("--period", type=_period, required=True, help="the new term")
        p.add_argument("--seats", type=_seats, default=None, help="default: the old seats")
        modules(p)
        p.add_argument(
            "--management",
            choices=["centralized", "unmanaged"],
            default=None,
            help="default: the old maintenance's",
        )
    target("extend", "extend a trial once, by the product's extension days")
    target("suspend", "suspend a service: nothing granted from tomorrow, the term runs on")
    target("resume", "resume a suspended service (not after its expiry)")
    p = add("suspend-client", "suspend every active service of a client")
    p.add_argument("client", help="the client's id")
    p = add("resume-client", "resume the services a client-wide suspension suspended")
    p.add_argument("client", help="the client's id")
    p = target("add-seats", "add seats bought for a term, co-termed")
    p.add_argument("--seats", type=_seats, required=True, help="seats added")
    p.add_argument("--period", type=_period, required=True, help="the term they were bought for")
    p = add(
        "usage-report",
        "the month's usage per client and item, rebuilt from the events (what an MSP bills)",
    )
    p.add_argument("month", type=_month, help="the month, YYYY-MM")
    p.add_argument(
        "--basis",
        choices=[b.value for b in UsageBasis],
        default=UsageBasis.SEAT_DAYS.value,
        help="the billed figure: seat-days (pro rata to the day), peak or end-of-month",
    )
    p.add_argument("--csv", action="store_true", help="write the rows as CSV")
    p = add("group", "group a product's active licence sets into one, co-termed")
    p.add_argument("client", help="the client's id")
    p.add_argument("product", help="the product whose licence sets are grouped")
    p = add(
        "pool",
        "show the partner's licence pool (`pool`), or credit it (`pool credit ITEM PERIOD SEATS`)",
    )
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
    p = add("expiring", "list what expires soon (and what is in grace)")
    p.add_argument(
        "--within", type=_counted(0), default=30, metavar="DAYS", help="days ahead to look"
    )
    p = add("forecast", "seats that expire per product per month")
    p.add_argument("--months", type=_counted(1, 1200), default=12, help="calendar months to count")
    p = add("usage", "compare devices in use with the seats in force")
    p.add_argument("client", help="the client's id")
    p.add_argument(
        "devices",
        nargs="+",
        type=_usage,
        metavar="ID=N",
        help="devices in use per product or module",
    )
    add("offer", "what the add-product dialog may offer a client today").add_argument(
        "client", help="the client's id"
    )
    for name, help in (
        ("delete-client", "delete a client (visible for 90 more days)"),
        ("detail", "show a client's detail"),
        ("entitlements", "show the seats a client may use today"),
        ("history", "show a client's events"),
    ):
        add(name, help).add_argument("client", help="the client's id")
    add("monitoring", "list the clients the console shows")
    add("clients", "list every client, shown or not")
    add("demo", "build a fresh demo database and show it")
    p = add("import", "import clients from a CSV file or JSON lines (all or nothing per file)")
    p.add_argument("file", help="a .csv (one row per maintenance) or .jsonl (from `export`)")
    p.add_argument("--batch", type=_seats, default=500, help="clients per transaction")
    add("export", "write every client and its events as JSON lines to stdout")
    p = add("serve", "serve the web console and its JSON API (needs cytolicense[web])")
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    p.add_argument("--port", type=_counted(1, 65535), default=8000, help="the port")
    p.add_argument(
        "--token",
        default=None,
        help=f"a token every request must carry (default: ${TOKEN_ENV}); required off loopback",
    )
    p.add_argument(
        "--public-name",
        action="append",
        default=[],
        metavar="HOST",
        help="a host name browsers reach the console by (repeatable); other Host headers "
        "are refused, as DNS rebinding would send them",
    )
    p.add_argument(
        "--workers", type=_counted(1, 64), default=1, help="server processes (default 1)"
    )
    p.add_argument(
        "--create",
        action="store_true",
        help="start a new, empty SQLite database when --db names no file (else refused)",
    )
    p = add("backup", "copy the database while it is in use (SQLite's online backup)")
    p.add_argument("destination", help="the new file (never overwritten)")
    p = add("restore", "put a backup in place of the database (checked first)")
    p.add_argument("source", help="a file `backup` wrote")
    p.add_argument("--replace", action="store_true", help="replace an existing database at --db")
    p.add_argument(
        "--wait",
        type=_counted(0, 3600),
        default=10,
        metavar="SECONDS",
        help="how long to wait for another writer's lock before giving up",
    )
    add("verify", "check that the partner's data agrees with itself (exit 1 if not)")
    p = add("keys", "manage idempotency keys: `keys prune --before DATE`")
    p.add_argument("action", choices=["prune"], help="what to do")
    p.add_argument("--before", type=_day, required=True, help="forget keys stored before this day")
    return parser


class _Run:
    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
        self.args = args
        self.out = out
        self.err = err
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

    def reads_only(self) -> bool:
        """Whether the command only reads (then a missing database file is an error,
        never a new empty file)."""
        command = self.args.command or "catalog"
        if getattr(self.args, "dry_run", False):
            return True
        if command == "pool":
            return self.args.credit is None and not self.args.action
        return command in READ_ONLY

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
            self._console = Console(self.engine, store)
        return self._console

    def close(self) -> None:
        if self._console is not None:
            self._console.store.close()
            self._console = None

    # -- output ------------------------------------------------------------------------

    def emit(self, data: Any) -> None:
        print(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True), file=self.out)

    def finding_line(self, f: Finding) -> str:
        return f"{tr(f.severity.value, self.lang)} [{f.code}] {f.message_in(self.lang)}"

    def warnings(self, findings: Sequence[Finding]) -> None:
        for f in findings:
            print(self.finding_line(f), file=self.err)

    def change(self, change: Change, verb: str) -> None:
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

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = Engine(self.catalog)
        return self._engine

    def refused(self, decision: Decision, operation: str) -> int:
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
            header = ACTIONS[operation][0] if operation in ACTIONS else None
            print(
                (tr(header, self.lang) if header else f"{operation} refused") + ":",
                file=self.err,
            )
            for f in decision.findings:
                print("  " + self.finding_line(f), file=self.err)
        return EXIT_REFUSED

    def clients_table(self, clients: list[Any], *, every: bool = False) -> None:
        if self.json:
            self.emit(
                [
                    {
                        **converter().unstructure(c),
                        "shown": self.engine.visible(c, self.today),
                        "ended_on": c.ended_on.isoformat(),
                    }
                    for c in clients
                ]
            )
            return
        store = self.console().store
        if not clients and len(store) == 0:
            print(
                f"partner {store.partner!r} has no client in this database "
                "(check --partner or $CYTOLICENSE_PARTNER)",
                file=self.out,
            )
            return
        listing = MonitoringList(clients, today=self.today)
        print(listing.table(every=every, language=self.lang), file=self.out)

    # -- commands --------------------------------------------------------------------

    def request(self) -> AssignmentRequest:
        a = self.args
        return AssignmentRequest(
            product=a.product,
            license_type=a.license_type,
            quantity=a.seats,
            period=a.period,
            modules=dict(a.modules),
            management=a.management,
        )

    def run(self) -> int:
        command = self.args.command or "catalog"
        handler: Callable[[], int] = getattr(self, "cmd_" + command.replace("-", "_"))
        return handler()

    def cmd_catalog(self) -> int:
        action = list(getattr(self.args, "action", None) or ())
        if action:
            if action[0] != "diff" or len(action) != 3:
                raise UsageError(tr("expected `catalog` or `catalog diff OLD NEW`", self.lang))
            return self.catalog_diff(action[1], action[2])
        on = getattr(self.args, "on", None)
        catalog = self.catalog if on is None else self.catalog.at(on)
        if self.json:
            c = converter()
            self.emit(
                {
                    "release": {
                        "version": catalog.version,
                        "effective": catalog.effective.isoformat(),
                    },
                    "releases": [
                        {"version": r.version, "effective": r.effective.isoformat()}
                        for r in self.catalog.releases
                    ],
                    "families": [c.unstructure(f) for f in catalog.families.values()],
                    "modules": [c.unstructure(m) for m in catalog.modules.values()],
                    "products": [c.unstructure(p) for p in catalog.products.values()],
                }
            )
        else:
            text = catalog.text(self.lang)
            if len(self.catalog.releases) > 1 and text:
                text = (
                    tr(
                        "catalog release '{version}', in force from {day}",
                        self.lang,
                        version=catalog.version,
                        day=catalog.effective.isoformat(),
                    )
                    + "\n"
                    + text
                )
            print(text or tr("no catalog plugin is installed", self.lang), file=self.out)
        return EXIT_OK

    def catalog_diff(self, old: str, new: str) -> int:
        """``catalog diff OLD NEW``: what release *new* changes against *old*."""
        before, after = self.catalog.release(old), self.catalog.release(new)
        changes = catalog_diff(before, after)
        if self.json:
            self.emit(
                {
                    "from": old,
                    "to": new,
                    "changes": [
                        {
                            "kind": x.kind,
                            "record": x.record,
                            "id": x.id,
                            "fields": [{"field": f, "old": a, "new": b} for f, a, b in x.fields],
                        }
                        for x in changes
                    ],
                }
            )
        elif not changes:
            print(tr("no difference between the two releases", self.lang), file=self.out)
        else:
            for x in changes:
                print(x.text(self.lang), file=self.out)
        return EXIT_OK

    def cmd_add_client(self) -> int:
        if self.args.dry_run:
            change = self.engine.new_client(self.args.client, self.args.name, self.today)
            where = self.args.db or os.environ.get(DB_ENV) or DEFAULT_DB
            exists = "://" in where or Path(where.removeprefix("sqlite:///")).exists()
            if exists and self.args.client in self.console().store:
                raise ClientExistsError(self.args.client, None)
            if self.json:
                self.emit(converter().unstructure(change.client))
            else:
                print(
                    tr("ok: the client would be added (nothing changed)", self.lang),
                    file=self.out,
                )
            return EXIT_OK
        console = self.console()
        try:
            client = console.add_client(
                self.args.client,
                self.args.name,
                self.today,
                actor=self.args.actor,
                reason=self.args.reason,
            )
        except ClientExistsError as exc:
            existing = console.store.get(self.args.client)
            if self.engine.visible(existing, self.today):
                how = tr(
                    "it was deleted and is still shown: assign it a product to restore it"
                    if existing.deleted_on is not None
                    else "assign it products, or choose another id",
                    self.lang,
                )
            else:
                how = tr(
                    "it left the console on {day} and can no longer be reused; add the client "
                    "under another id (the old history stays)",
                    self.lang,
                    day=existing.ended_on,
                )
            raise StoreError(f"{exc.message_in(self.lang)}: {how}") from None  # in the language
        if self.json:
            self.emit(converter().unstructure(client))
        else:
            print(
                tr(
                    "added client {id} ({name}) on {day}",
                    self.lang,
                    id=client.id,
                    name=clean(client.name),
                    day=client.created_on,
                ),
                file=self.out,
            )
        return EXIT_OK

    def cmd_assign(self) -> int:
        return self.operate(self.args.client, self.request(), "assigned")

    def cmd_check(self) -> int:
        decision = self.console().check(self.args.client, self.request(), self.today)
        if not decision.ok:
            return self.refused(decision, "assign")
        if self.json:
            self.emit(converter().unstructure(decision))
        else:
            self.warnings(decision.warnings)
            r = self.request()
            what = f"{tr(r.license_type.value, self.lang)} {r.product} x{r.quantity}" + (
                " " + tr("for {period}", self.lang, period=period_words(r.period, self.lang))
                if r.period
                else ""
            )
            print(
                tr("ok: the assignment ({what}) would go through", self.lang, what=what),
                file=self.out,
            )
        return EXIT_OK

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
                said = tr(ACTIONS[op.kind][1], self.lang)
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

    def cmd_modify(self) -> int:
        a = self.args
        modules: dict[str, int | None] | None = None
        if a.no_modules:
            modules = {}
        elif a.modules is not None or a.drop:
            # --module adds or changes the named modules and keeps the rest.
            current = self.console().store.get(a.client)
            try:
                m = current.maintenance(a.maintenance)
            except UnknownIdError:
                m = None
            modules = self.engine.modules_of(m) if m is not None else {}
            modules.update(dict(a.modules or ()))
            for mid in a.drop:
                if mid not in modules:
                    raise UsageError(
                        tr(
                            "--drop-module {module}: the maintenance has no module '{module}'",
                            self.lang,
                            module=mid,
                        )
                    )
                del modules[mid]
        op = Modify(maintenance=a.maintenance, quantity=a.seats, modules=modules)
        return self.operate(a.client, op, "modified")

    def cmd_manage(self) -> int:
        op = SetManagement(maintenance=self.args.maintenance, mode="centralized")
        return self.operate(self.args.client, op, "centralized management started")

    def cmd_unmanage(self) -> int:
        op = SetManagement(maintenance=self.args.maintenance, mode="unmanaged")
        return self.operate(self.args.client, op, "centralized management stopped")

    def cmd_delete_service(self) -> int:
        op = DeleteService(maintenance=self.args.maintenance)
        return self.operate(self.args.client, op, "deleted")

    def cmd_delete_client(self) -> int:
        return self.operate(self.args.client, DeleteClient(), "deleted (shown for 90 more days)")

    def cmd_renew(self) -> int:
        op = Renew(maintenance=self.args.maintenance, period=self.args.period)
        return self.operate(self.args.client, op, "renewed")

    def _new_terms(self) -> dict[str, Any]:
        a = self.args
        return {
            "maintenance": a.maintenance,
            "period": a.period,
            "quantity": a.seats,
            "modules": dict(a.modules) if a.modules is not None else None,
            "management": a.management,
        }

    def cmd_change(self) -> int:
        op = ChangeProduct(product=self.args.product, **self._new_terms())
        return self.operate(self.args.client, op, "changed")

    def cmd_convert(self) -> int:
        return self.operate(self.args.client, ConvertTrial(**self._new_terms()), "converted")

    def cmd_extend(self) -> int:
        op = ExtendTrial(maintenance=self.args.maintenance)
        return self.operate(self.args.client, op, "extended")

    def cmd_suspend(self) -> int:
        op = Suspend(maintenance=self.args.maintenance)
        return self.operate(self.args.client, op, "suspended")

    def cmd_resume(self) -> int:
        op = Resume(maintenance=self.args.maintenance)
        return self.operate(self.args.client, op, "resumed")

    def cmd_suspend_client(self) -> int:
        return self.operate(self.args.client, SuspendClient(), "suspended")

    def cmd_resume_client(self) -> int:
        return self.operate(self.args.client, ResumeClient(), "resumed")

    def cmd_add_seats(self) -> int:
        a = self.args
        op = AddSeats(maintenance=a.maintenance, quantity=a.seats, period=a.period)
        return self.operate(a.client, op, "seats added")

    def cmd_usage_report(self) -> int:
        report = self.console().usage_report(self.args.month, basis=self.args.basis)
        fields = ("client_id", "item", "seat_days", "peak", "end_of_month", "billed")
        if self.json:
            self.emit(
                {
                    "month": report.month,
                    "basis": report.basis.value,
                    "rows": [{f: getattr(r, f) for f in fields} for r in report.rows],
                    "totals": report.totals(),
                }
            )
            return EXIT_OK
        if self.args.csv:
            import csv

            writer = csv.writer(self.out, lineterminator="\n")
            writer.writerow(fields)
            for r in report.rows:
                writer.writerow([getattr(r, f) for f in fields])
            return EXIT_OK
        t = self.lang
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
            file=self.out,
        )
        if not rows:
            print(tr("no seats in force that month", t), file=self.out)
            return EXIT_OK
        widths = [max(len(x[i]) for x in (head, *rows)) for i in range(len(head))]
        for row in (head, *rows):
            cells = [
                c.ljust(w) if i < 2 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ]
            print("  ".join(cells).rstrip(), file=self.out)
        return EXIT_OK

    def cmd_group(self) -> int:
        return self.operate(self.args.client, GroupSets(product=self.args.product), "grouped")

    def cmd_pool(self) -> int:
        action = list(self.args.action)
        if action == ["history"]:
            return self.pool_history()
        if action:
            if action[0] != "credit" or len(action) != 4:
                raise UsageError(
                    tr(
                        "expected `pool`, `pool history` or `pool credit ITEM PERIOD SEATS`",
                        self.lang,
                    )
                )
            self.args.credit = action[1:]
        console = self.console()
        if self.args.credit is not None:
            item, period, seats = self.args.credit
            try:
                count = _seats(seats)
            except argparse.ArgumentTypeError as exc:
                raise UsageError(str(exc)) from None
            try:
                period = _period(period)
            except argparse.ArgumentTypeError as exc:
                raise UsageError(str(exc)) from None
            pool = console.credit_pool(
                item,
                period,
                count,
                self.today,
                actor=self.args.actor,
                reason=self.args.reason,
                allow_negative=self.args.allow_negative,
                dry_run=self.args.dry_run,
            )
            if self.args.dry_run and not self.json:
                print(tr("ok: the pool would be (nothing changed):", self.lang), file=self.out)
        else:
            pool = console.pool()
        if self.json:
            self.emit(converter().unstructure(pool))
        else:
            for row in pool.text(self.lang).splitlines():
                print(clean(row), file=self.out)
            for line in pool.lines:
                if line.seats < 0:
                    print(
                        tr(
                            "over-assigned: {item} for {period} by {seats} seats",
                            self.lang,
                            item=clean(line.item),
                            period=period_words(line.period, self.lang),
                            seats=-line.seats,
                        ),
                        file=self.out,
                    )
        return EXIT_OK

    def pool_history(self) -> int:
        """``pool history``: every movement of the pool, oldest first, with who and why."""
        events = self.console().store.pool_history()
        if self.json:
            self.emit([to_data(e) for e in events])
            return EXIT_OK
        if not events:
            print(tr("the pool has no history", self.lang), file=self.out)
        for e in events:
            parts = [
                str(e.on),
                tr(e.kind, self.lang),
                clean(e.item),
                period_words(e.period, self.lang),
                f"{e.seats:+d}",
            ]
            if e.client_id:
                parts.append(tr("client {id}", self.lang, id=clean(e.client_id)))
            if e.actor:
                parts.append(tr("by {actor}", self.lang, actor=clean(e.actor)))
            if e.reason:
                parts.append(tr("reason: {reason}", self.lang, reason=clean(e.reason)))
            print("  ".join(parts), file=self.out)
        return EXIT_OK

    def cmd_expiring(self) -> int:
        rows = self.console().expiring(self.today, self.args.within)
        if self.json:
            self.emit([converter().unstructure(e) for e in rows])
        else:
            print(ExpiryList(rows).table(self.lang), file=self.out)
        return EXIT_OK

    def cmd_forecast(self) -> int:
        fc = self.console().forecast(self.today, self.args.months)
        if self.json:
            self.emit(
                {
                    "months": [f"{y:04d}-{m:02d}" for y, m in fc.months],
                    "seats": {p: list(v) for p, v in fc.seats.items()},
                }
            )
        else:
            print(fc.table(self.lang), file=self.out)
        return EXIT_OK

    def cmd_usage(self) -> int:
        client = self.console().store.get(self.args.client)
        decision = self.engine.usage(client, dict(self.args.devices), self.today)
        if self.json:
            self.emit(converter().unstructure(decision))
        elif not decision.findings:
            print(tr("ok: no device above the seats in force", self.lang), file=self.out)
        else:
            for f in decision.findings:
                print(self.finding_line(f), file=self.out)
        return EXIT_OK

    def cmd_serve(self) -> int:
        import ipaddress

        host = self.args.host
        token = self.args.token or os.environ.get(TOKEN_ENV) or None
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback and token is None:
            raise UsageError(
                tr(
                    "serving on {host} (not a loopback address) needs a token: give --token "
                    "or set {env}",
                    self.lang,
                    host=host,
                    env=TOKEN_ENV,
                )
            )
        try:
            import uvicorn

            from ..web import LOOPBACK_HOSTS, SERVE_ENV, ServeSettings, create_app
        except ImportError:
            raise UsageError(
                tr("the web console needs its extra: pip install 'cytolicense[web]'", self.lang)
            ) from None
        partner = self.args.partner or os.environ.get(PARTNER_ENV, "default")
        if not partner.strip():
            raise UsageError(tr("the partner is empty: give --partner NAME", self.lang))
        db = self._served_db()
        hosts = [*LOOPBACK_HOSTS, *self.args.public_name]
        if not _wildcard(host):
            hosts.append(host)
        settings = ServeSettings(
            db=db,
            partner=partner,
            today=self.args.today,
            language=self.lang,
            token=token,
            allowed_hosts=tuple(hosts),
            secret=secrets.token_hex(32),
        )
        print(
            tr(
                "the console is at http://{host}:{port}/", self.lang, host=host, port=self.args.port
            ),
            file=self.err,
        )
        if self.args.workers == 1:
            uvicorn.run(
                create_app(**settings.app_args()),
                host=host,
                port=self.args.port,
                log_level="warning",
            )
        else:  # each worker process builds its app from the settings in its environment
            os.environ[SERVE_ENV] = settings.to_env()
            uvicorn.run(
                "cytolicense.web:app_from_environment",
                factory=True,
                host=host,
                port=self.args.port,
                workers=self.args.workers,
                log_level="warning",
            )
        return EXIT_OK

    def _served_db(self) -> str:
        """The database ``serve`` opens: a SQLite file must exist unless ``--create``
        (a mistyped ``--db`` never starts an empty console), and an empty ``--db``
        never falls back to another."""
        if self.args.db == "":
            raise UsageError(
                tr(
                    "the database is empty: give --db PATH or URL (or set {env}); an "
                    "empty --db never falls back to another",
                    self.lang,
                    env=DB_ENV,
                )
            )
        path = self._sqlite_path()
        if path is not None and not path.exists() and not self.args.create:
            raise UsageError(
                tr(
                    "no database at {path} (check --db or ${env}); give --create to start "
                    "a new, empty one",
                    self.lang,
                    path=path,
                    env=DB_ENV,
                )
            )
        return str(self.args.db or os.environ.get(DB_ENV) or DEFAULT_DB)

    def _sqlite_path(self) -> Path | None:
        where = str(self.args.db or os.environ.get(DB_ENV) or DEFAULT_DB)
        if "://" in where and not where.startswith("sqlite:///"):
            return None
        return Path(where.removeprefix("sqlite:///"))

    def cmd_backup(self) -> int:
        store = self.console().store
        backup = getattr(store, "backup", None)
        if backup is None:
            raise UsageError(
                tr(
                    "back up a PostgreSQL store with its own tools: pg_dump --format=custom "
                    "--file FILE DATABASE (the whole database), restored with pg_restore",
                    self.lang,
                )
            )
        if self.args.dry_run:
            print(
                tr("ok: the database would be copied (nothing changed)", self.lang), file=self.out
            )
            return EXIT_OK
        target = backup(self.args.destination)
        print(tr("copied the database to {path}", self.lang, path=target), file=self.out)
        return EXIT_OK

    def cmd_restore(self) -> int:
        import shutil
        import tempfile

        target = self._sqlite_path()
        if target is None:
            raise UsageError(
                tr("restore a PostgreSQL store with pg_restore (see `backup`)", self.lang)
            )
        source = Path(self.args.source)
        if not source.exists():
            raise UsageError(tr("no file at {path}", self.lang, path=source))
        if target.exists() and not self.args.replace:
            raise UsageError(
                tr(
                    "{path} exists: give --replace to put the backup in its place",
                    self.lang,
                    path=target,
                )
            )
        folder = target.resolve().parent
        if not folder.is_dir():
            raise UsageError(tr("no folder {path}", self.lang, path=folder))
        # The whole file is put in place, every partner's data with it: so every
        # partner is verified, on a private copy (the very bytes installed after).
        staged = Path(tempfile.mkdtemp(prefix=".cytolicense-restore-", dir=folder))
        try:
            copy = staged / "backup.db"
            copy_database(source, copy, wait=self.args.wait, locked=source)
            problems = verify_database(copy, timeout=self.args.wait)
            if problems:
                for line in problems:
                    print(clean(line), file=self.err)
                print(tr("nothing restored: the backup does not verify", self.lang), file=self.err)
                return EXIT_REFUSED
            if self.args.dry_run:
                print(tr("ok: the backup verifies (nothing changed)", self.lang), file=self.out)
                return EXIT_OK
            copy_database(copy, target, wait=self.args.wait, locked=target)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
        print(
            tr("restored {path} from {source}", self.lang, path=target, source=source),
            file=self.out,
        )
        return EXIT_OK

    def cmd_verify(self) -> int:
        store = self.console().store
        problems = store.verify()
        if self.json:
            self.emit({"ok": not problems, "problems": problems})
        else:
            for line in problems:
                print(clean(line), file=self.out)
            if not problems:
                print(
                    tr(
                        "ok: {count} client(s), their events, indexes and the pool agree",
                        self.lang,
                        count=len(store),
                    ),
                    file=self.out,
                )
        return EXIT_REFUSED if problems else EXIT_OK

    def cmd_keys(self) -> int:
        console = self.console()
        if self.args.dry_run:
            print(tr("ok: keys would be pruned (nothing changed)", self.lang), file=self.out)
            return EXIT_OK
        count = console.prune_keys(self.args.before)
        if self.json:
            self.emit({"pruned": count})
        else:
            print(
                tr(
                    "forgot {count} idempotency key(s) stored before {day}",
                    self.lang,
                    count=count,
                    day=self.args.before,
                ),
                file=self.out,
            )
        return EXIT_OK

    def cmd_offer(self) -> int:
        console = self.console()
        offers = console.offer(self.args.client, self.today)
        if self.json:
            self.emit({"products": [to_data(o) for o in offers]})
        else:
            print(offers_text(offers, self.lang), file=self.out)
        return EXIT_OK

    def cmd_detail(self) -> int:
        detail = self.console().detail(self.args.client, self.today)
        if self.json:
            self.emit(converter().unstructure(detail))
        else:
            print(detail.text(self.lang), file=self.out)
        return EXIT_OK

    def cmd_entitlements(self) -> int:
        seats = self.console().entitlements(self.args.client, self.today)
        if self.json:
            self.emit(seats)
        elif not seats:
            print(tr("no seats in force on {day}", self.lang, day=self.today), file=self.out)
        else:
            width = max(len(k) for k in seats)
            for key in sorted(seats):
                print(f"{key:<{width}}  {seats[key]}", file=self.out)
        return EXIT_OK

    def cmd_history(self) -> int:
        events = self.console().history(self.args.client)
        if self.json:
            self.emit([to_data(e) for e in events])
            return EXIT_OK
        for line in describe_history(events, self.lang):
            print(line, file=self.out)
        return EXIT_OK

    def cmd_monitoring(self) -> int:
        self.clients_table(self.console().monitoring(self.today))
        return EXIT_OK

    def cmd_clients(self) -> int:
        self.clients_table(self.console().store.clients(), every=True)
        return EXIT_OK

    def cmd_import(self) -> int:
        path = Path(self.args.file)
        if not path.exists():
            raise UsageError(tr("no file at {path}", self.lang, path=path))
        tty = self.err.isatty()

        def progress(done: int, total: int) -> None:
            if tty:
                print(
                    "\r"
                    + tr("imported {done} of {total} clients", self.lang, done=done, total=total),
                    end="",
                    file=self.err,
                )

        data = read_data(self.engine, path, self.lang)  # checked whole: no store yet
        report = ImportReport(imported=0, skipped=0, errors=tuple(data.errors))
        if not data.errors and self.args.dry_run:
            if self.json:
                self.emit({"would_import": len(data.changes), "pool_events": len(data.pool_events)})
            else:
                print(
                    tr(
                        "ok: {count} client(s) read and checked; nothing imported (dry run)",
                        self.lang,
                        count=len(data.changes),
                    ),
                    file=self.out,
                )
            return EXIT_OK
        if not data.errors:
            report = write_changes(
                self.console().store,
                data.changes,
                batch=self.args.batch,
                progress=progress,
                pool_events=data.pool_events,
                language=self.lang,
            )
        if tty and report.imported:
            print(file=self.err)
        if report.errors:
            if self.json:
                self.emit({"errors": [{"line": n, "reason": r} for n, r in report.errors]})
            for line, reason in report.errors:
                where = f"{path}:{line}" if line else str(path)
                print(f"{where}: {clean(reason)}", file=self.err)
            print(
                tr(
                    "nothing imported: {count} bad row(s); fix them and run again",
                    self.lang,
                    count=len(report.errors),
                ),
                file=self.err,
            )
            return EXIT_REFUSED
        if self.json:
            self.emit({"imported": report.imported, "skipped": report.skipped})
        else:
            print(
                tr("imported {count} client(s)", self.lang, count=report.imported)
                + (
                    tr(", skipped {count} already present", self.lang, count=report.skipped)
                    if report.skipped
                    else ""
                ),
                file=self.out,
            )
        return EXIT_OK

    def cmd_export(self) -> int:
        count = export_clients(self.console().store, self.out)
        if self.err.isatty():
            print(tr("exported {count} client(s)", self.lang, count=count), file=self.err)
        return EXIT_OK

    def cmd_demo(self) -> int:
        if self.args.dry_run:
            raise UsageError(
                tr("`demo` has no --dry-run: it only ever writes its own demo file", self.lang)
            )
        # The demo writes only its own file: CYTOLICENSE_DB is not read, and an
        # explicit --db is replaced only when it holds a previous demo.
        path = Path(self.args.db) if self.args.db else Path(DEMO_DB)
        if path.exists() and not _is_demo(path):
            raise UsageError(
                tr(
                    "refusing to replace {path}: it is not a demo database (the demo writes "
                    "only its own file; omit --db to use ./{demo})",
                    self.lang,
                    path=path,
                    demo=DEMO_DB,
                )
            )
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        self.args.db = path
        console = self.console(DEMO_DB)
        featured = build_demo(console, self.today)
        store = console.store
        if isinstance(store, Store):
            store.mark_demo()
        if self.json:
            self.emit(
                {
                    "database": str(path),
                    "monitoring": [c.id for c in console.monitoring(self.today)],
                    "hidden": [
                        c.id
                        for c in console.store.clients()
                        if not self.engine.visible(c, self.today)
                    ],
                    "detail": converter().unstructure(console.detail(featured, self.today)),
                }
            )
            return EXIT_OK
        shown = console.monitoring(self.today)
        print(
            tr(
                "Demo database: {path} (partner '{partner}'), {count} clients, today {day}",
                self.lang,
                path=path,
                partner=console.store.partner,
                count=len(console.store),
                day=self.today,
            )
            + "\n",
            file=self.out,
        )
        print(tr("Monitoring list ({count} shown):", self.lang, count=len(shown)), file=self.out)
        print(MonitoringList(shown, today=self.today).table(language=self.lang), file=self.out)
        hidden = [c for c in console.store.clients() if not self.engine.visible(c, self.today)]
        for c in hidden:
            print(
                tr(
                    "Not shown: {name} [{id}], no service since {day} (90 days or more): "
                    "`clients` lists it.",
                    self.lang,
                    name=clean(c.name),
                    id=clean(c.id),
                    day=c.ended_on,
                ),
                file=self.out,
            )
        print("", file=self.out)
        print(console.detail(featured, self.today).text(self.lang), file=self.out)
        command = f"python -m cytolicense --db {path} detail {featured}"
        print("\n" + tr("Explore it: {command}", self.lang, command=command), file=self.out)
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


def _language(argv: Sequence[str]) -> str:
    """The language asked for, found before parsing so that help and argparse's own
    messages come in it: ``--lang X``, ``--lang=X``, else ``$CYTOLICENSE_LANG``."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return language_of(argv[i + 1])
        if arg.startswith("--lang="):
            return language_of(arg.partition("=")[2])
    return language_of(os.environ.get(LANG_ENV, "en"))


@contextmanager
def _argparse_in(language: str) -> Iterator[None]:
    """argparse's own words (``usage:``, ``options``, its errors) in *language* while the
    command line is parsed: argparse looks them up through its module's ``_`` (gettext)
    each time, so that name is pointed at the interface table and restored after."""
    original = getattr(argparse, "_")  # noqa: B009
    if language != "en":
        setattr(argparse, "_", lambda text: tr(text, language))  # noqa: B010
    try:
        yield
    finally:
        setattr(argparse, "_", original)  # noqa: B010


def _translate(parser: argparse.ArgumentParser, language: str) -> None:
    """Every help text and description of *parser* and its subcommands in *language*."""
    if language == "en":
        return
    if parser.description:
        parser.description = tr(parser.description, language)
    for action in parser._actions:
        if action.help and action.help != argparse.SUPPRESS:
            action.help = tr(action.help, language)
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                choice.help = tr(choice.help or "", language)
            for subparser in dict.fromkeys(action.choices.values()):
                _translate(subparser, language)


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command line; returns the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    argv = list(sys.argv[1:] if argv is None else argv)
    language = _language(argv)
    with _argparse_in(language):
        parser = _parser()
        _translate(parser, language)
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:
            return int(exc.code or 0)
        if args.command is None:  # bare `cytolicense`: what it can do
            parser.print_help(out)
            return EXIT_OK
    run = _Run(args, out, err)
    try:
        return run.run()
    except RuleViolation as exc:
        return run.refused(exc.decision, exc.operation)
    except UsageError as exc:
        print(tr("error: {message}", run.lang, message=exc), file=err)
        return EXIT_USAGE
    except (CytolicenseError, ValueError, TypeError) as exc:
        message = exc.message_in(run.lang) if isinstance(exc, CytolicenseError) else str(exc)
        print(tr("error: {message}", run.lang, message=message), file=err)
        return EXIT_ERROR
    except KeyboardInterrupt:
        text = (
            "interrupted: the batches already written stay; run the same import again to resume"
            if args.command == "import"
            else "interrupted"
        )
        print(tr(text, run.lang), file=err)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`cytolicense monitoring | head`): nothing is wrong.
        # Point stdout at devnull so the interpreter's final flush does not fail too.
        if out is sys.stdout:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    finally:
        run.close()
