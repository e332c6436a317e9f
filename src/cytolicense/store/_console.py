"""The console facade: "do this to client X today" as one call (load, decide, save).

This module holds its writes: :meth:`Console.apply` (with its idempotency keys and
its retries, :class:`Retry`), a batch of them (:meth:`Console.apply_each`) and the
pool's credits. The rest of :class:`Console` is in its parts: the reads
(:mod:`~cytolicense.store._views_console`), the day's run, the feed and the webhooks
(:mod:`~cytolicense.store._partner_console`), and the team's operators, requests and
audit (:mod:`~cytolicense.store._team_console`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

import attrs

from ..core._access import forbidden
from ..core._client_records import Client
from ..core._enums import ManagementMode
from ..core._exceptions import (
    ClientExistsError,
    ConflictError,
    ConnectionLostError,
    KeyConflictError,
    KeyTakenError,
    NotFoundError,
    PoolCreditError,
    RetryableError,
    RuleViolation,
    UnknownIdError,
    said,
)
from ..core._findings import Decision
from ..core._operations import (
    AssignmentRequest,
    DeleteClient,
    DeleteService,
    Modify,
    Operation,
    SetGroup,
    SetManagement,
)
from ..core._period import Period
from ..core._pool import Pool
from ..core._validation import to_period
from ..engine._change import Change
from ..engine._engine import Engine
from ._guard import Guard
from ._partner_console import PartnerConsole
from ._protocol import ClientStore, KeyRecord
from ._serialize import compact, from_json, to_data
from ._team_console import TeamConsole
from ._views_console import ViewsConsole

__all__ = ["MAX_KEY", "Console", "Retry"]

R = TypeVar("R")

MAX_KEY = 200
"""The longest idempotency key :meth:`Console.apply` takes."""


@attrs.frozen
class Retry:
    """How :class:`Console` retries an operation the database could not do this time
    (:class:`RetryableError`: a deadlock, a serialization failure, a lost connection,
    a failover).

    An operation with an idempotency key is retried whatever happened: a retry that
    finds its key answers with the change already committed, so nothing applies
    twice. One without a key is retried only when the database said nothing was
    written (``outcome_known``) and *without_key* is true; a commit whose outcome is
    unknown is never retried blindly.

    Attributes:
        attempts: Tries in all (the first included).
        backoff: Seconds before the second try; each later wait doubles it.
        max_backoff: The longest wait.
        without_key: Whether operations without a key are retried (when safe).
        conflicts: Whether an operation that lost a race to another write of the
            same client (:class:`ConflictError`: nothing was written) is decided
            again on the client as it now is. Never a :class:`KeyConflictError`.
    """

    attempts: int = 8
    backoff: float = 0.05
    max_backoff: float = 2.0
    without_key: bool = False
    conflicts: bool = False


def _not_a_race(exc: ConflictError) -> bool:
    """Whether *exc* is a conflict that deciding again would not resolve."""
    return isinstance(exc, (KeyConflictError, ClientExistsError))


def idempotency_key(key: object) -> str:
    """*key* when it is an idempotency key: 1 to :data:`MAX_KEY` printable characters."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY or not key.isprintable():
        raise ValueError(
            f"an idempotency key is 1 to {MAX_KEY} printable characters, got {key!r:.60}"
        )
    return key


