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
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

import attrs

from ..core._client_records import Client
from ..core._events import Event
from ..core._exceptions import CytolicenseError, DataError, RuleViolation
from ..core._messages import tr
from ..core._operations import AssignmentRequest
from ..engine._engine import Change, Engine
from ..store._protocol import ClientStore
from ..store._serialize import from_data, loads, to_data

__all__ = [
    "CSV_COLUMNS",
    "ImportReport",
    "export_clients",
    "import_file",
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
    reader = csv.DictReader(lines)
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        return [], [(1, tr("missing column(s): {columns}", language, columns=", ".join(missing)))]
    changes: dict[str, Change] = {}
    errors: list[tuple[int, str]] = []
    for row in reader:
        line = reader.line_num
        try:
            cid = row["client_id"]
            change = changes.get(cid)
            if change is None:
                change = engine.new_client(cid, row["name"], _day(row["created_on"], "created_on"))
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


def _jsonl_changes(lines: Iterable[str]) -> tuple[list[Change], list[tuple[int, str]]]:
    """Lines written by :func:`export_clients` -> one change per client (its events)."""
    changes: list[Change] = []
    errors: list[tuple[int, str]] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            doc = loads(text)
            events: tuple[Event, ...] = tuple(
                from_data(Event, e)  # type: ignore[arg-type]
                for e in doc["events"]
            )
            client = from_data(Client, doc["client"])
            changes.append(Change(client=client, events=events))
        except (DataError, ValueError, KeyError, TypeError) as exc:
            errors.append((number, f"{type(exc).__name__}: {exc}"))
    return changes, errors


def read_file(
    engine: Engine, path: Path, language: str = "en"
) -> tuple[list[Change], list[tuple[int, str]]]:
    """Read and check *path* (``.csv``, or JSON lines ``.jsonl`` / ``.ndjson``): one
    change per client, and every bad row as ``(line, reason)`` (the reason in
    *language*). Writes nothing."""
    with path.open(encoding="utf-8", newline="") as f:
        if path.suffix.lower() == ".csv":
            return _csv_changes(engine, f, language)
        return _jsonl_changes(f)


def write_changes(
    store: ClientStore,
    changes: list[Change],
    *,
    batch: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Write new clients in batches of whole clients, skipping those already there."""
    todo = [c for c in changes if c.client.id not in store]
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
    changes, errors = read_file(engine, path)
    if errors:
        return ImportReport(imported=0, skipped=0, errors=tuple(errors))
    return write_changes(store, changes, batch=batch, progress=progress)


def export_clients(store: ClientStore, out: TextIO) -> int:
    """Write every client of the store's partner, with its events, as JSON lines."""
    count = 0
    for client in store.clients():
        doc = {
            "client": to_data(client),
            "events": [to_data(e) for e in store.history(client.id)],
        }
        out.write(json.dumps(doc, ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count
