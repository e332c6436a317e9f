"""A demo partner: clients in every state the console knows (used by ``cytolicense demo``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..core._operations import AssignmentRequest
from ..store._console import Console

__all__ = ["build_demo"]


def _ago(today: dt.date, days: int) -> dt.date:
    return today - dt.timedelta(days=days)


def build_demo(console: Console, today: dt.date) -> str:
    """Fill *console*'s store with demo clients as of *today*; return the featured client's id.

    The clients, all with the Cytomic catalog:

    - ``contoso``: active EPDR for 3 years with Encryption, Patch and Data Watch,
      seats raised later, Patch managed centrally, plus a running EDR trial;
    - ``fabrikam``: a 30-day EDR trial that started 10 days ago;
    - ``northwind``: an EDR year that expired 35 days ago (still shown);
    - ``initech``: deleted 20 days ago (still shown, can be restored);
    - ``umbrella``: a 1-month EDR, a period Cytomic has not enabled (warning);
    - ``globex``: a month that ended 270 days ago: no longer shown.
    """
    edr, epdr = "cytomic-edr", "cytomic-epdr"

    def req(product: str, seats: int, period: str | None = "1y", **kw: Any) -> AssignmentRequest:
        lt = "trial" if period is None else "commercial"
        return AssignmentRequest(
            product=product, license_type=lt, quantity=seats, period=period, **kw
        )

    start = _ago(today, 400)
    c = console
    c.add_client("contoso", "Contoso Ltd.", _ago(today, 200))
    c.assign(
        "contoso",
        req(epdr, 50, "3y", modules={"cytomic-encryption": 20, "cytomic-patch": None}),
        _ago(today, 200),
    )
    c.modify(
        "contoso",
        "m1",
        _ago(today, 60),
        quantity=75,
        modules={"cytomic-encryption": 30, "cytomic-patch": None, "cytomic-data-watch": None},
    )
    c.set_management("contoso", "m1", "unmanaged", _ago(today, 30))
    c.set_management("contoso", "m1", "centralized", _ago(today, 29))
    c.assign("contoso", req(edr, 10, None, management="unmanaged"), _ago(today, 5))

    c.add_client("fabrikam", "Fabrikam Inc.", _ago(today, 10))
    c.assign("fabrikam", req(edr, 25, None, modules=["cytomic-patch"]), _ago(today, 10))

    c.add_client("northwind", "Northwind Traders", start)
    c.assign(
        "northwind", req(edr, 15, "1y", modules={"cytomic-encryption": 5}), _ago(today, 365 + 35)
    )

    c.add_client("initech", "Initech", _ago(today, 120))
    c.assign("initech", req(epdr, 8, "2y"), _ago(today, 120))
    c.delete_client("initech", _ago(today, 20))

    c.add_client("umbrella", "Umbrella Corp.", today)
    c.assign("umbrella", req(edr, 5, "1m"), today)

    c.add_client("globex", "Globex", _ago(today, 320))
    c.assign("globex", req(edr, 3, "1m"), _ago(today, 300))
    return "contoso"