class Console(ViewsConsole, PartnerConsole, TeamConsole):
    """An :class:`Engine` and a store (any :class:`ClientStore`) working together.

    Each operation loads the client (and the partner's pool), lets the engine
    decide, and saves the new state with its events and the pool's movements in
    one transaction. A refused operation (:class:`RuleViolation`) writes nothing; a
    concurrent write in between (:class:`ConflictError`) writes nothing either:
    load again and retry.

    A console acts with every right; :meth:`as_operator` gives one that acts as an
    operator, every call checked against its role and scope. Every attempted write
    is audited (:meth:`audit`), an applied one in the change's own transaction.
    """

    def __init__(self, engine: Engine, store: ClientStore, *, retry: Retry | None = None) -> None:
        self.engine = engine
        self.store = store
        self.retry = retry
        self._guard = Guard(None)

    def __repr__(self) -> str:
        return f"<Console {self.store!r}>"

    def add_client(
        self,
        client_id: str,
        name: str,
        today: dt.date,
        *,
        group: str = "",
        actor: str | None = None,
        reason: str | None = None,
    ) -> Client:
        """Create and store a new client in *group* (``""``: the default group);
        :class:`ConflictError` if the id is taken, :class:`ForbiddenError` for a group
        out of the operator's scope."""

        def run() -> Client:
            self._within_scope(SetGroup(group=group))  # the default group too
            change = self.engine.new_client(client_id, name, today, actor=actor, reason=reason)
            if group:
                moved = self.engine.apply(
                    change.client, SetGroup(group=group), today, actor=actor, reason=reason
                )
                change = attrs.evolve(
                    change, client=moved.client, events=(*change.events, *moved.events)
                )
            self.store.save(change, None)
            return change.client

        return self._attempt("add_client", client_id, run)

    def get(self, client_id: str) -> Client:
        """The stored client (:class:`NotFoundError` when there is none, or it is out
        of the operator's scope)."""
        return self._get(client_id)

    def _within_scope(self, operation: Operation) -> None:
        """A :class:`SetGroup` into a group out of the operator's scope is forbidden."""
        if isinstance(operation, SetGroup) and not self._guard.reaches(operation.group):
            assert self._guard.who is not None
            raise forbidden(self._guard.who, operation.kind)

    def check(self, client_id: str, operation: Operation, today: dt.date) -> Decision:
        """What :meth:`Engine.check` says about *operation* on the stored client, with the
        partner's stored pool (a :class:`SetGroup` into a group out of the operator's
        scope: :class:`ForbiddenError`)."""
        self._guard.require("check")
        self._within_scope(operation)
        return self.engine.check(
            self._get(client_id), operation, today, pool=self._pool_if_tracked()
        )

    def apply(
        self,
        client_id: str,
        operation: Operation,
        today: dt.date,
        *,
        actor: str | None = None,
        reason: str | None = None,
        key: str | None = None,
    ) -> Change:
        """Carry out *operation* on the stored client and save the change, its events and
        the pool's movements together.

        Args:
            key: An idempotency key (text, at most 200 characters), for a caller that
                may send the same request twice (an HTTP retry after a timeout, a
                double click). The first apply stores the key with the change, in
                the same transaction, whatever the change (one that changed nothing
                too); a later apply with the same key, the same client and an equal
                operation returns an equal :class:`Change` and applies nothing, and
                another operation or client under it is refused. Keys belong to the
                partner; they are kept until :meth:`prune_keys`.

        Raises:
            RuleViolation: the engine refuses it; nothing changed (no key stored).
            KeyConflictError: *key* was first used for another operation or client.
            ConflictError: another writer changed the client in between.
        """
        if key is not None:
            key = idempotency_key(key)
        # apply_each retries the batch as a whole
        return self._attempt(
            operation.kind,
            client_id,
            lambda: self._apply(client_id, operation, today, actor, reason, key),
            retry=not self._in_batch,
            key=key,
            scope=client_id,
        )

    def _retrying(self, run: Callable[[], R], key: str | None) -> R:
        """*run*, tried again as :attr:`retry` says when the database could not do it
        (never an operation without a key whose outcome is unknown)."""
        retry = self.retry
        if retry is None:
            return run()
        wait = retry.backoff
        for attempt in range(1, retry.attempts + 1):
            try:
                return run()
            except RetryableError as exc:
                if attempt == retry.attempts or (
                    key is None and not (retry.without_key and exc.outcome_known)
                ):
                    raise
                lost = isinstance(exc, ConnectionLostError)
            except ConflictError as exc:
                # Nothing was written: decide again on the client as it now is.
                if attempt == retry.attempts or not retry.conflicts or _not_a_race(exc):
                    raise
                lost = False
            # Jittered, so that writers that collided do not collide again in step.
            time.sleep(wait * random.uniform(0.5, 1.5))
            wait = min(wait * 2, retry.max_backoff)
            if lost:
                self._reconnect()
        raise AssertionError("unreachable")  # pragma: no cover

    def _reconnect(self) -> None:
        """A new connection for the store, when it can make one (errors: try later)."""
        reconnect = getattr(self.store, "reconnect", None)
        if reconnect is not None:
            # No server yet: the next attempt fails the same way, then waits longer.
            with contextlib.suppress(ConnectionLostError):
                reconnect()

    def _apply(
        self,
        client_id: str,
        operation: Operation,
        today: dt.date,
        actor: str | None,
        reason: str | None,
        key: str | None,
    ) -> Change:
        if key is not None:
            return self._apply_once(client_id, operation, today, actor, reason, key)
        self._within_scope(operation)
        client, version, pool = self._read(client_id)
        change = self.engine.apply(
            client, operation, today, pool=pool if pool.lines else None, actor=actor, reason=reason
        )
        self.store.save(change, version)
        return change

    def _read(self, client_id: str) -> tuple[Client, int, Pool]:
        read = getattr(self.store, "load_with_pool", None)
        if read is not None:  # one read where the store has one (PostgreSQL: a round trip)
            client, version, pool = read(client_id)
        else:
            (client, version), pool = self.store.load(client_id), self.store.pool()
        if not self._guard.reaches(client.group):
            raise NotFoundError(getattr(self.store, "partner", ""), client_id)
        self.engine.check_releases(client)
        return client, version, pool

    def _get(self, client_id: str) -> Client:
        """The stored client, refused (:class:`ReleaseMissingError`) when a line names a
        catalog release the engine's catalog lacks."""
        self._guard.require("read")
        client = self.store.get(client_id)
        if not self._guard.reaches(client.group):
            raise NotFoundError(getattr(self.store, "partner", ""), client_id)
        self.engine.check_releases(client)
        return client

    def _apply_once(
        self,
        client_id: str,
        operation: Operation,
        today: dt.date,
        actor: str | None,
        reason: str | None,
        key: str,
    ) -> Change:
        """:meth:`apply` with an idempotency key (checked by the caller)."""
        find = getattr(self.store, "find_key", None)
        if find is None:
            raise TypeError(f"{self.store!r} does not keep idempotency keys")
        document = compact(to_data(operation))
        self._within_scope(operation)
        self._get(client_id)  # out of scope: not found, whatever a key answered
        answered = self._answered(find(key), key, client_id, document)
        if answered is not None:
            return answered
        client, version, pool = self._read(client_id)
        change = self.engine.apply(
            client, operation, today, pool=pool if pool.lines else None, actor=actor, reason=reason
        )
        record = KeyRecord(key=key, client_id=client_id, operation=document, created_on=today)
        try:
            self.store.save(change, version, key=record)
        except KeyTakenError:  # the same key committed in between: answer as it did
            answered = self._answered(find(key), key, client_id, document)
            if answered is None:  # pragma: no cover - a key is only taken once stored
                raise
            return answered
        return change

    @staticmethod
    def _answered(
        found: KeyRecord | None, key: str, client_id: str, document: str
    ) -> Change | None:
        """The change a stored key answered, when it was for this client and operation."""
        if found is None:
            return None
        if found.client_id != client_id or found.operation != document:
            raise KeyConflictError(key, client_id, found.client_id)
        assert found.change is not None
        return from_json(Change, found.change)

    def prune_keys(self, before: dt.date) -> int:
        """Forget the partner's idempotency keys stored before *before*; how many.

        A key protects against a retry for as long as it is kept: keep keys longer
        than any caller retries (HTTP clients retry within minutes; a week is
        generous), then prune (``cytolicense keys prune --before DATE``)."""
        prune = getattr(self.store, "prune_keys", None)
        if prune is None:
            raise TypeError(f"{self.store!r} does not keep idempotency keys")
        return int(prune(before))

    def apply_each(
        self,
        client_ids: Iterable[str],
        operation: Operation,
        today: dt.date,
        *,
        actor: str | None = None,
        reason: str | None = None,
        key: str | None = None,
    ) -> dict[str, Change | RuleViolation | NotFoundError]:
        """Carry out *operation* on each of *client_ids* in one batch (renew these
        clients, add this module to all of them): what each got, by id, in order.

        A client the engine refuses gets its :class:`RuleViolation` (nothing changes
        for it) and an unknown id its :class:`NotFoundError`; the others go on and
        commit together. The clients are read up front with one query per 500
        (:meth:`~cytolicense.Store.load_many`, where the store has it) and stay the
        batch's until it ends, so no other writer comes in between: no
        :class:`ConflictError`. Any other error (a store's) ends the batch with
        nothing written.

        With *key*, each client's change is kept under ``KEY/CLIENT_ID`` (see
        :meth:`apply`): a batch retried with the same key applies nothing twice and
        answers every client as the first run did. With the console's :class:`Retry`,
        a keyed batch the database could not finish (a lost connection, a deadlock)
        is run again that way.
        """
        if key is not None:
            idempotency_key(key)
        ids = list(dict.fromkeys(client_ids))

        def run() -> dict[str, Change | RuleViolation | NotFoundError]:
            # Run again whole after a retryable failure: the clients it had committed
            # answer from their keys (KEY/CLIENT_ID), the others are applied.
            self._in_batch = True
            try:
                return self._batch(ids, operation, today, actor, reason, key, {})
            finally:
                self._in_batch = False

        # Only a keyed batch is retried (an unkeyed one is never run twice).
        return self._retrying(run, key) if key is not None else run()

    _in_batch = False

    def _batch(
        self,
        ids: list[str],
        operation: Operation,
        today: dt.date,
        actor: str | None,
        reason: str | None,
        key: str | None,
        out: dict[str, Change | RuleViolation | NotFoundError],
    ) -> dict[str, Change | RuleViolation | NotFoundError]:
        with self.store.batch():
            read_many = getattr(self.store, "load_many", None)
            if read_many is not None:
                read_many(ids)
            for client_id in ids:
                try:
                    if key is None:
                        out[client_id] = self.apply(
                            client_id, operation, today, actor=actor, reason=reason
                        )
                    else:
                        keyed = f"{key}/{client_id}"
                        out[client_id] = self._attempt(
                            operation.kind,
                            client_id,
                            lambda c=client_id, k=keyed: self._apply_once(  # type: ignore[misc]
                                c, operation, today, actor, reason, k
                            ),
                        )
                except (RuleViolation, NotFoundError) as exc:
                    out[client_id] = exc
        return out

    def _pool_if_tracked(self) -> Pool | None:
        pool = self.store.pool()
        return pool if pool.lines else None

    def assign(self, client_id: str, request: AssignmentRequest, today: dt.date) -> Change:
        """Assign a product to the stored client."""
        return self.apply(client_id, request, today)

    def modify(
        self,
        client_id: str,
        maintenance_id: str,
        today: dt.date,
        *,
        quantity: int | None = None,
        modules: Mapping[str, int | None] | Iterable[str] | None = None,
    ) -> Change:
        """Change a stored maintenance's seats and/or modules."""
        op = Modify(maintenance=maintenance_id, quantity=quantity, modules=modules)
        return self.apply(client_id, op, today)

    def set_management(
        self, client_id: str, maintenance_id: str, mode: ManagementMode | str, today: dt.date
    ) -> Change:
        """Start or stop centralized management of a stored maintenance."""
        op = SetManagement(maintenance=maintenance_id, mode=mode)
        return self.apply(client_id, op, today)

    def delete_service(self, client_id: str, maintenance_id: str, today: dt.date) -> Change:
        """Delete a stored maintenance."""
        return self.apply(client_id, DeleteService(maintenance=maintenance_id), today)

    def delete_client(self, client_id: str, today: dt.date) -> Change:
        """Delete the stored client (it stays visible for 90 days)."""
        return self.apply(client_id, DeleteClient(), today)

    def pool(self) -> Pool:
        """The partner's licence pool."""
        self._guard.require("read")
        return self.store.pool()

    def credit_pool(
        self,
        item: str,
        period: Period | str,
        seats: int,
        today: dt.date,
        *,
        actor: str | None = None,
        reason: str | None = None,
        allow_negative: bool = False,
        dry_run: bool = False,
    ) -> Pool:
        """Add *seats* of *item* for *period* to the partner's pool; the pool afterwards.

        A negative *seats* is a correction (say why in *reason*: the pool's history
        keeps it). Checked against the catalog first: the item must be a product or
        module of the catalog, sold for *period* (a module: by some product offering
        it), and the pool may not go below zero unless *allow_negative*. With
        *dry_run* nothing is written: the pool it would be.

        Raises:
            UnknownIdError: the item is not in the catalog.
            PoolCreditError: the period is not sold for the item, or the pool would
                go below zero. Nothing was written.
        """
        p = to_period(period)
        catalog = self.engine.catalog
        if item in catalog.products:
            sold = set(catalog.products[item].periods)
        elif item in catalog.modules:
            sold = {
                x
                for prod in catalog.products.values()
                if item in prod.modules
                for x in prod.periods
            }
        else:
            raise UnknownIdError("item", item)
        if p not in sold:
            raise said(
                PoolCreditError,
                "'{item}' is not sold for {period} (sold: {allowed})",
                item=item,
                period=str(p),
                allowed=", ".join(sorted(str(x) for x in sold)) or "-",
            )
        after = self.store.pool().credit(item, p, seats)
        balance = after.seats(item, p) or 0
        if balance < 0 and not allow_negative:
            raise said(
                PoolCreditError,
                "the pool would hold {balance} seats of '{item}' for {period}: a "
                "correction may not take it below zero (allow it explicitly)",
                balance=balance,
                item=item,
                period=str(p),
            )
        if dry_run:
            return after
        return self._attempt(
            "credit_pool",
            None,
            lambda: self.store.credit_pool(item, p, seats, today, actor=actor, reason=reason),
        )
