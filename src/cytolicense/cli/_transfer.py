"""Bringing clients in and out: CSV or JSON lines import, JSON lines export.

A partner moving from another console brings a CSV, one row per maintenance::

    client_id,name,created_on,product,license_type,quantity,period,starts_on,modules,management
    acme,ACME,2026-01-10,cytomic-edr,commercial,10,1y,2026-01-10,cytomic-patch,centralized

Every row goes through the engine (the same rules as the console), so the file is
checked whole before anything is written: every bad row is reported with its line
number and reason, and then nothing is imported. A good file is written in batches
of whole clients (one transaction each); a client already in the store is skipped,
so an interrupted import resumes where it stopped. ``export`` writes JSON lines (a
client and its events per line) that ``import`` reads back.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO, cast

import attrs

from ..core._client_records import Client
from ..core._events import Event
from ..core._exceptions import CytolicenseError, DataError, RuleViolation
from ..core._messages import tr
from ..core._operations import AssignmentRequest
from ..core._pool import PoolChanged
from ..engine._change import Change
from ..engine._engine import Engine
from ..store._protocol import ClientStore
from ..store._rows import check_change, follows
from ..store._serialize import from_data, loads, to_data

__all__ = [
    "CSV_COLUMNS",
    "ImportData",
    "ImportReport",
    "export_clients",
    "import_file",
    "read_data",
    "read_file",
    "write_changes",
]

CSV_COLUMNS = (
    "client_id",
    "name",
    "created_on",
    "product",
    "license_type",
    "quantity",
    "period",
    "starts_on",
    "modules",
    "management",
)


@attrs.frozen
class ImportReport:
    """What an import did.

    Attributes:
        imported: Clients written.
        skipped: Clients already in the store (an earlier, interrupted run).
        errors: ``(line, reason)`` for every bad row; when there is any, nothing was
            written.
    """

    imported: int
    skipped: int
    errors: tuple[tuple[int, str], ...]


class BadRow(ValueError):
    """A row that cannot be read; its reason can be given in any language."""

    def __init__(self, template: str, **values: object) -> None:
        super().__init__(tr(template, "en", **values))
        self.template = template
        self.values = values

    def message_in(self, language: str) -> str:
        return tr(self.template, language, **self.values)


def _reason(exc: Exception, language: str) -> str:
    """Why a row was refused, in *language* where the error can say it."""
    if isinstance(exc, RuleViolation):
        return "; ".join(f"[{f.code}] {f.message_in(language)}" for f in exc.decision.errors)
    if isinstance(exc, BadRow | CytolicenseError):
        return exc.message_in(language)
    return str(exc)


def _modules(text: str) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, seats = part.partition("=")
        if sep and not (seats.isascii() and seats.isdigit()):
            raise BadRow(
                "module '{module}': seats must be a whole number, got '{seats}'",
                module=name,
                seats=seats,
            )
        out[name] = int(seats) if sep else None
    return out


def _day(text: str, column: str) -> dt.date:
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadRow(
            "{column}: not a date (YYYY-MM-DD): '{text}'", column=column, text=text
        ) from None


def _csv_changes(
    engine: Engine, lines: Iterable[str], language: str
) -> tuple[list[Change], list[tuple[int, str]]]:
    """Rows -> one change per client (created, then each row assigned in order)."""
    lines = iter(lines)
    head = next(lines, "")
    # Excel writes ';' where the decimal separator is a comma: detected from the header.
    delimiter = ";" if ";" in head and "," not in head else ","
    reader = csv.DictReader(itertools.chain([head], lines), delimiter=delimiter)
    try:
        fields = reader.fieldnames or ()
    except csv.Error as exc:
        return [], [(1, str(exc))]
    missing = [c for c in CSV_COLUMNS if c not in fields]
    if missing:
        found = ", ".join(str(f) for f in fields) or "-"
        return [], [
            (
                1,
                tr(
                    "missing column(s): {columns} (found: {found}; columns are separated by "
                    "',' or ';')",
                    language,
                    columns=", ".join(missing),
                    found=found,
                ),
            )
        ]
    changes: dict[str, Change] = {}
    first: dict[str, tuple[int, str, str]] = {}
    errors: list[tuple[int, str]] = []
    last = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # a field over the size limit, a stray quote
            # The reader has not counted the line it failed on.
            line = max(reader.line_num, last + 1)
            errors.append((line, tr("unreadable row: {cause}", language, cause=exc)))
            last = line
            continue
        line = last = reader.line_num
        extra: list[str] = cast(Any, row).pop(None, None) or []
        given = [v for v in row.values() if v is not None]
        if extra or len(given) < len(fields):
            errors.append(
                (
                    line,
                    tr(
                        "the row has {found} fields, the header {expected}",
                        language,
                        found=len(given) + len(extra),
                        expected=len(fields),
                    ),
                )
            )
            continue
        try:
            cid = row["client_id"]
            change = changes.get(cid)
            if change is None:
                change = engine.new_client(cid, row["name"], _day(row["created_on"], "created_on"))
                first[cid] = (line, row["name"], row["created_on"])
            elif (row["name"], row["created_on"]) != first[cid][1:]:
                raise BadRow(
                    "client '{client_id}': name or created_on differ from line {line}",
                    client_id=cid,
                    line=first[cid][0],
                )
            quantity_text = row["quantity"].strip()
            if not (quantity_text.isascii() and quantity_text.isdigit()):
                raise BadRow("quantity: not a whole number: '{text}'", text=quantity_text)
            request = AssignmentRequest(
                product=row["product"],
                license_type=row["license_type"] or "commercial",
                quantity=int(quantity_text),
                period=row["period"] or None,
                modules=_modules(row["modules"] or ""),
                management=row["management"] or "centralized",
            )
            done = engine.apply(change.client, request, _day(row["starts_on"], "starts_on"))
            changes[cid] = attrs.evolve(done, events=change.events + done.events, warnings=())
        except (RuleViolation, ValueError, TypeError, KeyError) as exc:
            errors.append((line, _reason(exc, language)))
    return list(changes.values()), errors


def _jsonl_changes(
    lines: Iterable[str], language: str = "en"
) -> tuple[list[Change], list[tuple[int, str]], list[PoolChanged]]:
    """Lines written by :func:`export_clients` -> one change per client (its events,
    checked to lead to its document), and the pool's movements. Checked whole: a
    repeated client id is an error naming both lines."""
    changes: list[Change] = []
    errors: list[tuple[int, str]] = []
    pool: list[PoolChanged] = []
    seen: dict[str, int] = {}
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            doc = loads(text)
            if not isinstance(doc, dict):
                raise BadRow("not a JSON object")
            if "pool_event" in doc:
                pool.append(from_data(PoolChanged, doc["pool_event"]))
                continue
            events: tuple[Event, ...] = tuple(
                from_data(Event, e)  # type: ignore[arg-type]
                for e in doc["events"]
            )
            client = from_data(Client, doc["client"])
            first = seen.get(client.id)
            if first is not None:
                raise BadRow(
                    "client '{client_id}' is already on line {line}",
                    client_id=client.id,
                    line=first,
                )
            seen[client.id] = number
            change = Change(client=client, events=events)
            check_change(change, None)
            follows(None, change)
            changes.append(change)
        except KeyError as exc:
            errors.append((number, tr("missing key: {key}", language, key=exc.args[0])))
        except (DataError, BadRow) as exc:
            errors.append((number, _reason(exc, language)))
        except RecursionError:
            errors.append((number, tr("the JSON is nested too deeply", language)))
        except (ValueError, TypeError) as exc:
            errors.append((number, str(exc)))
    return changes, errors, pool


@attrs.frozen
class ImportData:
    """A file read and checked whole: one change per client and the pool's movements
    (JSON lines from :func:`export_clients` carry them), or every bad row."""

    changes: list[Change]
    errors: list[tuple[int, str]]
    pool_events: list[PoolChanged] = attrs.field(factory=list)


def read_data(engine: Engine, path: Path, language: str = "en") -> ImportData:
    """Read and check *path* (``.csv``, or JSON lines ``.jsonl`` / ``.ndjson``): every
    client, the pool's movements, every bad row as ``(line, reason)`` (in
    *language*). Writes nothing."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return ImportData(
            [],
            [
                (
                    line,
                    tr(
                        "not UTF-8 text (byte {byte} of the line): save the file as UTF-8",
                        language,
                        byte=exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1,
                    ),
                )
            ],
        )
    lines = io.StringIO(text, newline="")
    if path.suffix.lower() == ".csv":
        return ImportData(*_csv_changes(engine, lines, language))
    return ImportData(*_jsonl_changes(lines, language))


