"""The team: ``operators add|list|update|remove``, ``requests``, ``request``,
``approve``, ``reject`` and ``audit``. The global ``--operator ID`` makes any command
act as that operator (its role and scope are checked); without it the command line,
which holds the database, acts with every right."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from ...core._access import AuditEntry, Grant, OperationRequest, Operator, Role
from ...core._operations import OPERATION_TYPES
from ...store._serialize import FORMAT_VERSION, from_data, to_data
from ...views._text import tr
from .._run import EXIT_OK, EXIT_USAGE, Command, Run

__all__ = ["COMMANDS"]


def _operators_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "action", choices=["add", "list", "update", "remove", "password"], help="what to do"
    )
    p.add_argument("id", nargs="?", help="the operator's id (add, update, remove)")
    p.add_argument("--name", help="the operator's name (default: its id)")
    p.add_argument(
        "--role",
        choices=[r.value for r in Role],
        help="what it may do (add: required)",
    )
    p.add_argument(
        "--grant",
        action="append",
        default=[],
        metavar="GROUP",
        help="a client group it reaches, with all of its subgroups (repeatable; '' is every group)",
    )
    p.add_argument(
        "--grant-only",
        action="append",
        default=[],
        metavar="GROUP",
        help="a client group it reaches without its subgroups (repeatable)",
    )


def _grants(run: Run) -> frozenset[Grant]:
    return frozenset(
        [Grant(group=g) for g in run.args.grant]
        + [Grant(group=g, subgroups=False) for g in run.args.grant_only]
    )


def _line(o: Operator) -> str:
    grants = ", ".join(
        sorted((g.group or "*") + ("" if g.subgroups else " (only)") for g in o.grants)
    )
    primary = " primary" if o.primary else ""
    return f"{o.id}\t{o.name}\t{o.role.value}{primary}\t{grants or '-'}"


def operators(run: Run) -> int:
    console = run.console()
    action = run.args.action
    if action == "list":
        found = console.operators()
        if run.json:
            run.emit([to_data(o)["data"] for o in found])
        else:
            for o in found:
                print(_line(o), file=run.out)
        return EXIT_OK
    if not run.args.id:
        print(tr("operators {action} needs an operator id", run.lang, action=action), file=run.err)
        return EXIT_USAGE
    if action == "password":
        return _password(run, console)
    if action == "remove":
        console.remove_operator(run.args.id, run.today)
        print(tr("removed: operator {id}", run.lang, id=run.args.id), file=run.out)
        return EXIT_OK
    before = None
    if action == "update":
        before = next((o for o in console.operators() if o.id == run.args.id), None)
    role = run.args.role or (before.role.value if before is not None else None)
    if role is None:
        print(tr("operators add needs --role", run.lang), file=run.err)
        return EXIT_USAGE
    grants = _grants(run)
    if before is not None and not run.args.grant and not run.args.grant_only:
        grants = before.grants
    operator = Operator(
        id=run.args.id,
        name=run.args.name or (before.name if before is not None else run.args.id),
        role=role,
        grants=grants,
    )
    stored = (
        console.add_operator(operator, run.today)
        if action == "add"
        else console.update_operator(operator, run.today)
    )
    if run.json:
        run.emit(to_data(stored)["data"])
    else:
        print(_line(stored), file=run.out)
    return EXIT_OK


def _password(run: Run, console: Any) -> int:
    """Set the operator's web sign-in password: read from standard input (one line),
    or asked twice at a terminal; only its argon2id hash is kept."""
    from ...web._auth import hash_password

    if sys.stdin.isatty():
        first = getpass.getpass(tr("Password: ", run.lang))
        if getpass.getpass(tr("Again: ", run.lang)) != first:
            print(tr("the passwords differ: nothing was changed", run.lang), file=run.err)
            return EXIT_USAGE
    else:
        first = sys.stdin.readline().rstrip("\n")
    try:
        hashed = hash_password(first)
    except ValueError:
        print(tr("a password has at least 8 characters", run.lang), file=run.err)
        return EXIT_USAGE
    console.set_password_hash(run.args.id, hashed, run.today)
    print(tr("password set: operator {id}", run.lang, id=run.args.id), file=run.out)
    return EXIT_OK


def _request_line(r: OperationRequest) -> str:
    decided = f"\t{r.decided_by or '-'} {r.decided_on}" if r.decided_on is not None else ""
    return (
        f"{r.id}\t{r.status}\t{r.client}\t{r.operation.kind}\t"
        f"{r.requested_by or '-'} {r.requested_on}{decided}"
    )


def _requests_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--status",
        choices=["pending", "approved", "rejected", "all"],
        default="pending",
        help="which requests (default: pending)",
    )


def requests(run: Run) -> int:
    status = None if run.args.status == "all" else run.args.status
    found = run.console().requests(status)
    if run.json:
        run.emit([to_data(r)["data"] for r in found])
    else:
        for r in found:
            print(_request_line(r), file=run.out)
    return EXIT_OK


def _request_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("client", help="the client's id")
    p.add_argument(
        "operation",
        help='the operation as a JSON document, e.g. \'{"type": "Renew", "data": '
        '{"maintenance": "m1"}}\'',
    )


def request(run: Run) -> int:
    document = json.loads(run.args.operation)
    kind = document.get("type") if isinstance(document, dict) else None
    types = {t.__name__: t for t in OPERATION_TYPES}
    if kind not in types:
        print(
            tr(
                "not an operation document: its type is one of {types}",
                run.lang,
                types=", ".join(types),
            ),
            file=run.err,
        )
        return EXIT_USAGE
    document.setdefault("cytolicense", FORMAT_VERSION)  # an envelope, as the API reads
    operation = from_data(types[kind], document)
    filed = run.console().request(run.args.client, operation, run.today)
    if run.json:
        run.emit(to_data(filed)["data"])
    else:
        print(_request_line(filed), file=run.out)
    return EXIT_OK


def _decide_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("request", help="the request's id (r1, r2, ...)")


def approve(run: Run) -> int:
    change = run.console().approve(run.args.request, run.today)
    run.change(change, "approved")
    return EXIT_OK


def reject(run: Run) -> int:
    decided = run.console().reject(run.args.request, run.today, reason=run.args.reason)
    if run.json:
        run.emit(to_data(decided)["data"])
    else:
        print(_request_line(decided), file=run.out)
    return EXIT_OK


def _audit_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=int, default=100, help="how many entries (default: 100)")


def _audit_line(e: AuditEntry) -> str:
    codes = f"\t{','.join(e.codes)}" if e.codes else ""
    return (
        f"{e.at.isoformat(timespec='seconds')}\t{e.operator or '-'}\t{e.client or '-'}\t"
        f"{e.action}\t{e.outcome}{codes}"
    )


def audit(run: Run) -> int:
    entries = run.console().audit(limit=run.args.limit)
    if run.json:
        run.emit([to_data(e)["data"] for e in entries])
    else:
        for e in entries:
            print(_audit_line(e), file=run.out)
    return EXIT_OK


COMMANDS = (
    Command(
        "operators",
        "the partner's operators: `operators list`, `operators add ID --role ROLE "
        "[--grant GROUP]`, `operators update ID`, `operators remove ID`, "
        "`operators password ID` (the web sign-in's, from standard input)",
        operators,
        _operators_arguments,
    ),
    Command("requests", "operation requests waiting for approval", requests, _requests_arguments),
    Command(
        "request",
        "file an operation for another operator to approve (nothing is applied)",
        request,
        _request_arguments,
    ),
    Command(
        "approve", "approve a request: its operation is applied today", approve, _decide_arguments
    ),
    Command("reject", "reject a request (--reason says why)", reject, _decide_arguments),
    Command("audit", "every attempted change, newest first", audit, _audit_arguments),
)
