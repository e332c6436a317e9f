"""Assigning and changing a client's services: ``assign``, ``check``, ``offer``,
``modify``, ``manage``, ``unmanage``, ``delete-service`` and ``group``."""

from __future__ import annotations

import argparse

from ...core._exceptions import UnknownIdError
from ...core._messages import period_words
from ...core._operations import (
    AssignmentRequest,
    DeleteService,
    GroupSets,
    Modify,
    SetManagement,
)
from ...store._serialize import converter, to_data
from ...views._offer import offers_text
from ...views._text import tr
from .._args import maintenance_arguments, modules_option, period, seats
from .._run import EXIT_OK, Command, Run, UsageError

__all__ = ["COMMANDS"]


def _assignment(p: argparse.ArgumentParser) -> None:
    p.add_argument("client", help="the client's id")
    p.add_argument("--product", required=True, help="the product id (see `catalog`)")
    p.add_argument(
        "--type",
        dest="license_type",
        choices=["commercial", "trial"],
        default="commercial",
        help="the licence type",
    )
    p.add_argument("--seats", type=seats, required=True, help="number of seats")
    p.add_argument("--period", type=period, default=None, help="1y, 2y, 3y or 1m (commercial only)")
    modules_option(p, "add a module (repeatable)", default=[])
    p.add_argument(
        "--management",
        choices=["centralized", "unmanaged"],
        default="centralized",
        help="centralized management or not",
    )


def _request(run: Run) -> AssignmentRequest:
    a = run.args
    return AssignmentRequest(
        product=a.product,
        license_type=a.license_type,
        quantity=a.seats,
        period=a.period,
        modules=dict(a.modules),
        management=a.management,
    )


def assign(run: Run) -> int:
    return run.operate(run.args.client, _request(run), "assigned")


def check(run: Run) -> int:
    decision = run.console().check(run.args.client, _request(run), run.today)
    if not decision.ok:
        return run.refused(decision, "assign")
    if run.json:
        run.emit(converter().unstructure(decision))
    else:
        run.warnings(decision.warnings)
        r = _request(run)
        what = f"{tr(r.license_type.value, run.lang)} {r.product} x{r.quantity}" + (
            " " + tr("for {period}", run.lang, period=period_words(r.period, run.lang))
            if r.period
            else ""
        )
        print(
            tr("ok: the assignment ({what}) would go through", run.lang, what=what),
            file=run.out,
        )
    return EXIT_OK


def _client(p: argparse.ArgumentParser) -> None:
    p.add_argument("client", help="the client's id")


def offer(run: Run) -> int:
    offers = run.console().offer(run.args.client, run.today)
    if run.json:
        run.emit({"products": [to_data(o) for o in offers]})
    else:
        print(offers_text(offers, run.lang), file=run.out)
    return EXIT_OK


def _modify(p: argparse.ArgumentParser) -> None:
    p.add_argument("client", help="the client's id")
    p.add_argument("maintenance", help="the maintenance id (see `detail`)")
    p.add_argument("--seats", type=seats, default=None, help="new number of seats")
    modules_option(p, "add a module or change its seats, keeping the others (repeatable)")
    p.add_argument(
        "--drop-module",
        dest="drop",
        action="append",
        default=[],
        metavar="MODULE",
        help="remove a module (repeatable)",
    )
    p.add_argument("--no-modules", action="store_true", help="remove every module")


def modify(run: Run) -> int:
    a = run.args
    modules: dict[str, int | None] | None = None
    if a.no_modules:
        modules = {}
    elif a.modules is not None or a.drop:
        # --module adds or changes the named modules and keeps the rest.
        current = run.console().get(a.client)
        try:
            m = current.maintenance(a.maintenance)
        except UnknownIdError:
            m = None
        modules = run.engine.modules_of(m) if m is not None else {}
        modules.update(dict(a.modules or ()))
        for mid in a.drop:
            if mid not in modules:
                raise UsageError(
                    tr(
                        "--drop-module {module}: the maintenance has no module '{module}'",
                        run.lang,
                        module=mid,
                    )
                )
            del modules[mid]
    op = Modify(maintenance=a.maintenance, quantity=a.seats, modules=modules)
    return run.operate(a.client, op, "modified")


def manage(run: Run) -> int:
    op = SetManagement(maintenance=run.args.maintenance, mode="centralized")
    return run.operate(run.args.client, op, "centralized management started")


def unmanage(run: Run) -> int:
    op = SetManagement(maintenance=run.args.maintenance, mode="unmanaged")
    return run.operate(run.args.client, op, "centralized management stopped")


def delete_service(run: Run) -> int:
    op = DeleteService(maintenance=run.args.maintenance)
    return run.operate(run.args.client, op, "deleted")


def _group(p: argparse.ArgumentParser) -> None:
    p.add_argument("client", help="the client's id")
    p.add_argument("product", help="the product whose licence sets are grouped")


def group(run: Run) -> int:
    return run.operate(run.args.client, GroupSets(product=run.args.product), "grouped")


COMMANDS = (
    Command("assign", "assign a product (and modules) to a client", assign, _assignment),
    Command(
        "check",
        "say whether an assignment would go through, changing nothing",
        check,
        _assignment,
        reads_only=True,
    ),
    Command(
        "offer",
        "what the add-product dialog may offer a client today",
        offer,
        _client,
        reads_only=True,
    ),
    Command("modify", "change a maintenance's seats or modules", modify, _modify),
    Command(
        "manage",
        "start centralized management of a maintenance",
        manage,
        maintenance_arguments,
    ),
    Command(
        "unmanage",
        "stop centralized management of a maintenance",
        unmanage,
        maintenance_arguments,
    ),
    Command("delete-service", "delete a maintenance", delete_service, maintenance_arguments),
    Command("group", "group a product's active licence sets into one, co-termed", group, _group),
)
