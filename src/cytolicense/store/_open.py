"""Opening a store by its URL: the one place that knows every store class."""

from __future__ import annotations

import os

from ._postgres import PostgresStore
from ._protocol import ClientStore
from ._sqlite import Store
from ._urls import safe

__all__ = ["open_store"]


def open_store(url: str | os.PathLike[str], partner: str) -> ClientStore:
    """Open the store *url* names for *partner*.

    A file path or ``sqlite:///path`` opens :class:`~cytolicense.Store` (SQLite); a
    ``postgresql://`` (or ``postgres://``) URL opens
    :class:`~cytolicense.PostgresStore` (needs ``cytolicense[postgres]``).
    """
    text = os.fspath(url)
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresStore(text, partner)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") :]
    elif "://" in text:
        raise ValueError(
            f"unsupported store URL {safe(text)!r} (use a file path, sqlite:/// or postgresql://)"
        )
    return Store(text, partner)
