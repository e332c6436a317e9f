"""A service's life: ``renew``, ``change``, ``convert``, ``extend``, ``suspend``,
``resume``, ``suspend-client``, ``resume-client``, ``add-seats``, and what is coming:
``expiring`` and ``forecast``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ...core._operations import (
    AddSeats,
    ChangeProduct,
    ConvertTrial,
    ExtendTrial,
    Renew,
    Resume,
    ResumeClient,
    Suspend,
    SuspendClient,
)
from ...store._serialize import converter
from ...views._lifecycle import ExpiryList
from .._args import counted, maintenance_arguments, modules_option, period, seats
from .._run import EXIT_OK, Command, Run

__all__ = ["COMMANDS"]


def _renew(p: argparse.ArgumentParser) -> None:
    maintenance_arguments(p)
    p.add_argument(
        "--period", type=period, default=None, help="default: the maintenance's own period"
    )
    p.add_argument("--seats", type=seats, default=None, help="default: the seats it has")


def renew(run: Run) -> int:
    a = run.args
    op = Renew(maintenance=a.maintenance, period=a.period, quantity=a.seats)
    return run.operate(run.args.client, op, "renewed")


def _new_terms_arguments(*, product: bool) -> Callable[[argparse.ArgumentParser], None]:
    """The arguments of a maintenance replaced by new terms (``change``, ``convert``)."""

    def arguments(p: argparse.ArgumentParser) -> None:
        maintenance_arguments(p)
        if product:
            p.add_argument("--product", required=True, help="the new product id")
        p.add_argument("--period", type=period, required=True, help="the new term")
        p.add_argument("--seats", type=seats, default=None, help="default: the old seats")
        modules_option(p)
        p.add_argument(
            "--management",
            choices=["centralized", "unmanaged"],
            default=None,
            help="default: the old maintenance's",
        )

    return arguments


def _new_terms(run: Run) -> dict[str, Any]:
    a = run.args
    return {
        "maintenance": a.maintenance,
        "period": a.period,
        "quantity": a.seats,
        "modules": dict(a.modules) if a.modules is not None else None,
        "management": a.management,
    }


def change(run: Run) -> int:
    op = ChangeProduct(product=run.args.product, **_new_terms(run))
    return run.operate(run.args.client, op, "changed")


def convert(run: Run) -> int:
    return run.operate(run.args.client, ConvertTrial(**_new_terms(run)), "converted")


def extend(run: Run) -> int:
    op = ExtendTrial(maintenance=run.args.maintenance)
    return run.operate(run.args.client, op, "extended")


def suspend(run: Run) -> int:
    op = Suspend(maintenance=run.args.maintenance)
    return run.operate(run.args.client, op, "suspended")


def resume(run: Run) -> int:
    op = Resume(maintenance=run.args.maintenance)
    return run.operate(run.args.client, op, "resumed")


def _client(p: argparse.ArgumentParser) -> None:
    p.add_argument("client", help="the client's id")


def suspend_client(run: Run) -> int:
    return run.operate(run.args.client, SuspendClient(), "suspended")


def resume_client(run: Run) -> int:
    return run.operate(run.args.client, ResumeClient(), "resumed")


def _add_seats(p: argparse.ArgumentParser) -> None:
    maintenance_arguments(p)
    p.add_argument("--seats", type=seats, required=True, help="seats added")
    p.add_argument("--period", type=period, required=True, help="the term they were bought for")


def add_seats(run: Run) -> int:
    a = run.args
    op = AddSeats(maintenance=a.maintenance, quantity=a.seats, period=a.period)
    return run.operate(a.client, op, "seats added")


def _expiring(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--within", type=counted(0), default=30, metavar="DAYS", help="days ahead to look"
    )


def expiring(run: Run) -> int:
    rows = run.console().expiring(run.today, run.args.within)
    if run.json:
        run.emit([converter().unstructure(e) for e in rows])
    else:
        print(ExpiryList(rows).table(run.lang), file=run.out)
    return EXIT_OK


def _forecast(p: argparse.ArgumentParser) -> None:
    p.add_argument("--months", type=counted(1, 1200), default=12, help="calendar months to count")


def forecast(run: Run) -> int:
    fc = run.console().forecast(run.today, run.args.months)
    if run.json:
        run.emit(
            {
                "months": [f"{y:04d}-{m:02d}" for y, m in fc.months],
                "seats": {p: list(v) for p, v in fc.seats.items()},
            }
        )
    else:
        print(fc.table(run.lang), file=run.out)
    return EXIT_OK


COMMANDS = (
    Command("renew", "renew a commercial maintenance: new end = old end + period", renew, _renew),
    Command(
        "change",
        "change a maintenance to another product of its family, from today",
        change,
        _new_terms_arguments(product=True),
    ),
    Command(
        "convert",
        "convert a trial into a commercial maintenance",
        convert,
        _new_terms_arguments(product=False),
    ),
    Command(
        "extend",
        "extend a trial once, by the product's extension days",
        extend,
        maintenance_arguments,
    ),
    Command(
        "suspend",
        "suspend a service: nothing granted from tomorrow, the term runs on",
        suspend,
        maintenance_arguments,
    ),
    Command(
        "resume",
        "resume a suspended service (not after its expiry)",
        resume,
        maintenance_arguments,
    ),
    Command("suspend-client", "suspend every active service of a client", suspend_client, _client),
    Command(
        "resume-client",
        "resume the services a client-wide suspension suspended",
        resume_client,
        _client,
    ),
    Command("add-seats", "add seats bought for a term, co-termed", add_seats, _add_seats),
    Command(
        "expiring",
        "list what expires soon (and what is in grace)",
        expiring,
        _expiring,
        reads_only=True,
    ),
    Command(
        "forecast",
        "seats that expire per product per month",
        forecast,
        _forecast,
        reads_only=True,
    ),
)
