"""The team's part of :class:`~cytolicense.Console`: acting as an operator, managing
operators, requests another approves, and the audit of every attempted write.

Whether the operator may do something is asked of the console's :class:`Guard` (the
one place that reads the permissions); what came of each attempt is written to the
audit here, an applied change's entry in the change's own transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from ..core._access import (
    LAST_ADMIN,
    PRIMARY_IMMUTABLE,
    REQUEST_DAYS,
    REQUEST_EXPIRED,
    AuditEntry,
    OperationRequest,
    Operator,
    Role,
)
from ..core._exceptions import (
    CytolicenseError,
    ForbiddenError,
    NotFoundError,
    OperatorExistsError,
    RuleViolation,
    UnknownIdError,
    said,
)
from ..core._findings import Decision
from ..core._operations import Operation
from ._guard import Guard

if TYPE_CHECKING:
    from ..core._client_records import Client
    from ..engine._change import Change
    from ..engine._engine import Engine
    from ._protocol import ClientStore

__all__ = ["TeamConsole", "codes_of"]

R = TypeVar("R")


def codes_of(exc: BaseException) -> tuple[str, ...]:
    """The codes an audit entry records for a refusal: a decision's error codes, else
    the error's kind (``"not_found"``, ``"conflict"``, ...)."""
    if isinstance(exc, RuleViolation):
        return tuple(f.code for f in exc.decision.errors)
    if isinstance(exc, ForbiddenError):
        return (exc.finding.code,)
    name = type(exc).__name__.removesuffix("Error")
    return ("".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_"),)


class TeamConsole:
    """Operators, requests and the audit (mixed into :class:`~cytolicense.Console`)."""

    if TYPE_CHECKING:
        engine: Engine
        store: ClientStore
        _guard: Guard

        def _get(self, client_id: str) -> Client: ...
        def _apply(
            self,
            client_id: str,
            operation: Operation,
            today: dt.date,
            actor: str | None,
            reason: str | None,
            key: str | None,
        ) -> Change: ...
        def check(self, client_id: str, operation: Operation, today: dt.date) -> Decision: ...
        def _retrying(self, run: Callable[[], R], key: str | None) -> R: ...

    _clock: Callable[[], dt.datetime] = staticmethod(lambda: dt.datetime.now(dt.UTC))

    # -- who acts ------------------------------------------------------------------------------

    def may(self, action: str) -> bool:
        """Whether this console's operator may do *action* (an operation's kind, or
        ``add_client``, ``request``, ``approve``, ``credit_pool``, ``operators``,
        ``audit``, ...): what a page offers."""
        return self._guard.may(action)

    @property
    def operator(self) -> Operator | None:
        """The operator this console acts as (``None``: every right)."""
        return self._guard.operator

    def as_operator(self, operator_id: str) -> Any:
        """The same console (engine and store), every call checked against the
        operator *operator_id*: a client out of its scope does not exist for it
        (:class:`NotFoundError`, and lists leave it out); an action its role does not
        allow raises :class:`ForbiddenError`.

        Raises:
            UnknownIdError: the partner has no such operator.
        """
        found = self._team().operator(operator_id)
        if found is None:
            raise UnknownIdError("operator", operator_id)
        other = type(self).__new__(type(self))
        other.__dict__.update(self.__dict__)
        other._guard = Guard(found)
        return other

    def _team(self) -> Any:
        """The store's team tables (a store without them cannot keep operators)."""
        if not hasattr(self.store, "operators"):
            raise TypeError(f"{self.store!r} keeps no operators")
        return self.store

    # -- the audit -----------------------------------------------------------------------------

    def _audits(self) -> bool:
        return hasattr(self.store, "write_audit")

    def _entry(
        self, action: str, client: str | None, outcome: str, codes: tuple[str, ...] = ()
    ) -> AuditEntry:
        return AuditEntry(
            at=self._clock(),
            operator=self._guard.who,
            client=client,
            action=action,
            outcome=outcome,  # type: ignore[arg-type]
            codes=codes,
        )

    def _attempt(
        self,
        action: str,
        client: str | list[str | None] | None,
        run: Callable[[], R],
        *,
        retry: bool = False,
        key: str | None = None,
        name: str | None = None,
        scope: str | None = None,
    ) -> R:
        """*run* (a write) with its audit entry: applied in *run*'s own transaction,
        refused or forbidden in one of its own afterwards. *client* is the client's id,
        or a list whose first item *run* sets once it knows it. With *retry*, the
        console's :class:`Retry` runs it again as :meth:`apply` would (under *key*)."""
        audits = self._audits()
        store: Any = self.store
        permission, action = action, name or action

        def applied() -> AuditEntry:
            return self._entry(action, _client(client), "applied")

        def once() -> R:
            if not audits:
                return run()
            audited = getattr(store, "audited", None)
            if audited is not None:  # the store's own: PostgreSQL writes both at once
                with audited(applied):
                    return run()
            with store.batch():
                result = run()
                store.write_audit(applied())
            return result

        try:
            if scope is not None and self._guard.grants is not None:
                self._get(scope)  # out of scope: not found, before any right is asked
            self._guard.require(permission)
            return self._retrying(once, key) if retry else once()
        except ForbiddenError as exc:
            if audits:
                self._record(action, _client(client), "forbidden", codes_of(exc))
            raise
        except (CytolicenseError, ValueError) as exc:
            if audits:
                self._record(action, _client(client), "refused", codes_of(exc))
            raise

    def _record(
        self, action: str, client: str | None, outcome: str, codes: tuple[str, ...]
    ) -> None:
        """Write the entry of an attempt that changed nothing (a failure to write it
        must not hide the caller's error)."""
        with contextlib.suppress(CytolicenseError):
            self.store.write_audit(self._entry(action, client, outcome, codes))  # type: ignore[attr-defined]

    def audit(self, *, limit: int = 100) -> tuple[AuditEntry, ...]:
        """The partner's last *limit* audit entries, newest first: every attempted write
        through a console (applied, refused with its codes, forbidden). Reading it
        needs the ``audit`` permission."""
        self._guard.require("audit")
        return tuple(self._team().audit(limit=limit))

    # -- operators -----------------------------------------------------------------------------

    def operators(self) -> tuple[Operator, ...]:
        """The partner's operators, in the order they were added."""
        self._guard.require("operators")
        return tuple(self._team().operators())

    def add_operator(self, operator: Operator, today: dt.date) -> Operator:
        """Add *operator* (the partner's first is its primary one, and must have total
        control); the operator as stored.

        Raises:
            RuleViolation: a first operator without total control (``auth.last_admin``).
            OperatorExistsError: the id is taken.
        """

        def run() -> Operator:
            team = self._team()
            others = team.lock_operators()  # held to the commit: one change at a time
            if any(o.id == operator.id for o in others):
                raise said(OperatorExistsError, "operator '{id}' exists", id=operator.id)
            if not others and operator.role is not Role.TOTAL_CONTROL:
                raise _violation(LAST_ADMIN.finding("role", {"operator": operator.id}))
            stored = attrs.evolve(operator, primary=not others)
            team.put_operator(stored)
            return stored

        return self._attempt("add_operator", None, run)

    def update_operator(self, operator: Operator, today: dt.date) -> Operator:
        """Replace the operator of *operator*'s id (its name, role and grants; whether
        it is primary stays as it is); the operator as stored.

        Raises:
            UnknownIdError: no such operator.
            RuleViolation: the primary operator's role would change
                (``auth.primary_immutable``), or no operator would have total control
                (``auth.last_admin``).
        """

        def run() -> Operator:
            team = self._team()
            others = team.lock_operators()  # held to the commit: one change at a time
            before = next((o for o in others if o.id == operator.id), None)
            if before is None:
                raise UnknownIdError("operator", operator.id)
            if before.primary and operator.role is not before.role:
                raise _violation(PRIMARY_IMMUTABLE.finding("role", {"operator": operator.id}))
            stored = attrs.evolve(operator, primary=before.primary)
            _keep_an_admin(others, stored)
            team.put_operator(stored)
            return stored

        return self._attempt("update_operator", None, run)

    def remove_operator(self, operator_id: str, today: dt.date) -> None:
        """Remove the operator.

        Raises:
            UnknownIdError: no such operator.
            RuleViolation: it is the primary operator (``auth.primary_immutable``) or
                the last with total control (``auth.last_admin``).
        """

        def run() -> None:
            team = self._team()
            others = team.lock_operators()  # held to the commit: one change at a time
            before = next((o for o in others if o.id == operator_id), None)
            if before is None:
                raise UnknownIdError("operator", operator_id)
            if before.primary:
                raise _violation(PRIMARY_IMMUTABLE.finding("operator", {"operator": operator_id}))
            _keep_an_admin(others, None, gone=operator_id)
            team.delete_operator(operator_id)

        self._attempt("remove_operator", None, run)

    def set_password_hash(self, operator_id: str, secret: str | None, today: dt.date) -> None:
        """Keep the hash of the operator's password (made by the web console's
        ``hash_password``: a memory-hard function; ``None`` removes it). An operator
        may set its own; another's needs the ``operators`` permission.

        Raises:
            UnknownIdError: no such operator.
        """

        def run() -> None:
            if not self._team().set_secret(operator_id, secret):
                raise UnknownIdError("operator", operator_id)

        action = "set_password"
        if self._guard.who == operator_id:  # one's own: no permission needed
            action = "read"
        self._attempt(action, None, run, name="set_password")

    def password_hash(self, operator_id: str) -> str | None:
        """The operator's password hash (for signing in), or ``None``."""
        found: str | None = self._team().secret(operator_id)
        return found

    # -- requests ------------------------------------------------------------------------------

    def request(self, client_id: str, operation: Operation, today: dt.date) -> OperationRequest:
        """File *operation* on the client for another operator to approve; nothing is
        applied.

        Raises:
            RuleViolation: its dry run on *today* has errors (nothing is stored).
            NotFoundError: the client is not in the operator's scope.
        """

        def run() -> OperationRequest:
            decision = self.check(client_id, operation, today)
            if not decision.ok:
                raise RuleViolation(decision, operation.kind)
            _in_scope_target(self._guard, operation)
            return self._team().add_request(client_id, operation, self._guard.who, today)  # type: ignore[no-any-return]

        return self._attempt("request", client_id, run, scope=client_id)

    def requests(self, status: str | None = "pending") -> tuple[OperationRequest, ...]:
        """The partner's requests of *status* (``"pending"``, ``"approved"``,
        ``"rejected"``; ``None``: all), oldest first; those on clients out of the
        operator's scope are left out."""
        self._guard.require("read")
        found = self._team().requests(status)
        if self._guard.grants is None:
            return tuple(found)
        return tuple(r for r in found if self._reachable(r.client))

    def _reachable(self, client_id: str) -> bool:
        try:
            self._get(client_id)
        except NotFoundError:
            return False
        return True

    def _pending(self, request_id: str, today: dt.date, action: str) -> OperationRequest:
        found: OperationRequest | None = self._team().request(request_id)
        if found is None or not self._reachable(found.client):
            raise UnknownIdError("request", request_id)
        who = self._guard.who
        if who is not None and found.requested_by == who:
            from ..core._access import forbidden

            raise forbidden(who, action)
        if found.status != "pending":  # already approved or rejected
            raise UnknownIdError("pending request", request_id)
        return found

    def approve(self, request_id: str, today: dt.date) -> Change:
        """Apply the pending request's operation dated *today*, checked again now, with
        the approver as the events' actor and the requester in their reason.

        Raises:
            ForbiddenError: the operator filed it (nobody decides its own).
            RuleViolation: ``request.expired`` (more than 30 days after it was filed),
                or the operation is refused today; the request stays pending.
        """
        client_hint: list[str | None] = [None]

        def run() -> Change:
            found = self._pending(request_id, today, "approve")
            client_hint[0] = found.client
            if (today - found.requested_on).days > REQUEST_DAYS:
                last = found.requested_on + dt.timedelta(days=REQUEST_DAYS)
                raise _violation(
                    REQUEST_EXPIRED.finding(
                        "today",
                        {
                            "request": found.id,
                            "requested_on": found.requested_on.isoformat(),
                            "last_day": last.isoformat(),
                        },
                    )
                )
            _in_scope_target(self._guard, found.operation)
            by = found.requested_by or "a console without an operator"
            change = self._apply(
                found.client,
                found.operation,
                today,
                self._guard.who,
                f"request {found.id} filed by {by} on {found.requested_on.isoformat()}",
                None,
            )
            decided = attrs.evolve(
                found, status="approved", decided_by=self._guard.who, decided_on=today
            )
            if not self._team().decide_request(decided):
                raise UnknownIdError("pending request", request_id)  # decided meanwhile
            return change

        return self._attempt("approve", client_hint, run)

    def reject(
        self, request_id: str, today: dt.date, reason: str | None = None
    ) -> OperationRequest:
        """Reject the pending request (*reason*: why); the request as decided.

        Raises:
            ForbiddenError: the operator filed it.
        """
        client_hint: list[str | None] = [None]

        def run() -> OperationRequest:
            found = self._pending(request_id, today, "reject")
            client_hint[0] = found.client
            decided = attrs.evolve(
                found,
                status="rejected",
                decided_by=self._guard.who,
                decided_on=today,
                reason=reason,
            )
            if not self._team().decide_request(decided):
                raise UnknownIdError("pending request", request_id)  # decided meanwhile
            return decided

        return self._attempt("reject", client_hint, run)


def _violation(finding: Any) -> RuleViolation:
    return RuleViolation(Decision((finding,)), "operators")


def _keep_an_admin(
    operators: tuple[Operator, ...], changed: Operator | None, *, gone: str | None = None
) -> None:
    """Refuse (``auth.last_admin``) a change that leaves no operator with total control."""
    after = [
        changed if changed is not None and o.id == changed.id else o
        for o in operators
        if o.id != gone
    ]
    if not any(o.role is Role.TOTAL_CONTROL for o in after):
        who = gone if gone is not None else (changed.id if changed is not None else "")
        raise _violation(LAST_ADMIN.finding("role", {"operator": who}))


def _in_scope_target(guard: Guard, operation: Operation) -> None:
    """A :class:`SetGroup` into a group out of the operator's scope is forbidden."""
    target = getattr(operation, "group", None)
    if operation.kind == "set_group" and isinstance(target, str) and not guard.reaches(target):
        from ..core._access import forbidden

        assert guard.who is not None
        raise forbidden(guard.who, "set_group")


def _client(client: str | list[str | None] | None) -> str | None:
    return client[0] if isinstance(client, list) else client
