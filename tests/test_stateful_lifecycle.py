"""Random sessions over the whole licence lifecycle (contract v2), with a pool.

Every operation record is drawn (assign, modify, manage, delete, renew, change,
convert, extend, group, add seats), mostly sensible, sometimes not; after each
step the invariants hold: check and apply agree, a refusal changes nothing (client
and pool), linked modules have the product's seats and independent ones never
more, terms end where the calendar says, the pool's history replays to the pool,
events replay to the client, and the client survives JSON.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import cytolicense as cl
from cytolicense.engine._lines import _ACTIONS, _LINE_ACTIONS

from .conftest import SOAK, EndpointModules

D = dt.date


class Lifecycle(EndpointModules):
    __name__ = "tests.stateful_lifecycle"

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
        ]


CATALOG = cl.load_catalog(Lifecycle(), entry_points=False)
ENGINE = cl.Engine(CATALOG)
STRICT = cl.Engine(CATALOG, pool_shortage="error")
PERIODS = st.sampled_from(["1m", "1y", "2y", "3y"])
SEATS = st.integers(0, 60)


def _modules(draw: st.DrawFn, product: str, quantity: int) -> dict[str, int | None]:
    mods: dict[str, int | None] = {}
    for mid in draw(
        st.lists(st.sampled_from(sorted(CATALOG.products[product].modules)), unique=True)
    ):
        independent = CATALOG.modules[mid].quantity_rule is cl.QuantityRule.INDEPENDENT
        mods[mid] = draw(st.integers(1, max(1, quantity))) if independent else None
    return mods


@st.composite
def assignments(draw: st.DrawFn) -> cl.AssignmentRequest:
    product = draw(st.sampled_from(["edr", "epdr"]))
    trial = product == "edr" and draw(st.booleans())
    quantity = draw(st.integers(1, 60))
    return cl.AssignmentRequest(
        product=product,
        license_type="trial" if trial else "commercial",
        quantity=quantity,
        period=None if trial else draw(st.sampled_from(["1y", "2y", "3y", "1m"])),
        modules=_modules(draw, product, quantity),
    )


class LifecycleSession(RuleBasedStateMachine):
    @initialize(start=st.dates(D(2024, 1, 1), D(2030, 1, 1)), strict=st.booleans())
    def start(self, start: dt.date, strict: bool) -> None:
        change = ENGINE.new_client("c1", "Client", start)
        self.engine = STRICT if strict else ENGINE
        self.client = change.client
        self.events: list[cl.Event] = list(change.events)
        self.initial = cl.Pool(
            (
                cl.PoolLine(item="edr", period="1y", seats=120),
                cl.PoolLine(item="epdr", period="1y", seats=80),
                cl.PoolLine(item="patch", period="1y", seats=100),
            )
        )
        self.pool = self.initial
        self.pool_events: list[cl.PoolChanged] = []
        self.today = start

    def _op(self, op: Any) -> None:
        decision = self.engine.check(self.client, op, self.today, pool=self.pool)
        before, pool_before = cl.to_json(self.client), self.pool
        try:
            change = self.engine.apply(self.client, op, self.today, pool=self.pool, actor="t")
        except cl.RuleViolation as exc:
            event(f"refused {op.kind}: {exc.decision.errors[0].code}")
            assert not decision.ok and exc.decision == decision
            assert cl.to_json(self.client) == before and self.pool == pool_before
            return
        event(f"applied {op.kind}")
        assert decision.ok and change.warnings == decision.warnings
        assert self.today >= self.client.last_change  # never dated before the history
        for e in change.events:
            assert e.actor == "t"
            self._check_terms(e)
        if isinstance(op, cl.GroupSets):  # grouping leaves the seats in force unchanged
            assert self.engine.entitlements(change.client, self.today) == self.engine.entitlements(
                self.client, self.today
            )
        if isinstance(op, cl.AssignmentRequest) and op.license_type is cl.LicenseType.TRIAL:
            assert change.pool_events == ()  # trials never touch the pool
        self.client = change.client
        self.events += change.events
        assert change.pool is not None
        self.pool = change.pool
        self.pool_events += change.pool_events

    def _check_terms(self, e: cl.Event) -> None:
        """New terms end where the calendar says (C5, C11, C12)."""
        if isinstance(e, cl.ProductAssigned | cl.ProductChanged | cl.TrialConverted):
            m = e.maintenance
            product = CATALOG.products[m.product]
            if m.period is None:
                assert (m.expires_on - m.starts_on).days + 1 == product.trial_days
            else:
                assert m.expires_on == cl.commercial_expiry(m.starts_on, m.period, product.term_end)
        if isinstance(e, cl.MaintenanceRenewed):
            m = e.maintenance
            assert m.period is not None
            assert m.expires_on == e.previous_expires_on + m.period.delta

    def _mid(self, data: st.DataObject) -> str:
        live = [m.id for m in self.client.maintenances if m.in_force(self.today)]
        every = [m.id for m in self.client.maintenances] + ["m99"]
        return data.draw(
            st.sampled_from(live) if live and data.draw(st.booleans()) else st.sampled_from(every)
        )

    @rule(days=st.one_of(st.integers(0, 10), st.integers(0, 40), st.integers(0, 400)))
    def wait(self, days: int) -> None:
        self.today += dt.timedelta(days=days)

    @rule(days=st.integers(1, 60))
    def go_back(self, days: int) -> None:
        """A console whose clock moved backwards: every operation must then be refused
        (date.before_history) until the date passes the last change again."""
        self.today -= dt.timedelta(days=days)

    @rule(req=assignments())
    def assign(self, req: cl.AssignmentRequest) -> None:
        self._op(req)

    @rule(data=st.data(), quantity=st.one_of(st.none(), SEATS))
    def modify(self, data: st.DataObject, quantity: int | None) -> None:
        self._op(cl.Modify(maintenance=self._mid(data), quantity=quantity))

    @rule(data=st.data(), period=st.one_of(st.none(), PERIODS))
    def renew(self, data: st.DataObject, period: str | None) -> None:
        self._op(cl.Renew(maintenance=self._mid(data), period=period))

    @rule(data=st.data(), product=st.sampled_from(["edr", "epdr"]), period=PERIODS)
    def change(self, data: st.DataObject, product: str, period: str) -> None:
        self._op(cl.ChangeProduct(maintenance=self._mid(data), product=product, period=period))

    @rule(data=st.data(), period=PERIODS)
    def convert(self, data: st.DataObject, period: str) -> None:
        self._op(cl.ConvertTrial(maintenance=self._mid(data), period=period))

    @rule(data=st.data())
    def extend(self, data: st.DataObject) -> None:
        self._op(cl.ExtendTrial(maintenance=self._mid(data)))

    @rule(product=st.sampled_from(["edr", "epdr"]))
    def group(self, product: str) -> None:
        self._op(cl.GroupSets(product=product))

    @rule(data=st.data(), seats=SEATS, period=PERIODS)
    def add_seats(self, data: st.DataObject, seats: int, period: str) -> None:
        self._op(cl.AddSeats(maintenance=self._mid(data), quantity=seats, period=period))

    @rule(data=st.data())
    def delete_service(self, data: st.DataObject) -> None:
        self._op(cl.DeleteService(maintenance=self._mid(data)))

    @rule(dice=st.integers(0, 9))
    def delete_client(self, dice: int) -> None:
        if dice == 0:  # rare: a deleted client ends most of what follows
            self._op(cl.DeleteClient())

    @invariant()
    def module_seats(self) -> None:
        for m in getattr(
            self, "client", cl.Client(id="x", name="x", created_on=D(2024, 1, 1))
        ).maintenances:
            for ml in m.modules:
                if CATALOG.modules[ml.module].quantity_rule is cl.QuantityRule.LINKED:
                    assert ml.quantity == m.quantity
                else:
                    assert 1 <= ml.quantity <= m.quantity
                assert ml.expires_on == m.expires_on

    @invariant()
    def one_product_per_family(self) -> None:
        if not hasattr(self, "client"):
            return
        live = {
            m.product
            for m in self.client.maintenances
            if m.license_type is cl.LicenseType.COMMERCIAL and m.in_force(self.today)
        }
        assert len(live) <= 1  # one family in this catalog

    @invariant()
    def replaced_never_serves(self) -> None:
        if not hasattr(self, "client"):
            return
        for m in self.client.maintenances:
            if m.replaced_on is not None:
                assert not m.in_force(m.replaced_on) and m.ended_on <= m.replaced_on
                assert m.replaced_by in {x.id for x in self.client.maintenances}

    @invariant()
    def recovery_never_exceeds_what_was_taken(self) -> None:
        """Per maintenance and item, seats given back <= seats taken; the balance is
        credits - debits + recoveries, recomputed from the events alone."""
        if not hasattr(self, "client"):
            return
        taken: dict[tuple[str | None, str], int] = {}
        back: dict[tuple[str | None, str], int] = {}
        # A grouped set's seats move to the set that keeps them (its record of pooled
        # seats too), and a change's new line follows the old: counted together.
        into = {m.id: m.replaced_by for m in self.client.maintenances if m.replaced_by}

        def root(mid: str | None) -> str | None:
            seen = set()
            while mid in into and mid not in seen:
                seen.add(mid)
                mid = into[mid]
            return mid

        for e in self.pool_events:
            key = (root(e.maintenance), e.item)
            if e.kind == "debited":
                taken[key] = taken.get(key, 0) - e.seats
            elif e.kind == "recovered":
                back[key] = back.get(key, 0) + e.seats
        for key, seats in back.items():
            assert seats <= taken.get(key, 0), key
        for line in self.initial.lines:
            moved = sum(
                e.seats for e in self.pool_events if e.item == line.item and e.period == line.period
            )
            assert self.pool.seats(line.item, line.period) == line.seats + moved

    @invariant()
    def detail_offers_exactly_what_the_checks_accept(self) -> None:
        """Engine.actions skips the operations a line's state refuses: it still offers
        exactly the candidates whose full check accepts (on this day and nearby ones)."""
        if not hasattr(self, "client"):
            return
        for day in (self.today, self.today + dt.timedelta(days=45)):
            if day < self.client.created_on:
                continue
            for m in self.client.maintenances:
                trial = m.license_type is cl.LicenseType.TRIAL
                centralized = m.management is cl.ManagementMode.CENTRALIZED
                candidates = [make(m.id) for _, _, make in _ACTIONS[centralized, trial]]
                convert = self.engine._conversion(m, self.today) if trial else None
                names = [name for name, _, _ in _ACTIONS[centralized, trial]]
                if convert is not None:
                    candidates.append(convert)
                    names.append("convert")
                for line in _LINE_ACTIONS:  # those of the line's own state (auto-renewal)
                    if line.type is cl.ConvertTrial or line.line_action is None:
                        continue
                    offered = line.line_action(m, self.engine.catalog, day)
                    if offered is not None:
                        names.append(offered[0])
                        candidates.append(offered[1])
                expected = {
                    name
                    for name, op in zip(names, candidates, strict=True)
                    if self.engine.check(self.client, op, day).ok
                }
                assert self.engine.actions(self.client, m, day) == expected

    @invariant()
    def histories_replay(self) -> None:
        if not hasattr(self, "client"):
            return
        replayed = cl.replay(self.events)
        assert replayed == self.client
        # The kept days (not part of equality) of the engine's trusted client, built
        # step by step, are those a validated client computes from scratch.
        assert (self.client._end, self.client._commercial_ends) == (
            replayed._end,
            replayed._commercial_ends,
        )
        assert [(m._ended, m._until) for m in self.client.maintenances] == [
            (m._ended, m._until) for m in replayed.maintenances
        ]
        assert cl.replay_pool(self.pool_events, self.initial) == self.pool
        assert cl.from_json(cl.Client, cl.to_json(self.client)) == self.client
        if self.engine is STRICT:
            assert all(line.seats >= 0 for line in self.pool.lines)


TestLifecycleSession = LifecycleSession.TestCase
TestLifecycleSession.settings = settings(
    max_examples=3_000 if SOAK else 300, stateful_step_count=40, deadline=None
)
