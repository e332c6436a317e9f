"""Random sessions of console operations, and the decisions an engine gives on them.

``python -m tests._decisions`` (from the repository's root) plays a few hundred
random sessions (clients and operations drawn with the suite's hypothesis
strategies, every operation type, with and without a pool, on engines with plugin
rules written as a generator, as a function returning a list, and as a
``RuleSpec``) and writes every step's decision, and what ``apply`` did, to
``tests/data/decisions.json``. ``tests/test_decisions.py`` plays the same sessions
on today's engine and requires the same answers: the fixture was recorded before
the generated-check tier was deleted (issue 50), so it holds the new engine to the
old one's decisions.

A step is recorded as the day's gap, the operation's JSON document, the decision
(each finding as ``[code, severity, field, params]``) and a digest of what ``apply``
did (the event types, the client's maintenances and the pool afterwards, in this
module's own encoding, so that a record gaining a field does not change it), or of
the error it raised.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import cytolicense as cl

from ._vendor import first_big_module, with_module_call
from .conftest import EndpointModules, TestCatalog

FIXTURE = Path(__file__).parent / "data" / "decisions.json"
D = dt.date

# -- plugin rules of each style ------------------------------------------------------

BIG = cl.CodeSpec(code="acme.big", messages={"en": "{quantity} seats is a lot."})
ODD = cl.CodeSpec(
    code="acme.odd", severity=cl.Severity.WARNING, messages={"en": "Odd seats: {quantity}."}
)
POOLED = cl.CodeSpec(
    code="acme.pooled", severity=cl.Severity.WARNING, messages={"en": "Pooled {kind}."}
)
LIMIT = 40  # a module-level setting the generator rule reads


def big_generator(ctx: cl.RuleContext) -> Iterator[cl.Finding]:
    """A plain rule written as the how-to shows: a generator."""
    req = ctx.request
    if req is not None and req.quantity > LIMIT:
        yield BIG.finding("quantity", {"quantity": req.quantity})


def odd_list(ctx: cl.RuleContext) -> list[cl.Finding]:
    """A plain rule returning a list (a warning: odd seats on a module)."""
    req = ctx.request
    if req is None:
        return []
    found = []
    for module, seats in req.modules.items():
        if seats is not None and seats % 2:
            found.append(ODD.finding("modules." + module, {"quantity": seats}))
    return found


def pooled_tuple(ctx: cl.RuleContext) -> tuple[cl.Finding, ...]:
    """A declared rule returning a tuple, run only with a pool."""
    if ctx.period is not None and ctx.period.years >= 2:
        return (POOLED.finding("period", {"kind": ctx.operation}),)
    return ()


POOLED_SPEC = cl.RuleSpec(
    check=pooled_tuple,
    operations={"assign", "renew", "add_seats", "change_product", "convert_trial", "suspend"},
    codes=(POOLED,),
    relevant=lambda plan, lt: plan.family == "endpoint",
    needs_pool=True,
)
STYLES: tuple[Any, ...] = (big_generator, odd_list, POOLED_SPEC, first_big_module, with_module_call)


class StyledRules:
    """The rules above, from a catalog plugin (the ``cytolicense_rules`` hook)."""

    __name__ = "tests.decisions_rules"

    @cl.hookimpl
    def cytolicense_rules(self) -> list[Any]:
        return [big_generator, POOLED_SPEC]


class Lifecycle(EndpointModules):
    __name__ = "tests.decisions_lifecycle"

    @cl.hookimpl
    def cytolicense_products(self) -> list[cl.Product]:
        return [
            cl.Product(
                id="edr",
                name="EDR",
                family="endpoint",
                modules=["enc", "patch", "watch"],
                periods=["1m", "1y", "2y"],
                grace_days=7,
                changes_to=["epdr"],
                trial_extension_days=15,
                trial_max_quantity=100,
                suspend_extends_term=True,
            ),
            cl.Product(
                id="epdr",
                name="EPDR",
                family="endpoint",
                modules=["enc", "patch"],
                periods=["1y", "3y"],
                term_end="day_before",
                changes_to=["edr"],
                renewal_window_days=90,
            ),
            cl.Product(id="old", name="Old", family="endpoint", available_until=D(2026, 6, 30)),
        ]


# -- the engines ---------------------------------------------------------------------


def _engines() -> dict[str, Callable[[], cl.Engine]]:
    life = cl.load_catalog(Lifecycle(), entry_points=False)
    styled = cl.load_catalog(Lifecycle(), StyledRules(), entry_points=False)
    test = cl.load_catalog(TestCatalog(), entry_points=False)
    return {
        "plain": lambda: cl.Engine(life),
        "styled": lambda: cl.Engine(styled, rules=[odd_list, first_big_module]),
        "styled-strict": lambda: cl.Engine(
            life, rules=list(STYLES), pool_shortage="error", enabled_periods={"edr": ["1y"]}
        ),
        "test-catalog": lambda: cl.Engine(
            test, rules=[big_generator, odd_list, POOLED_SPEC], enabled_periods={"edr": ["1y"]}
        ),
        "cytomic": lambda: cl.Engine(cl.load_catalog(), rules=[big_generator]),
    }


ENGINES = _engines()


def _pool(catalog: cl.Catalog) -> cl.Pool:
    lines = []
    for pid, product in sorted(catalog.products.items())[:3]:
        for period in product.periods[:2]:
            lines.append(cl.PoolLine(item=pid, period=period, seats=30))
        for module in sorted(product.modules)[:1]:
            lines.append(cl.PoolLine(item=module, period=(product.periods or ("1y",))[0], seats=9))
    return cl.Pool(tuple(dict.fromkeys(lines)))


# -- what is recorded ------------------------------------------------------------------


def _value(v: Any) -> Any:
    if isinstance(v, tuple | list):
        return [_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _value(x) for k, x in sorted(v.items())}
    return v


def decision_doc(decision: cl.Decision) -> list[Any]:
    return [[f.code, f.severity.value, f.field, _value(dict(f.params))] for f in decision.findings]


def _day(d: dt.date | None) -> str | None:
    return None if d is None else d.isoformat()


def outcome(change: cl.Change) -> dict[str, Any]:
    """What an apply did, in this module's own encoding."""
    c = change.client
    return {
        "events": [type(e).__name__ for e in change.events],
        "pool_events": [[p.item, str(p.period), p.seats, p.kind] for p in change.pool_events],
        "warnings": decision_doc(cl.Decision(change.warnings)),
        "touched": None if change.maintenance is None else change.maintenance.id,
        "deleted_on": _day(c.deleted_on),
        "maintenances": [
            [
                m.id,
                m.product,
                m.license_type.value,
                m.quantity,
                None if m.period is None else str(m.period),
                _day(m.starts_on),
                _day(m.expires_on),
                _day(m.deleted_on),
                _day(m.replaced_on),
                m.management.value,
                [[ml.module, ml.quantity, _day(ml.starts_on)] for ml in m.modules],
                [[p.item, str(p.period), p.seats] for p in m.pooled],
                None if m.suspension is None else _day(m.suspension.on),
            ]
            for m in c.maintenances
        ],
        "pool": None
        if change.pool is None
        else [[p.item, str(p.period), p.seats] for p in change.pool.lines],
    }


def digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def step(
    engine: cl.Engine, client: cl.Client, op: Any, today: dt.date, pool: cl.Pool | None
) -> tuple[Any, str, cl.Change | None]:
    """The decision document, the apply digest and the change (or ``None``)."""
    try:
        decision: Any = decision_doc(engine.check(client, op, today, pool=pool))
    except cl.PluginRuleError as exc:
        decision = {"error": type(exc).__name__, "rule": exc.rule}
    try:
        change = engine.apply(client, op, today, pool=pool, actor="t")
    except cl.RuleViolation as exc:
        return decision, digest({"refused": decision_doc(exc.decision)}), None
    except cl.PluginRuleError as exc:
        return decision, digest({"error": type(exc).__name__, "rule": exc.rule}), None
    return decision, digest(outcome(change)), change


# -- the sessions ----------------------------------------------------------------------

SEATS = st.one_of(st.integers(1, 30), st.integers(1, 30), st.integers(-2, 400))
PERIODS = st.sampled_from(["1m", "1y", "2y", "3y", "5y"])


@st.composite
def _assignment(draw: st.DrawFn, catalog: cl.Catalog) -> cl.AssignmentRequest:
    pids = sorted(catalog.products)
    product = catalog.products.get(draw(st.sampled_from(pids)))
    if product is None or draw(st.integers(0, 9)) == 0:
        return draw(
            st.builds(
                cl.AssignmentRequest,
                product=st.sampled_from([*pids, "nope"]),
                license_type=st.sampled_from(list(cl.LicenseType)),
                quantity=st.integers(0, 300),
                period=st.one_of(st.none(), PERIODS),
                modules=st.dictionaries(
                    st.sampled_from([*sorted(catalog.modules), "ghost"]),
                    st.one_of(st.none(), st.integers(-1, 40)),
                    max_size=3,
                ),
                management=st.sampled_from(list(cl.ManagementMode)),
            )
        )
    lt = draw(st.sampled_from(sorted(product.license_types, key=lambda t: t.value)))
    quantity = draw(SEATS)
    modules: dict[str, int | None] = {}
    for mid in draw(st.lists(st.sampled_from(sorted(product.modules) or ["x"]), unique=True)):
        independent = (
            mid in catalog.modules
            and catalog.modules[mid].quantity_rule is cl.QuantityRule.INDEPENDENT
        )
        modules[mid] = draw(st.integers(0, max(1, quantity))) if independent else None
    return cl.AssignmentRequest(
        product=product.id,
        license_type=lt,
        quantity=quantity,
        period=None
        if lt is cl.LicenseType.TRIAL
        else draw(st.one_of(st.sampled_from(product.periods or ("1y",)), PERIODS)),
        modules=modules,
        management=draw(st.sampled_from(sorted(product.management_modes, key=lambda m: m.value))),
    )


