"""A partner's change mark, and the forecasts kept against it.

A forecast at a large partner is one aggregate over every line active in its window
(half a million index entries at 1M clients: 0.26-0.6 s). Its answer changes only
when the partner's data does, so the stores keep it per ``(database, partner, today,
months)`` with the partner's **change mark** it was computed at, and compute it again
only when the mark moved.

The mark is read with one indexed query: the partner's feed head (every save moves it
by its events' count, in the save's own transaction), its count of bulk imports
(``change_marks.imports``, bumped in an import's transaction: an import writes no feed
items) and the database's instance (a SQLite file restored in place gets a new random
id, its marks may repeat the replaced file's with other data; on PostgreSQL the
clients table's oid, new when a restore makes the tables again). Nothing else writes
the rows a forecast reads (the expiry index): a save goes through the feed, an import
through its count, a schema migration runs before any handle reads. (A PostgreSQL
restore into the existing tables keeps their oid: restart the processes serving it.)

The mark is read before the aggregate: a change that commits in between gives an
answer newer than its mark, which the next request (seeing the newer mark) computes
again; never an answer older than its mark. Inside a batch nothing is kept or taken
(its writes are uncommitted: a rolled-back batch's mark is given again to another
change).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime as dt

    from ..views._lifecycle import Forecast

__all__ = [
    "BUMP_IMPORTS",
    "FORECASTS",
    "MARKS_POSTGRES",
    "MARKS_SQLITE",
    "MARK_QUERY",
    "ForecastCache",
]

MARKS_SQLITE = """
CREATE TABLE IF NOT EXISTS change_marks (
    partner TEXT PRIMARY KEY,
    imports INTEGER NOT NULL
)
"""
"""The per-partner count of bulk imports (SQLite)."""

MARKS_POSTGRES = """
CREATE TABLE IF NOT EXISTS change_marks (partner TEXT PRIMARY KEY, imports BIGINT NOT NULL);
"""
"""The per-partner count of bulk imports (PostgreSQL; under the partner's row-level
security, which the store adds)."""

BUMP_IMPORTS = (
    "INSERT INTO change_marks (partner, imports) VALUES (?, 1) ON CONFLICT (partner) "
    "DO UPDATE SET imports = change_marks.imports + 1"
)
"""Count one more bulk import of the partner (inside the import's transaction)."""

MARK_QUERY = (
    "SELECT (SELECT position FROM feed_heads WHERE partner = ?), "
    "(SELECT imports FROM change_marks WHERE partner = ?), {instance}"
)
"""The partner's change mark: ``(feed head, imports, instance)`` (``NULL`` while
none); ``{instance}`` is the store's SQL telling a database made again in place (the
SQLite file's random id, which a restore renews; PostgreSQL's clients table oid)."""

Mark = tuple[object, ...]
_Key = tuple[str, str, "dt.date", int]


class ForecastCache:
    """Forecasts by ``(database, partner, today, months)``, each with the mark it was
    computed at; the *size* most recently used are kept (thread-safe)."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._kept: OrderedDict[_Key, tuple[Mark, Forecast]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: _Key, mark: Mark) -> Forecast | None:
        """The forecast kept for *key* at *mark* (a copy), or ``None``."""
        with self._lock:
            found = self._kept.get(key)
            if found is None or found[0] != mark:
                self.misses += 1
                return None
            self._kept.move_to_end(key)
            self.hits += 1
            forecast = found[1]
        return _copy(forecast)

    def put(self, key: _Key, mark: Mark, forecast: Forecast) -> None:
        """Keep *forecast* for *key* at *mark*."""
        with self._lock:
            self._kept[key] = (mark, _copy(forecast))
            self._kept.move_to_end(key)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self.hits = self.misses = 0


def _copy(forecast: Forecast) -> Forecast:
    # A Forecast's seats are a dict: each caller gets its own.
    return type(forecast)(months=forecast.months, seats=dict(forecast.seats))


FORECASTS = ForecastCache()
"""The process's kept forecasts (every store handle of the process shares them)."""
