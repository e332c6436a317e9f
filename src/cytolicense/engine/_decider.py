"""An engine as the modules it calls see it: :class:`Decider`, which
:class:`~cytolicense.Engine` is."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from ..core._catalog import Catalog
from ..core._client_records import Client
from ..core._findings import Decision
from ..core._operations import Operation
from ..core._pool import Pool
from ._change import Change

__all__ = ["Decider"]


class Decider(Protocol):
    """What :mod:`._lines`, :mod:`._offer` and :mod:`._releases` use of the engine
    that calls them. The engine's module imports them, so they name its type by
    this protocol rather than import it back; :class:`~cytolicense.Engine` is one."""

    @property
    def catalog(self) -> Catalog: ...

    @property
    def _stamp(self) -> str | None:
        """What a maintenance sold by this engine records as its release."""

    def check(
        self, client: Client, operation: Operation, today: dt.date, *, pool: Pool | None = None
    ) -> Decision: ...

    def apply(
        self,
        client: Client,
        operation: Operation,
        today: dt.date,
        *,
        pool: Pool | None = None,
        actor: str | None = None,
        reason: str | None = None,
    ) -> Change: ...

    def _engine(self, release: Catalog) -> Decider:
        """The engine deciding under *release* alone."""
