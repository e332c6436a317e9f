"""Random console sessions (hypothesis stateful testing) and the invariants they keep.

The default run executes 1,000 sessions; ``nox -s soak`` runs 10,000.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import cytolicense as cl
from cytolicense import QuantityRule

from .conftest import SOAK, TestCatalog

CATALOG = cl.load_catalog(TestCatalog(), entry_points=False)
ENGINE = cl.Engine(CATALOG)
PRODUCTS = st.sampled_from(["edr", "epdr", "mailguard", "nope"])
MODULE_IDS = st.sampled_from(["encryption", "patch", "watch", "ghost"])
SEATS = st.one_of(st.none(), st.integers(-1, 40))
MODULES = st.dictionaries(MODULE_IDS, SEATS, max_size=3)
ANY_REQUEST = st.builds(
    cl.AssignmentRequest,
    product=PRODUCTS,
    license_type=st.sampled_from(list(cl.LicenseType)),
    quantity=st.integers(0, 300),
    period=st.one_of(st.none(), st.sampled_from(["1m", "1y", "2y", "3y", "5y"])),
    modules=MODULES,
    management=st.sampled_from(list(cl.ManagementMode)),
)


@st.composite
def sensible_requests(draw: st.DrawFn) -> cl.AssignmentRequest:
    """A request a console user would make: mostly right, so sessions build up state."""
    product = CATALOG.products[draw(st.sampled_from(sorted(CATALOG.products)))]
    license_type = draw(st.sampled_from(sorted(product.license_types, key=lambda t: t.value)))
    trial = license_type is cl.LicenseType.TRIAL
    quantity = draw(st.integers(1, 250 if trial else 600))
    modules: dict[str, int | None] = {}
    compatible = sorted(product.modules)
    chosen = draw(st.lists(st.sampled_from(compatible), unique=True)) if compatible else []
    for mid in chosen:
        if CATALOG.modules[mid].quantity_rule is QuantityRule.INDEPENDENT:
            modules[mid] = draw(st.integers(1, quantity))
        else:
            modules[mid] = draw(st.sampled_from([None, quantity]))
    return cl.AssignmentRequest(
        product=product.id,
        license_type=license_type,
        quantity=quantity,
        period=None if trial else draw(st.sampled_from(product.periods)),
        modules=modules,
        management=draw(st.sampled_from(sorted(product.management_modes, key=lambda m: m.value))),
    )


# Three sensible requests for one arbitrary one (which is mostly refused).
REQUESTS = st.one_of(sensible_requests(), sensible_requests(), sensible_requests(), ANY_REQUEST)
SESSIONS = 10_000 if SOAK else 1_000


def _bucket(n: int) -> str:
    return "0" if n == 0 else "1-2" if n <= 2 else "3-5" if n <= 5 else "6+"


class ConsoleSession(RuleBasedStateMachine):
    """One client handled through the console over weeks and months."""

    @initialize(
        start=st.dates(dt.date(2024, 1, 1), dt.date(2030, 1, 1)),
        first=st.one_of(st.none(), sensible_requests()),
    )
    def start(self, start: dt.date, first: cl.AssignmentRequest | None) -> None:
        change = ENGINE.new_client("c1", "Client One", start)
        self.client = change.client
        self.events: list[cl.Event] = list(change.events)
        self.today = start
        self.refusals = 0
        self.applied = 0
        if first is not None:  # most consoles add a product with the client
            self._apply("assign", first, start)

    def _apply(self, operation: str, *args: object, **kwargs: object) -> None:
        before = cl.to_json(self.client)
        try:
            change: cl.Change = getattr(ENGINE, operation)(self.client, *args, **kwargs)
        except cl.RuleViolation as exc:
            self.refusals += 1
            assert not exc.decision.ok
            assert cl.to_json(self.client) == before  # a refused operation changes nothing
            return
        self.client = change.client
        self.events.extend(change.events)
        self.applied += bool(change.events)
        if change.maintenance is not None:
            assert change.maintenance in self.client.maintenances

    def _maintenance_id(self, data: st.DataObject) -> str:
        ids = [m.id for m in self.client.maintenances] + ["m99"]
        return data.draw(st.sampled_from(ids))

    @rule(days=st.one_of(st.integers(0, 30), st.integers(0, 30), st.integers(0, 400)))
    def wait(self, days: int) -> None:
        self.today += dt.timedelta(days=days)

    @rule(req=REQUESTS)
    def assign(self, req: cl.AssignmentRequest) -> None:
        decision = ENGINE.check(self.client, req, self.today)
        count = len(self.client.maintenances)
        self._apply("assign", req, self.today)
        assert (len(self.client.maintenances) == count + 1) == decision.ok

    @precondition(lambda self: bool(self.client.maintenances))
    @rule(
        data=st.data(),
        quantity=st.one_of(st.none(), st.integers(-1, 300)),
        modules=st.one_of(st.none(), MODULES),
    )
    def modify(
        self, data: st.DataObject, quantity: int | None, modules: dict[str, int | None] | None
    ) -> None:
        self._apply(
            "modify", self._maintenance_id(data), self.today, quantity=quantity, modules=modules
        )

    @precondition(lambda self: bool(self.client.maintenances))
    @rule(data=st.data(), mode=st.sampled_from(list(cl.ManagementMode)))
    def manage(self, data: st.DataObject, mode: cl.ManagementMode) -> None:
        self._apply("set_management", self._maintenance_id(data), mode, self.today)

    @precondition(lambda self: bool(self.client.maintenances))
    @rule(data=st.data())
    def delete_service(self, data: st.DataObject) -> None:
        self._apply("delete_service", self._maintenance_id(data), self.today)

    @rule()
    def delete_client(self) -> None:
        self._apply("delete_client", self.today)

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def module_seats(self) -> None:
        for m in self.client.maintenances:
            for ml in m.modules:
                rule_ = CATALOG.modules[ml.module].quantity_rule
                if rule_ is QuantityRule.LINKED:
                    assert ml.quantity == m.quantity
                else:
                    assert 1 <= ml.quantity <= m.quantity  # Encryption never above the product
                assert ml.expires_on == m.expires_on  # modules expire with their product
                assert m.starts_on <= ml.starts_on <= ml.expires_on

    @invariant()
    def ids_unique(self) -> None:
        ids = [m.id for m in self.client.maintenances]
        assert len(ids) == len(set(ids))

    @invariant()
    def entitlements(self) -> None:
        seats = ENGINE.entitlements(self.client, self.today)
        active = [m for m in self.client.maintenances if m.is_active(self.today)]
        assert all(v > 0 for v in seats.values())
        assert set(seats) == {m.product for m in active} | {
            ml.module for m in active for ml in m.modules
        }
        for pid in {m.product for m in active}:
            assert seats[pid] == sum(m.quantity for m in active if m.product == pid)

    @invariant()
    def visibility(self) -> None:
        c, today = self.client, self.today
        if c.deleted_on is not None:
            end = c.deleted_on
        else:
            ends = [min(m.expires_on, m.deleted_on or m.expires_on) for m in c.maintenances]
            end = max([c.created_on, *ends])
        active = c.deleted_on is None and any(m.is_active(today) for m in c.maintenances)
        expected = active or (today - end).days < 90
        assert ENGINE.visible(c, today) is expected
        assert (ENGINE.monitoring([c], today) == [c]) is expected

    @invariant()
    def one_commercial_product_per_family(self) -> None:
        """Licence sets of one product may coexist (C10); two products of a family not."""
        active = {
            m.product
            for m in self.client.maintenances
            if m.in_force(self.today) and m.license_type is cl.LicenseType.COMMERCIAL
        }
        families = [CATALOG.products[p].family for p in active]
        assert len(families) == len(set(families))

    def teardown(self) -> None:
        if hasattr(self, "client"):
            event(f"operations applied: {_bucket(self.applied)}")
            event(f"operations refused: {_bucket(self.refusals)}")
            event(f"maintenances at the end: {_bucket(len(self.client.maintenances))}")
            assert cl.replay(self.events) == self.client  # events rebuild the state
            assert cl.from_json(cl.Client, cl.to_json(self.client)) == self.client


ConsoleSession.TestCase.settings = settings(
    max_examples=SESSIONS, stateful_step_count=20, deadline=None
)
TestConsoleSession = ConsoleSession.TestCase