def _operation(data: st.DataObject, catalog: cl.Catalog, client: cl.Client) -> Any:
    ids = [m.id for m in client.maintenances] or ["m1"]
    mid = data.draw(st.sampled_from([*ids, *ids, "m9"]))
    products = [*sorted(catalog.products), "nope"]
    kind = 0 if not client.maintenances else data.draw(st.sampled_from(range(16)))
    seats = st.one_of(st.none(), SEATS)
    if kind <= 3:
        return data.draw(_assignment(catalog))
    if kind == 4:
        mods = st.one_of(
            st.none(),
            st.dictionaries(
                st.sampled_from([*sorted(catalog.modules), "x"]),
                st.one_of(st.none(), st.integers(0, 30)),
                max_size=2,
            ),
        )
        return cl.Modify(maintenance=mid, quantity=data.draw(seats), modules=data.draw(mods))
    if kind == 5:
        mode = data.draw(st.sampled_from(list(cl.ManagementMode)))
        return cl.SetManagement(maintenance=mid, mode=mode)
    if kind == 6:
        return cl.DeleteService(maintenance=mid)
    if kind == 7:
        return cl.DeleteClient() if data.draw(st.integers(0, 3)) == 0 else cl.Renew(maintenance=mid)
    if kind == 8:
        return cl.Renew(maintenance=mid, period=data.draw(st.one_of(st.none(), PERIODS)))
    if kind == 9:
        return cl.ChangeProduct(
            maintenance=mid,
            product=data.draw(st.sampled_from(products)),
            period=data.draw(PERIODS),
            quantity=data.draw(seats),
        )
    if kind == 10:
        return cl.ConvertTrial(
            maintenance=mid, period=data.draw(PERIODS), quantity=data.draw(seats)
        )
    if kind == 11:
        return cl.ExtendTrial(maintenance=mid)
    if kind == 12:
        return cl.GroupSets(product=data.draw(st.sampled_from(products)))
    if kind == 13:
        return cl.AddSeats(maintenance=mid, quantity=data.draw(SEATS), period=data.draw(PERIODS))
    if kind == 14:
        return data.draw(st.sampled_from([cl.Suspend(maintenance=mid), cl.Resume(maintenance=mid)]))
    return data.draw(st.sampled_from([cl.SuspendClient(), cl.ResumeClient()]))


