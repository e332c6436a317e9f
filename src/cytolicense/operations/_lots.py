"""The lot a commercial maintenance's new seats make, for a product with a return
window (:class:`SeatLot`).

Apart from :mod:`._returns` (the window's rule and what a lowering or an ending gives
back) so that :mod:`._family`, which makes new maintenances, can record their first
lot without importing the module that imports it. Pure functions of records.
"""

from __future__ import annotations

import datetime as dt

from ..core._catalog_records import Product
from ..core._enums import LicenseType
from ..core._line_records import SeatLot
from ..core._period import Period
from ..core._trusted import builder

__all__ = ["added_lot", "window_of"]

_COMMERCIAL = LicenseType.COMMERCIAL
_build_lot = builder(SeatLot)


def window_of(product: Product | None) -> int | None:
    """The product's return window in days, or ``None`` (no window)."""
    return None if product is None else product.return_window_days


def added_lot(
    product: Product | None, license_type: LicenseType, today: dt.date, seats: int, period: Period
) -> tuple[SeatLot, ...]:
    """The lot *seats* added on *today* make: one for a commercial maintenance of a
    product with a return window, none otherwise."""
    if seats < 1 or license_type is not _COMMERCIAL or window_of(product) is None:
        return ()
    return (_build_lot(added_on=today, seats=seats, period=period),)