def read_file(
    engine: Engine, path: Path, language: str = "en"
) -> tuple[list[Change], list[tuple[int, str]]]:
    """The clients of :func:`read_data` and every bad row."""
    data = read_data(engine, path, language)
    return data.changes, data.errors


def _new_and_differing(
    store: ClientStore, changes: list[Change], language: str
) -> tuple[list[Change], list[tuple[int, str]]]:
    """The changes whose client the store does not hold yet, and the clients it holds
    with other data than the file's (an import never overwrites, and never skips them
    silently). One lookup per client (one query per 500 where the store reads many)."""
    ids = [c.client.id for c in changes]
    read_many = getattr(store, "load_many", None)
    if read_many is not None:
        stored = {cid: client for cid, (client, _) in read_many(ids).items()}
    else:
        stored = {cid: store.get(cid) for cid in ids if cid in store}
    todo = [c for c in changes if c.client.id not in stored]
    differ = [
        (
            0,
            tr(
                "client '{client_id}' is already in the store with other data: "
                "delete it there or leave it out of the file",
                language,
                client_id=c.client.id,
            ),
        )
        for c in changes
        if c.client.id in stored and stored[c.client.id] != c.client
    ]
    return todo, differ


def write_changes(
    store: ClientStore,
    changes: list[Change],
    *,
    batch: int = 500,
    progress: Callable[[int, int], None] | None = None,
    pool_events: list[PoolChanged] | None = None,
    language: str = "en",
) -> ImportReport:
    """Write new clients in batches of whole clients, skipping those already there
    with the same data (an interrupted import, run again); one already there with
    other data refuses the import before anything is written. *pool_events* (an
    export's pool) are written first, in one transaction, to a pool with no
    history; a pool whose history is exactly them is left as it is (a rerun)."""
    todo, differ = _new_and_differing(store, changes, language)
    if differ:
        return ImportReport(imported=0, skipped=0, errors=tuple(differ))
    if pool_events:
        history = store.pool_history()
        if history and history != pool_events:
            return ImportReport(
                imported=0,
                skipped=0,
                errors=(
                    (
                        0,
                        tr(
                            "the partner's pool already has a history: the file's pool "
                            "is imported only into a pool with none",
                            language,
                        ),
                    ),
                ),
            )
        if not history:
            store.import_pool(pool_events)
    skipped = len(changes) - len(todo)
    done = 0
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        store.bulk(chunk)
        done += len(chunk)
        if progress is not None:
            progress(done, len(todo))
    return ImportReport(imported=done, skipped=skipped, errors=())


def import_file(
    engine: Engine,
    store: ClientStore,
    path: Path,
    *,
    batch: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import *path* into *store*: checked whole first, then written in batches."""
    data = read_data(engine, path)
    if data.errors:
        return ImportReport(imported=0, skipped=0, errors=tuple(data.errors))
    return write_changes(
        store, data.changes, batch=batch, progress=progress, pool_events=data.pool_events
    )


def export_clients(store: ClientStore, out: TextIO) -> int:
    """Write every client of the store's partner, with its events, as JSON lines, then
    the partner's pool history (a line ``{"pool_event": ...}`` a movement: an import
    rebuilds the pool from them)."""
    count = 0
    # A batch of clients in memory at a time where the store can stream them.
    sweep = getattr(store, "iter_clients", None)
    clients: Iterable[Client] = store.clients() if sweep is None else sweep()
    for client in clients:
        doc = {
            "client": to_data(client),
            "events": [to_data(e) for e in store.history(client.id)],
        }
        out.write(json.dumps(doc, ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    for event in store.pool_history():
        out.write(json.dumps({"pool_event": to_data(event)}, sort_keys=True) + "\n")
    return count