def _op_doc(op: Any) -> Any:
    return json.loads(cl.to_json(op))


def op_of(doc: Any) -> Any:
    types = {t.__name__: t for t in cl.OPERATION_TYPES}
    return cl.from_json(types[doc["type"]], json.dumps(doc))


def record(sessions: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    engines = {name: make() for name, make in ENGINES.items()}

    @settings(
        max_examples=sessions,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def session(data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(engines)))
        engine = engines[name]
        start = data.draw(st.dates(D(2024, 1, 1), D(2029, 12, 31)))
        pooled = data.draw(st.booleans())
        pool = _pool(engine.catalog) if pooled else None
        client = engine.create_client("c1", "Client", start)
        today = start
        steps: list[Any] = []
        for _ in range(data.draw(st.integers(10, 30))):
            wide = data.draw(st.integers(0, 24)) == 0  # now and then, a long wait
            gap = data.draw(st.integers(0, 400) if wide else st.integers(0, 12))
            today += dt.timedelta(days=gap)
            if not engine.visible(client, today) and data.draw(st.integers(0, 3)):
                # mostly, a client gone from the console is followed by a new one
                client = engine.create_client(f"c{len(steps)}", "Client", today)
                steps.append([gap, None, None, None])
                continue
            try:
                op = _operation(data, engine.catalog, client)
            except (ValueError, TypeError):
                continue  # a record its constructor refuses
            decision, done, change = step(engine, client, op, today, pool)
            steps.append([gap, _op_doc(op), decision, done])
            if change is not None:
                client, pool = change.client, change.pool
        out.append({"engine": name, "start": start.isoformat(), "pooled": pooled, "steps": steps})

    session()
    return out


def replay(session: dict[str, Any], engine: cl.Engine) -> Iterator[tuple[int, Any, Any]]:
    """Each step of a recorded *session* played on *engine*: (index, recorded, now)."""
    today = D.fromisoformat(session["start"])
    pool = _pool(engine.catalog) if session["pooled"] else None
    client = engine.create_client("c1", "Client", today)
    for i, (gap, doc, decision, done) in enumerate(session["steps"]):
        today += dt.timedelta(days=gap)
        if doc is None:
            client = engine.create_client(f"c{i}", "Client", today)
            continue
        now_decision, now_done, change = step(engine, client, op_of(doc), today, pool)
        yield i, (decision, done), (json.loads(json.dumps(now_decision)), now_done)
        if change is not None:
            client, pool = change.client, change.pool


def main() -> None:
    sessions = record(300)
    FIXTURE.write_text(
        json.dumps({"sessions": sessions}, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    steps = sum(len(s["steps"]) for s in sessions)
    kinds: dict[str, int] = {}
    for s in sessions:
        for _, doc, _, _ in filter(lambda x: x[1], s["steps"]):
            kinds[doc["type"]] = kinds.get(doc["type"], 0) + 1
    refused = sum(
        1
        for s in sessions
        for _, _, d, _ in s["steps"]
        if isinstance(d, list) and any(f[1] == "error" for f in d)
    )
    print(f"{len(sessions)} sessions, {steps} steps ({refused} refused): {kinds}")


if __name__ == "__main__":
    main()
