"""A client's lines as the console acts on them: the actions the detail offers (those
its families declare, checked), the seats in force, and devices over them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..core._client_records import Client
from ..core._enums import LicenseType, ManagementMode
from ..core._findings import CodeSpec, Decision
from ..core._maintenance import Maintenance
from ..core._operations import Operation
from ..operations._table import FAMILIES, state_accepts
from ..rules._client import target_state
from ._decider import Decider

__all__ = ["actions", "entitlements", "usage"]

_NO_FINDINGS = Decision(())


def _actions_table(centralized: bool, trial: bool) -> tuple[tuple[str, type[Operation], Any], ...]:
    """The actions the client's detail may offer a line by its management and licence
    type, as the families declare them: name, operation type, builder of the line's id."""
    rows = []
    for family in FAMILIES:
        for kind in family.kinds:
            found = kind.action(centralized, trial) if kind.action is not None else None
            if found is not None:
                rows.append((found[0], kind.type, found[1]))
    return tuple(rows)


_ACTIONS = {(c, t): _actions_table(c, t) for c in (True, False) for t in (True, False)}
_LINE_ACTIONS = tuple(k for f in FAMILIES for k in f.kinds if k.line_action is not None)
"""The kinds whose action on a line depends on the catalog (a trial's conversion)."""


def actions(
    engine: Decider, client: Client, maintenance: Maintenance, today: dt.date
) -> frozenset[str]:
    """:meth:`Engine.actions`."""
    # An operation the line's state refuses is refused whatever else the rules find:
    # only the others are built and checked (a history line: one check, not four).
    m = maintenance
    state = target_state(m, today)
    trial = m.license_type is LicenseType.TRIAL
    found = [
        name
        for name, kind, make in _ACTIONS[m.management is ManagementMode.CENTRALIZED, trial]
        if state_accepts(kind, state) and engine.check(client, make(m.id), today).ok
    ]
    for line in _LINE_ACTIONS:
        if not state_accepts(line.type, state):
            continue
        assert line.line_action is not None
        offered = line.line_action(m, engine.catalog, today)
        if offered is not None and engine.check(client, offered[1], today).ok:
            found.append(offered[0])
    return frozenset(found)


def entitlements(client: Client, today: dt.date) -> dict[str, int]:
    """:meth:`Engine.entitlements`."""
    seats: dict[str, int] = {}
    for m in client.maintenances:
        if not m.in_force(today):
            continue
        seats[m.product] = seats.get(m.product, 0) + m.quantity
        for ml in m.modules:
            if ml.starts_on <= today:
                seats[ml.module] = seats.get(ml.module, 0) + ml.quantity
    return seats


def usage(spec: CodeSpec, client: Client, devices: Mapping[str, int], today: dt.date) -> Decision:
    """:meth:`Engine.usage`, with *spec* the declaration of ``usage.over_entitlement``."""
    seats = entitlements(client, today)
    out = []
    for item, in_use in sorted(devices.items()):
        if type(in_use) is not int or in_use < 0:
            raise TypeError(f"usage: devices[{item!r}] must be an int >= 0, got {in_use!r}")
        entitled = seats.get(item, 0)
        if in_use > entitled:
            out.append(spec.finding(item, {"item": item, "in_use": in_use, "entitled": entitled}))
    return Decision(tuple(out)) if out else _NO_FINDINGS
