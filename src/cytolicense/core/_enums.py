"""The fixed vocabularies of the domain (values are part of the public contract)."""

from __future__ import annotations

import enum

__all__ = ["LicenseType", "ManagementMode", "QuantityRule", "Severity", "Status", "TermEnd"]


class _Vocabulary(enum.Enum):
    """An enum hashed by identity: its members are singletons compared by identity, and
    ``Enum.__hash__`` (``hash(self._name_)``, in Python) made every set of them slow to
    build and search (a third of building a product, measured)."""

    __hash__ = object.__hash__


class LicenseType(_Vocabulary):
    """Kind of licence of a maintenance: a time-limited trial or a paid subscription."""

    TRIAL = "trial"
    COMMERCIAL = "commercial"


class ManagementMode(_Vocabulary):
    """Whether the partner manages the client's product centrally (D6, D8)."""

    CENTRALIZED = "centralized"
    UNMANAGED = "unmanaged"


class QuantityRule(_Vocabulary):
    """How a module's seats relate to its product's seats (D5, C1)."""

    LINKED = "linked"
    """Module seats always equal the product's seats."""
    INDEPENDENT = "independent"
    """Seats chosen per maintenance, from 1 up to the product's seats (Cytomic Encryption)."""


class Severity(_Vocabulary):
    """How serious a finding is: errors refuse an operation, warnings only inform."""

    ERROR = "error"
    WARNING = "warning"


class Status(_Vocabulary):
    """State of a maintenance on a given day (see :func:`cytolicense.Engine.status`)."""

    ACTIVE = "active"
    """From ``starts_on`` through ``expires_on``: in service."""
    GRACE = "grace"
    """After ``expires_on``, for the maintenance's ``grace_days`` (commercial only): still in
    force, and renewable."""
    EXPIRED = "expired"
    """After the expiry (and the grace, if any)."""
    DELETED = "deleted"
    """From ``deleted_on`` on (deleting wins over expiring)."""
    REPLACED = "replaced"
    """From ``replaced_on`` on: changed to another product, converted, or grouped."""
    SUSPENDED = "suspended"
    """Suspended (from the day of suspension until it is resumed): the term keeps
    running, the line grants nothing after that day and, suspended at its expiry,
    gets no grace."""


class TermEnd(_Vocabulary):
    """Where a commercial term of a product ends (chosen by the catalog, C11)."""

    ANNIVERSARY = "anniversary"
    """``starts_on + period``: a year from 1 March ends on 1 March."""
    DAY_BEFORE = "day_before"
    """``starts_on + period - 1 day``: a year from 1 March ends on 28 or 29 February."""
