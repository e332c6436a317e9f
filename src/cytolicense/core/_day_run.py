"""What the day's run did (:meth:`Console.run_day`): a record, no behaviour."""

from __future__ import annotations

import attrs

from ._events import ExpiryNotice
from ._findings import Decision
from ._operations import Operation

__all__ = ["DayRun"]


def _applied(value: object) -> tuple[tuple[str, Operation], ...]:
    return tuple((str(cid), op) for cid, op in value)  # type: ignore[attr-defined]


def _notices(value: object) -> tuple[tuple[str, ExpiryNotice], ...]:
    return tuple((str(cid), e) for cid, e in value)  # type: ignore[attr-defined]


def _refused(value: object) -> tuple[tuple[str, Operation, Decision], ...]:
    return tuple((str(cid), op, d) for cid, op, d in value)  # type: ignore[attr-defined]


@attrs.frozen(kw_only=True, slots=True)
class DayRun:
    """What a day's run applied and what was refused.

    A refused renewal (a pool short of seats with ``pool_shortage=ERROR``) stored
    nothing, not even its idempotency key: the next day's run tries it again, until
    its grace ends.

    Attributes:
        applied: ``(client id, operation)`` of each operation applied, in the order of
            the clients' ids (those a concurrent run of the same day applied first
            are left out).
        refused: ``(client id, operation, decision)`` of each one refused.
        notices: ``(client id, notice)`` of each expiry notice written
            (:class:`ExpiryNotice`), by client id (a dry run: those it would write).
    """

    applied: tuple[tuple[str, Operation], ...] = attrs.field(default=(), converter=_applied)
    refused: tuple[tuple[str, Operation, Decision], ...] = attrs.field(
        default=(), converter=_refused
    )
    notices: tuple[tuple[str, ExpiryNotice], ...] = attrs.field(default=(), converter=_notices)

    def _repr_html_(self) -> str:
        """The run as an HTML table (Jupyter)."""
        from ._html import html_table, styled

        rows = [
            (cid, op.kind, getattr(op, "maintenance", "-"), "applied", "-")
            for cid, op in self.applied
        ]
        rows += [
            (
                cid,
                op.kind,
                getattr(op, "maintenance", "-"),
                "refused",
                ", ".join(e.code for e in d.errors),
            )
            for cid, op, d in self.refused
        ]
        rows += [
            (cid, "expiry_notice", e.maintenance_id, f"{e.days_before} days", "-")
            for cid, e in self.notices
        ]
        head = ("client", "operation", "maintenance", "outcome", "codes")
        return styled(f"<div>{html_table(head, rows)}</div>")
