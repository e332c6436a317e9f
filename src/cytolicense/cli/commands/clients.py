"""A partner's clients: ``add-client``, ``delete-client``, ``detail``, ``entitlements``,
``history``, ``monitoring`` and ``clients``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ...core._exceptions import ClientExistsError, StoreError
from ...core._operations import DeleteClient
from ...store._serialize import converter, to_data
from ...views._detail import MonitoringList
from ...views._history import describe_history
from ...views._text import clean, tr
from .._args import client_id
from .._run import DB_ENV, DEFAULT_DB, EXIT_OK, Command, Run

__all__ = ["COMMANDS"]


def _client(p: argparse.ArgumentParser) -> None:
    p.add_argument("client", help="the client's id")


def _new_client(p: argparse.ArgumentParser) -> None:
    p.add_argument("client", type=client_id, help="the new client's id")
    p.add_argument("name", help="its name, as the console shows it")


def add_client(run: Run) -> int:
    args = run.args
    if args.dry_run:
        change = run.engine.new_client(args.client, args.name, run.today)
        where = args.db or os.environ.get(DB_ENV) or DEFAULT_DB
        exists = "://" in where or Path(where.removeprefix("sqlite:///")).exists()
        if exists and args.client in run.console().store:
            raise ClientExistsError(args.client, None)
        if run.json:
            run.emit(converter().unstructure(change.client))
        else:
            print(tr("ok: the client would be added (nothing changed)", run.lang), file=run.out)
        return EXIT_OK
    console = run.console()
    try:
        client = console.add_client(
            args.client, args.name, run.today, actor=args.actor, reason=args.reason
        )
    except ClientExistsError as exc:
        existing = console.get(args.client)
        if run.engine.visible(existing, run.today):
            how = tr(
                "it was deleted and is still shown: assign it a product to restore it"
                if existing.deleted_on is not None
                else "assign it products, or choose another id",
                run.lang,
            )
        else:
            how = tr(
                "it left the console on {day} and can no longer be reused; add the client "
                "under another id (the old history stays)",
                run.lang,
                day=existing.ended_on,
            )
        raise StoreError(f"{exc.message_in(run.lang)}: {how}") from None  # in the language
    if run.json:
        run.emit(converter().unstructure(client))
    else:
        print(
            tr(
                "added client {id} ({name}) on {day}",
                run.lang,
                id=client.id,
                name=clean(client.name),
                day=client.created_on,
            ),
            file=run.out,
        )
    return EXIT_OK


def delete_client(run: Run) -> int:
    return run.operate(run.args.client, DeleteClient(), "deleted (shown for 90 more days)")


def detail(run: Run) -> int:
    found = run.console().detail(run.args.client, run.today)
    if run.json:
        run.emit(converter().unstructure(found))
    else:
        print(found.text(run.lang), file=run.out)
    return EXIT_OK


def entitlements(run: Run) -> int:
    seats = run.console().entitlements(run.args.client, run.today)
    if run.json:
        run.emit(seats)
    elif not seats:
        print(tr("no seats in force on {day}", run.lang, day=run.today), file=run.out)
    else:
        width = max(len(k) for k in seats)
        for key in sorted(seats):
            print(f"{key:<{width}}  {seats[key]}", file=run.out)
    return EXIT_OK


def history(run: Run) -> int:
    events = run.console().history(run.args.client)
    if run.json:
        run.emit([to_data(e) for e in events])
        return EXIT_OK
    for line in describe_history(events, run.lang):
        print(line, file=run.out)
    return EXIT_OK


def monitoring(run: Run) -> int:
    _table(run, run.console().monitoring(run.today))
    return EXIT_OK


def clients(run: Run) -> int:
    _table(run, run.console().clients(), every=True)
    return EXIT_OK


def _table(run: Run, listed: list[Any], *, every: bool = False) -> None:
    """The monitoring list's table of *listed* (or its JSON)."""
    if run.json:
        run.emit(
            [
                {
                    **converter().unstructure(c),
                    "shown": run.engine.visible(c, run.today),
                    "ended_on": c.ended_on.isoformat(),
                }
                for c in listed
            ]
        )
        return
    store = run.console().store
    if not listed and len(store) == 0:
        print(
            f"partner {store.partner!r} has no client in this database "
            "(check --partner or $CYTOLICENSE_PARTNER)",
            file=run.out,
        )
        return
    listing = MonitoringList(listed, today=run.today)
    print(listing.table(every=every, language=run.lang), file=run.out)


COMMANDS = (
    Command("add-client", "add a client", add_client, _new_client),
    Command("delete-client", "delete a client (visible for 90 more days)", delete_client, _client),
    Command("detail", "show a client's detail", detail, _client, reads_only=True),
    Command(
        "entitlements",
        "show the seats a client may use today",
        entitlements,
        _client,
        reads_only=True,
    ),
    Command("history", "show a client's events", history, _client, reads_only=True),
    Command("monitoring", "list the clients the console shows", monitoring, reads_only=True),
    Command("clients", "list every client, shown or not", clients, reads_only=True),
)
