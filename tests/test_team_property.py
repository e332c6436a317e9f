"""No escape: over random operators, grants and operations, on both stores, no operator
ever reads or changes a client out of its scope, nor does what its role forbids.

The test holds its own model of the contract (the role table written out by role
name, the scope rule from the grants), independent of the library's, and checks every
call against it: the answer (a value, NotFoundError, ForbiddenError) and the state of
every client afterwards (a refused or forbidden call changes nothing). The audit is
checked to grow by one entry for each attempted write.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cytolicense as cl
from cytolicense import ForbiddenError, Grant, NotFoundError, Operator, RuleViolation

from .conftest import SOAK
from .store_worker import REQUEST

T = dt.date(2026, 4, 1)
GROUPS = ["", "a", "a/b", "a/b/c", "a/d", "b", "b/e"]
CLIENTS = ["c0", "c1", "c2", "c3", "c4", "c5"]

# The contract's table, by role name (the library's checks never name a role).
MAY = {
    "total_control": {"read", "apply", "request", "decide", "pool", "operators", "audit"},
    "license_admin": {"read", "apply", "request", "decide"},
    "security_admin": {"read", "request"},
    "monitoring": {"read"},
}


def reaches(role: str, grants: frozenset[Grant], group: str) -> bool:
    if role == "total_control":
        return True
    for g in grants:
        if g.group == group or (g.subgroups and (g.group == "" or group.startswith(g.group + "/"))):
            return True
    return False


grants = st.frozensets(
    st.builds(Grant, group=st.sampled_from(GROUPS), subgroups=st.booleans()), max_size=3
)
operators = st.lists(st.tuples(st.sampled_from(sorted(MAY)), grants), min_size=1, max_size=4)
steps = st.lists(
    st.tuples(
        st.integers(0, 3),  # who acts (an operator's index)
        st.sampled_from(
            [
                "get",
                "history",
                "check",
                "modify",
                "move",
                "delete",
                "add",
                "request",
                "approve",
                "reject",
                "credit",
                "audit",
                "operators",
                "clients",
                "monitoring",
                "rows",
                "expiring",
            ]
        ),
        st.sampled_from(CLIENTS),
        st.sampled_from(GROUPS),
    ),
    min_size=1,
    max_size=25,
)

OPERATIONS = [0]
"""Operations checked so far (a soak reports it)."""

WRITES = {"modify", "move", "delete", "add", "request", "approve", "reject", "credit"}


def snapshot(store: Any) -> dict[str, Any]:
    return {c.id: c for c in store.clients()}


def run_scenario(store: Any, team: list[tuple[str, frozenset[Grant]]], plan: list[Any]) -> int:
    engine = cl.Engine(cl.load_catalog())
    root = cl.Console(engine, store)
    for i, cid in enumerate(CLIENTS):
        root.add_client(cid, cid.upper(), T, group=GROUPS[(i * 3) % len(GROUPS)])
        root.apply(cid, REQUEST, T)
    root.add_operator(Operator(id="root", name="Root", role="total_control"), T)
    people: list[tuple[str, str, frozenset[Grant]]] = []
    for n, (role, gs) in enumerate(team):
        root.add_operator(Operator(id=f"o{n}", name=f"O{n}", role=role, grants=gs), T)
        people.append((f"o{n}", role, gs))
    checked = 0
    for who, action, cid, group in plan:
        oid, role, gs = people[who % len(people)]
        console = root.as_operator(oid)
        before = snapshot(store)
        audit_before = len(root.audit(limit=10_000))
        known = before.get(cid)
        in_scope = known is not None and reaches(role, gs, known.group)
        pending = [r for r in root.requests() if r.requested_by != oid]
        call, needs, client_bound, target = _call(console, action, cid, group, pending, before)
        try:
            result = call()
        except NotFoundError:
            assert (client_bound and not in_scope) or action in ("approve", "reject"), (
                action,
                oid,
            )
            outcome = "not_found"
        except ForbiddenError as exc:
            assert exc.finding.params["operator"] == oid
            forbidden_ok = needs not in MAY[role] or (
                target is not None and not reaches(role, gs, target)
            )
            assert forbidden_ok or action in ("approve", "reject"), (action, role, target)
            assert not client_bound or in_scope, "a client out of scope must not exist"
            outcome = "forbidden"
        except (RuleViolation, cl.UnknownIdError, cl.CytolicenseError, ValueError):
            outcome = "refused"
        else:
            outcome = "done"
            # Allowed only when the role holds the permission and the client (and the
            # target group) are in scope.
            assert needs in MAY[role], (action, role)
            if client_bound:
                assert in_scope, (action, oid, cid)
            if target is not None:
                assert reaches(role, gs, target), (action, oid, target)
            _check_lists(action, result, role, gs, before)
        after = snapshot(store)
        if outcome != "done":
            assert after == before, (action, oid, outcome)
        # Whatever changed, changed only clients the operator reaches (now and before).
        for c_id in set(before) | set(after):
            if before.get(c_id) != after.get(c_id):
                assert outcome == "done"
                was, now = before.get(c_id), after.get(c_id)
                assert was is None or reaches(role, gs, was.group), (action, c_id)
                assert now is None or reaches(role, gs, now.group), (action, c_id)
        grew = len(root.audit(limit=10_000)) - audit_before
        assert grew == (1 if action in WRITES and outcome != "not_found_pre" else 0), (
            action,
            outcome,
            grew,
        )
        checked += 1
        OPERATIONS[0] += 1
    return checked


def _call(
    console: Any,
    action: str,
    cid: str,
    group: str,
    pending: list[Any],
    before: dict[str, Any],
) -> tuple[Callable[[], Any], str, bool, str | None]:
    """The call, the permission it needs, whether it names a client, and the group it
    moves a client into (if any)."""
    if action == "get":
        return (lambda: console.get(cid)), "read", True, None
    if action == "history":
        return (lambda: console.history(cid)), "read", True, None
    if action == "check":
        return (lambda: console.check(cid, cl.DeleteClient(), T)), "read", True, None
    if action == "modify":
        op = cl.Modify(maintenance="m1", quantity=12)
        return (lambda: console.apply(cid, op, T)), "apply", True, None
    if action == "move":
        return (lambda: console.apply(cid, cl.SetGroup(group=group), T)), "apply", True, group
    if action == "delete":
        return (lambda: console.apply(cid, cl.DeleteClient(), T)), "apply", True, None
    if action == "add":
        new = f"n{uuid.uuid4().hex[:6]}"
        return (lambda: console.add_client(new, "New", T, group=group)), "apply", False, group
    if action == "request":
        op = cl.Modify(maintenance="m1", quantity=11)
        return (lambda: console.request(cid, op, T)), "request", True, None
    if action in ("approve", "reject"):
        rid = pending[0].id if pending else "r999"
        decide = console.approve if action == "approve" else console.reject
        return (lambda: decide(rid, T)), "decide", False, None
    if action == "credit":
        return (lambda: console.credit_pool(REQUEST.product, "1y", 5, T)), "pool", False, None
    if action == "audit":
        return (lambda: console.audit()), "audit", False, None
    if action == "operators":
        return (lambda: console.operators()), "operators", False, None
    if action == "clients":
        return (lambda: console.clients()), "read", False, None
    if action == "monitoring":
        return (lambda: console.monitoring(T)), "read", False, None
    if action == "rows":
        return (lambda: console.rows(T)), "read", False, None
    return (lambda: console.expiring(T, 400)), "read", False, None


def _check_lists(
    action: str, result: Any, role: str, gs: frozenset[Grant], before: dict[str, Any]
) -> None:
    """A list holds exactly the clients in scope (those it would list at all)."""
    if action not in ("clients", "monitoring", "rows", "expiring"):
        return
    ids = {getattr(x, "client_id", None) or x.id for x in result}
    in_scope = {c for c, client in before.items() if reaches(role, gs, client.group)}
    assert ids <= in_scope, (action, ids - in_scope)
    if action in ("clients", "rows"):
        assert ids == in_scope, (action, in_scope - ids)


LIMIT = settings(
    max_examples=200 if SOAK else 12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@LIMIT
@given(team=operators, plan=steps)
def test_no_escape_on_sqlite(tmp_path: Path, team: Any, plan: Any) -> None:
    path = tmp_path / f"{uuid.uuid4().hex}.db"
    with cl.Store(path, "p") as store:
        assert run_scenario(store, team, plan) == len(plan)


@LIMIT
@given(team=operators, plan=steps)
def test_no_escape_on_postgres(postgres_url: str, team: Any, plan: Any) -> None:
    store = cl.PostgresStore(postgres_url, uuid.uuid4().hex[:10])
    try:
        assert run_scenario(store, team, plan) == len(plan)
    finally:
        store.close()


@pytest.mark.parametrize("role", sorted(MAY))
def test_every_role_against_the_table(tmp_path: Path, role: str) -> None:
    """One operator of each role tries everything once on a client in its scope."""
    with cl.Store(tmp_path / "t.db", "p") as store:
        everything = [
            (0, a, "c1", "a")
            for a in (
                "get",
                "check",
                "request",
                "modify",
                "move",
                "add",
                "credit",
                "audit",
                "operators",
                "clients",
            )
        ]
        assert run_scenario(store, [(role, frozenset({Grant(group="")}))], everything) == 10
