"""A console for a team: operators, roles and scope, requests and the audit, on both
stores (the Panda, Sophos, ESET and Lago vectors of issue 47)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cytolicense as cl
from cytolicense import ForbiddenError, Grant, Operator, Role, RuleViolation, SetGroup

from .store_worker import REQUEST

D = dt.date
T = D(2026, 4, 1)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "sqlite":
        opened = cl.open_store(f"sqlite:///{tmp_path / 'team.db'}", "p")
    else:
        url = request.getfixturevalue("postgres_url")
        opened = cl.open_store(url, uuid.uuid4().hex[:8])
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def engine() -> cl.Engine:
    return cl.Engine(cl.load_catalog())


def team(engine: cl.Engine, store: Any) -> cl.Console:
    """A partner with clients in north, north/retail, north/retail/later, south and
    the default group, and one operator of each role."""
    root = cl.Console(engine, store)
    for cid, group in [
        ("n1", "north"),
        ("r1", "north/retail"),
        ("l1", "north/retail/later"),
        ("s1", "south"),
        ("d1", ""),
    ]:
        root.add_client(cid, cid.upper(), T, group=group)
        root.apply(cid, REQUEST, T)
    root.add_operator(Operator(id="boss", name="Boss", role=Role.TOTAL_CONTROL), T)
    root.add_operator(
        Operator(id="lic", name="Lic", role="license_admin", grants={Grant(group="north")}), T
    )
    root.add_operator(
        Operator(
            id="sec",
            name="Sec",
            role="security_admin",
            grants={Grant(group="north/retail", subgroups=False)},
        ),
        T,
    )
    root.add_operator(
        Operator(id="mon", name="Mon", role="monitoring", grants={Grant(group="south")}), T
    )
    return root


def ids(clients: Any) -> list[str]:
    return sorted(c.id for c in clients)


def test_scope_and_subgroups(engine: cl.Engine, store: Any) -> None:
    root = team(engine, store)
    lic, sec = root.as_operator("lic"), root.as_operator("sec")
    # A group and all of its subgroups, those created later included.
    assert ids(lic.monitoring(T)) == ["l1", "n1", "r1"]
    assert ids(lic.clients()) == ["l1", "n1", "r1"]
    assert [r.id for r in lic.rows(T)] == ["l1", "n1", "r1"]
    # Some subgroups only: not those below it.
    assert ids(sec.monitoring(T)) == ["r1"]
    assert ids(root.as_operator("boss").monitoring(T)) == ["d1", "l1", "n1", "r1", "s1"]
    # Out of scope does not exist: detail, history, check, apply.
    for call in (
        lambda: sec.detail("n1", T),
        lambda: sec.history("l1"),
        lambda: sec.get("s1"),
        lambda: lic.check("s1", REQUEST, T),
        lambda: lic.apply("s1", cl.DeleteClient(), T),
    ):
        with pytest.raises(cl.NotFoundError):
            call()
    assert [e.client_id for e in lic.expiring(T, 400)] == sorted(["l1", "n1", "r1"])
    assert lic.rows(T, group="north/retail") and {
        r.id for r in lic.rows(T, group="north/retail")
    } == {"r1", "l1"}
    assert root.rows(T, group="north/retail", limit=10)[0].id == "l1"


def test_what_each_role_may_do(engine: cl.Engine, store: Any) -> None:
    root = team(engine, store)
    mon, sec, lic = (root.as_operator(x) for x in ("mon", "sec", "lic"))
    # Monitoring reads, never writes.
    assert mon.detail("s1", T).lines
    assert mon.check("s1", cl.DeleteClient(), T).ok
    with pytest.raises(ForbiddenError) as caught:
        mon.apply("s1", cl.DeleteClient(), T)
    finding = caught.value.finding
    assert (finding.code, finding.field) == ("auth.forbidden", "operator")
    assert dict(finding.params) == {"operator": "mon", "action": "delete_client"}
    with pytest.raises(ForbiddenError):
        mon.request("s1", cl.DeleteClient(), T)
    assert root.get("s1").deleted_on is None
    # Security admin: requests, never applies nor decides.
    with pytest.raises(ForbiddenError):
        sec.apply("r1", cl.DeleteClient(), T)
    with pytest.raises(ForbiddenError):
        sec.add_client("x", "X", T, group="north/retail")
    # Licence admin: applies and adds clients within its scope; no pool, operators, audit.
    lic.apply("n1", cl.Modify(maintenance="m1", quantity=13), T)
    lic.add_client("n2", "N2", T, group="north/new")
    with pytest.raises(ForbiddenError):
        lic.add_client("s2", "S2", T, group="south")
    with pytest.raises(ForbiddenError):
        lic.apply("n1", SetGroup(group="south"), T)
    lic.apply("n1", SetGroup(group="north/retail"), T)
    assert root.get("n1").group == "north/retail"
    for call in (
        lambda: lic.credit_pool(REQUEST.product, "1y", 5, T),
        lambda: lic.operators(),
        lambda: lic.add_operator(Operator(id="x", name="X", role="monitoring"), T),
        lambda: lic.audit(),
    ):
        with pytest.raises(ForbiddenError):
            call()
    assert "s2" not in store


def test_primary_and_last_admin(engine: cl.Engine, store: Any) -> None:
    root = cl.Console(engine, store)
    with pytest.raises(RuleViolation) as caught:
        root.add_operator(Operator(id="m", name="M", role="monitoring"), T)
    assert caught.value.decision.errors[0].code == "auth.last_admin"
    first = root.add_operator(Operator(id="p", name="P", role="total_control"), T)
    assert first.primary
    second = root.add_operator(Operator(id="q", name="Q", role="total_control", primary=True), T)
    assert not second.primary
    for call in (
        lambda: root.update_operator(Operator(id="p", name="P", role="monitoring"), T),
        lambda: root.remove_operator("p", T),
    ):
        with pytest.raises(RuleViolation) as caught:
            call()
        assert caught.value.decision.errors[0].code == "auth.primary_immutable"
    # Renaming the primary keeps it primary.
    assert root.update_operator(Operator(id="p", name="Pat", role="total_control"), T).primary
    root.update_operator(Operator(id="q", name="Q", role="monitoring"), T)
    root.remove_operator("q", T)
    assert [o.id for o in root.operators()] == ["p"]
    # Only total control manages operators.
    root.add_operator(Operator(id="l", name="L", role="license_admin"), T)
    with pytest.raises(ForbiddenError):
        root.as_operator("l").remove_operator("p", T)
    with pytest.raises(cl.UnknownIdError):
        root.as_operator("nobody")


def test_last_admin_when_the_primary_is_gone(engine: cl.Engine, store: Any) -> None:
    # A store whose primary was removed by hand still keeps one total control.
    root = cl.Console(engine, store)
    root.add_operator(Operator(id="p", name="P", role="total_control"), T)
    store.put_operator(Operator(id="p", name="P", role="total_control", primary=False))
    with pytest.raises(RuleViolation) as caught:
        root.remove_operator("p", T)
    assert caught.value.decision.errors[0].code == "auth.last_admin"


def test_requests_approved_through_day_30(engine: cl.Engine, store: Any) -> None:
    root = team(engine, store)
    sec, lic = root.as_operator("sec"), root.as_operator("lic")
    op = cl.Modify(maintenance="m1", quantity=14)
    filed = sec.request("r1", op, T)
    late = sec.request("r1", cl.Modify(maintenance="m1", quantity=15), T)
    assert (filed.status, filed.requested_by, filed.requested_on) == ("pending", "sec", T)
    assert root.get("r1").maintenances[0].quantity != 14  # nothing applied
    assert [r.id for r in lic.requests()] == [filed.id, late.id]
    assert root.as_operator("mon").requests() == ()  # out of its scope
    with pytest.raises(ForbiddenError):
        sec.approve(filed.id, T)  # not its right
    # A request of its own cannot be decided.
    own = lic.request("n1", cl.Modify(maintenance="m1", quantity=12), T)
    with pytest.raises(ForbiddenError):
        lic.approve(own.id, T)
    with pytest.raises(ForbiddenError):
        lic.reject(own.id, T)
    # Approvable until 2026-05-01 (day 30), dated the approval day, by the approver.
    change = lic.approve(filed.id, D(2026, 5, 1))
    assert change.client.maintenances[0].quantity == 14
    event = store.history("r1")[-1]
    assert event.on == D(2026, 5, 1) and event.actor == "lic" and "sec" in (event.reason or "")
    (done,) = lic.requests("approved")
    assert (done.decided_by, done.decided_on) == ("lic", D(2026, 5, 1))
    with pytest.raises(cl.UnknownIdError):  # no longer pending
        lic.approve(filed.id, D(2026, 5, 1))
    # Day 31: expired, and it stays pending.
    with pytest.raises(RuleViolation) as caught:
        lic.approve(late.id, D(2026, 5, 2))
    assert caught.value.decision.errors[0].code == "request.expired"
    assert late.id in [r.id for r in lic.requests()]
    rejected = root.as_operator("boss").reject(late.id, D(2026, 5, 2), reason="late")
    assert (rejected.status, rejected.reason) == ("rejected", "late")


def test_a_request_is_checked_when_filed_and_again_when_approved(
    engine: cl.Engine, store: Any
) -> None:
    root = team(engine, store)
    sec, lic = root.as_operator("sec"), root.as_operator("lic")
    with pytest.raises(RuleViolation):
        sec.request("r1", cl.Modify(maintenance="m9", quantity=14), T)
    assert root.requests(None) == ()
    filed = sec.request("r1", cl.Modify(maintenance="m1", quantity=14), T)
    root.apply("r1", cl.DeleteClient(), D(2026, 4, 2))
    with pytest.raises(RuleViolation):
        lic.approve(filed.id, D(2026, 4, 3))
    assert [r.id for r in root.requests()] == [filed.id]  # still pending


def test_the_audit_of_every_attempt(engine: cl.Engine, store: Any) -> None:
    root = team(engine, store)
    boss, mon, lic = root.as_operator("boss"), root.as_operator("mon"), root.as_operator("lic")
    before = len(boss.audit(limit=1000))
    with pytest.raises(ForbiddenError):
        mon.apply("s1", cl.DeleteClient(), T)
    with pytest.raises(RuleViolation):
        lic.apply("n1", cl.Modify(maintenance="m1", quantity=0), T)
    lic.apply("n1", cl.Modify(maintenance="m1", quantity=12), T)
    lic.check("n1", cl.DeleteClient(), T)  # a dry run: not audited
    lic.monitoring(T)  # a read: not audited
    entries = boss.audit(limit=1000)
    assert len(entries) == before + 3
    applied, refused, forbidden = entries[:3]
    assert (applied.operator, applied.client, applied.action, applied.outcome) == (
        "lic",
        "n1",
        "modify",
        "applied",
    )
    assert refused.outcome == "refused" and "quantity.invalid" in refused.codes
    assert (forbidden.operator, forbidden.action, forbidden.outcome, forbidden.codes) == (
        "mon",
        "delete_client",
        "forbidden",
        ("auth.forbidden",),
    )
    assert all(e.at.tzinfo is not None for e in entries)
    actions = {e.action for e in entries}
    assert {"add_client", "add_operator", "assign", "modify"} <= actions
    assert len(boss.audit(limit=2)) == 2


def test_the_audit_is_never_rewritten(engine: cl.Engine, store: Any) -> None:
    root = team(engine, store)
    before = root.audit(limit=1000)
    for sql in ("UPDATE audit SET outcome = 'refused'", "DELETE FROM audit"):
        # Refused (SQLite's triggers), or no row the app may change (PostgreSQL: the
        # policies allow SELECT and INSERT alone).
        try:
            with store.batch():
                assert store._exec(store._sql(sql), ()) == 0
        except Exception as exc:  # the driver's error, or the store's
            assert "append-only" in str(exc)
    assert root.audit(limit=1000) == before


def test_an_applied_change_and_its_entry_commit_together(engine: cl.Engine, store: Any) -> None:
    root = team(engine, store)
    before = len(root.audit(limit=1000))
    fail = RuntimeError("the disk is full")

    def broken(entry: Any) -> None:
        raise fail

    original = store.write_audit
    store.write_audit = broken
    try:
        with pytest.raises(RuntimeError):
            root.apply("n1", cl.Modify(maintenance="m1", quantity=13), T)
    finally:
        store.write_audit = original
    assert root.get("n1").maintenances[0].quantity != 13  # the change went with its entry
    assert len(root.audit(limit=1000)) == before


def test_two_demotions_at_once_keep_a_total_control(tmp_path: Path, postgres_url: str) -> None:
    """Two operators with total control demoted by two writers at once: the operators'
    rows are locked while one change is decided, so one of them is refused."""
    import threading

    partner = uuid.uuid4().hex[:8]
    engine = cl.Engine(cl.load_catalog())
    setup = cl.open_store(postgres_url, partner)
    root = cl.Console(engine, setup)
    root.add_operator(Operator(id="p", name="P", role="total_control"), T)
    root.add_operator(Operator(id="a", name="A", role="total_control"), T)
    root.add_operator(Operator(id="b", name="B", role="total_control"), T)
    # The primary's role stays; demote a and b at once, the primary gone by hand.
    setup.put_operator(Operator(id="p", name="P", role="monitoring", primary=True))
    results: list[object] = []

    def demote(who: str) -> None:
        store = cl.open_store(postgres_url, partner)
        try:
            cl.Console(engine, store).update_operator(
                Operator(id=who, name=who, role="monitoring"), T
            )
            results.append("ok")
        except RuleViolation as exc:
            results.append(exc.decision.errors[0].code)
        finally:
            store.close()

    threads = [threading.Thread(target=demote, args=(w,)) for w in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["auth.last_admin", "ok"]
    assert any(o.role is Role.TOTAL_CONTROL for o in setup.operators())
    setup.close()
