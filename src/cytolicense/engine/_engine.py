"""The engine: decisions and operations over immutable clients. Pure: no clock, no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import attrs

from ..core._catalog import Catalog
from ..core._client_records import Client, Maintenance, ModuleLicense
from ..core._dates import RETENTION_DAYS, commercial_expiry, status, trial_expiry, visible
from ..core._enums import LicenseType, ManagementMode, QuantityRule, Status
from ..core._events import (
    ClientCreated,
    ClientDeleted,
    ClientRestored,
    Event,
    LicensesModified,
    ManagementChanged,
    ProductAssigned,
    ServiceDeleted,
    apply,
)
from ..core._exceptions import PluginRuleError, RuleViolation, UnknownIdError
from ..core._findings import Decision, Finding, make_finding
from ..core._period import Period
from ..core._request import AssignmentRequest, ModuleSeats, module_seats
from ..core._validation import to_management
from ..rules._builtin import (
    COMMERCIAL_RULES,
    MODIFY_RULES,
    TRIAL_RULES,
    PluginRule,
    ProductPlan,
    Rule,
    RuleContext,
    Tables,
    client_not_visible,
    management_unsupported,
)

if TYPE_CHECKING:
    from ..views._detail import ClientDetail, MonitoringList  # imported on first use

__all__ = ["Change", "Engine"]

_RETENTION = dt.timedelta(days=RETENTION_DAYS - 1)
_NO_FINDINGS = Decision(())
_TRIAL = LicenseType.TRIAL


@attrs.frozen(kw_only=True, slots=True)
class Change:
    """The result of an operation that went through.

    Attributes:
        client: The client afterwards.
        maintenance: The maintenance created or touched, or ``None``.
        events: What happened, in order; :func:`cytolicense.replay` applies them.
        warnings: Warnings of the decision (for example ``period.not_enabled``).
    """

    client: Client
    maintenance: Maintenance | None = None
    events: tuple[Event, ...] = ()
    warnings: tuple[Finding, ...] = ()


def _next_id(client: Client) -> str:
    used = {m.id for m in client.maintenances}
    n = len(client.maintenances) + 1
    while f"m{n}" in used:
        n += 1
    return f"m{n}"


class Engine:
    """Decides and carries out a console's operations for one catalog.

    Args:
        catalog: The catalog (see :func:`load_catalog`).
        enabled_periods: Per product id, the periods this partner may use. A sold
            period outside them gets the ``period.not_enabled`` warning, as does one
            the vendor did not enable.
        rules: Extra rules run after the built-in ones and the catalog's plugin
            rules (callables taking a :class:`RuleContext`, returning findings).

    Every method takes ``today`` explicitly; clients are immutable values and
    operations return a :class:`Change` with the new client.
    """

    __slots__ = ("_plugin_rules", "_tables", "catalog")

    def __init__(
        self,
        catalog: Catalog,
        *,
        enabled_periods: Mapping[str, Iterable[Period | str]] | None = None,
        rules: Iterable[Rule | PluginRule] = (),
    ) -> None:
        if not isinstance(catalog, Catalog):
            raise TypeError(f"Engine needs a Catalog, got {catalog!r}")
        partner: dict[str, tuple[Period, ...]] | None = None
        if enabled_periods is not None:
            partner = {}
            for pid, periods in enabled_periods.items():
                catalog.product(pid)
                partner[pid] = tuple(Period.coerce(p) for p in periods)
        self.catalog = catalog
        self._tables = Tables(catalog, partner)
        extra = []
        for rule in rules:
            if isinstance(rule, PluginRule):
                extra.append(rule)
            elif callable(rule):
                extra.append(PluginRule(plugin="<engine>", rule=rule))
            else:
                raise TypeError(f"Engine rules must be callables, got {rule!r}")
        self._plugin_rules: tuple[PluginRule, ...] = catalog.rules + tuple(extra)

    def __repr__(self) -> str:
        return f"<Engine {self.catalog!r}>"

    # -- decisions -----------------------------------------------------------------

    def _run_plugin_rules(
        self,
        operation: str,
        client: Client,
        request: AssignmentRequest,
        today: dt.date,
        plan: ProductPlan | None,
        maintenance: Maintenance | None,
        out: list[Finding],
    ) -> None:
        ctx = RuleContext(
            operation=operation,
            catalog=self.catalog,
            client=client,
            request=request,
            product=plan.product if plan is not None else None,
            maintenance=maintenance,
            today=today,
        )
        for pr in self._plugin_rules:
            try:
                found = list(pr.rule(ctx))
                for f in found:
                    if not isinstance(f, Finding):
                        raise TypeError(f"returned {f!r}, which is not a Finding")
            except Exception as exc:
                raise PluginRuleError(pr.plugin, pr.name, exc) from exc
            out.extend(found)

    def check(self, client: Client, request: AssignmentRequest, today: dt.date) -> Decision:
        """Decide whether *request* may be assigned to *client* on *today*.

        Every rule runs and every finding is returned (never only the first). No
        side effects.
        """
        out: list[Finding] = []
        tables = self._tables
        plan = tables.plans.get(request.product)
        trial = request.license_type is _TRIAL
        if plan is None:
            rules = TRIAL_RULES if trial else COMMERCIAL_RULES
        else:
            rules = plan.trial_rules if trial else plan.commercial_rules
        for rule in rules:
            rule(tables, plan, client, request, today, out)
        if self._plugin_rules:
            self._run_plugin_rules("assign", client, request, today, plan, None, out)
        return Decision(tuple(out)) if out else _NO_FINDINGS

    # -- operations ------------------------------------------------------------------

    def new_client(self, client_id: str, name: str, today: dt.date) -> Change:
        """Add a client: a :class:`Change` whose event is :class:`ClientCreated`."""
        event = ClientCreated(client_id=client_id, on=today, name=name)
        return Change(client=apply(None, event), events=(event,))

    def create_client(self, client_id: str, name: str, today: dt.date) -> Client:
        """A new client with no maintenance (it cannot use any service yet, D1)."""
        return self.new_client(client_id, name, today).client

    def assign(self, client: Client, request: AssignmentRequest, today: dt.date) -> Change:
        """Assign a product with its modules: a new maintenance starting *today*.

        Assigning to a deleted client that is still visible restores it.

        Raises:
            RuleViolation: the decision has errors; nothing changed.
        """
        decision = self.check(client, request, today)
        if not decision.ok:
            raise RuleViolation(decision, "assign")
        product = self.catalog.products[request.product]
        if request.license_type is LicenseType.TRIAL:
            expires = trial_expiry(today, product.trial_days)
        else:
            assert request.period is not None
            expires = commercial_expiry(today, request.period)
        q = request.quantity
        modules = tuple(
            ModuleLicense(
                module=mid,
                quantity=q if seats is None else seats,
                starts_on=today,
                expires_on=expires,
            )
            for mid, seats in request.modules.items()
        )
        maintenance = Maintenance(
            id=_next_id(client),
            product=product.id,
            license_type=request.license_type,
            quantity=q,
            period=request.period,
            starts_on=today,
            expires_on=expires,
            management=request.management,
            modules=modules,
        )
        events: list[Event] = []
        if client.deleted_on is not None:
            events.append(ClientRestored(client_id=client.id, on=today))
        events.append(ProductAssigned(client_id=client.id, on=today, maintenance=maintenance))
        return self._changed(client, events, maintenance, decision.warnings)

    def _changed(
        self,
        client: Client,
        events: list[Event],
        maintenance: Maintenance | None,
        warnings: tuple[Finding, ...] = (),
    ) -> Change:
        new = client
        for event in events:
            new = apply(new, event)
        touched = None
        if maintenance is not None:
            touched = new.maintenance(maintenance.id)
        return Change(client=new, maintenance=touched, events=tuple(events), warnings=warnings)

    def _target(
        self,
        client: Client,
        maintenance_id: str,
        today: dt.date,
        out: list[Finding],
        *,
        allow_expired: bool = False,
    ) -> Maintenance | None:
        """Common checks of operations on one maintenance; the maintenance if usable."""
        if not visible(client, today):
            out.append(client_not_visible(client))
        try:
            found = client.maintenance(maintenance_id)
        except UnknownIdError:
            out.append(
                make_finding(
                    "maintenance.unknown",
                    "maintenance",
                    {"client": client.id, "maintenance": maintenance_id},
                )
            )
            return None
        state = status(found, today)
        if state is Status.DELETED or (state is Status.EXPIRED and not allow_expired):
            out.append(
                make_finding(
                    "maintenance.not_active",
                    "maintenance",
                    {"maintenance": found.id, "status": state.value},
                )
            )
            return None
        return found

    def _refuse(self, out: list[Finding], operation: str) -> Decision:
        decision = Decision(tuple(out))
        if not decision.ok:
            raise RuleViolation(decision, operation)
        return decision

    def modify(
        self,
        client: Client,
        maintenance_id: str,
        today: dt.date,
        *,
        quantity: int | None = None,
        modules: ModuleSeats | Iterable[str] | None = None,
    ) -> Change:
        """Change an active maintenance's seats and/or its modules.

        Args:
            quantity: New product seats; linked modules follow. ``None`` keeps them.
            modules: The complete module set wanted afterwards (id -> seats, ``None``
                for "as the rule says"); ``None`` keeps the current modules (an
                independent module keeps its seats). Modules added start *today* and
                expire with the product; modules left out are removed.

        Raises:
            RuleViolation: refused by the same rules as :meth:`check` (seats,
                maximum, trial cap, module compatibility and seats) or because the
                maintenance is unknown or not active; nothing changed.
        """
        if quantity is not None and type(quantity) is not int:
            raise TypeError(f"modify: quantity must be an int, got {quantity!r}")
        wanted = module_seats(modules) if modules is not None else None
        out: list[Finding] = []
        m = self._target(client, maintenance_id, today, out)
        if m is None:
            raise RuleViolation(Decision(tuple(out)), "modify")
        new_q = m.quantity if quantity is None else quantity
        if wanted is None:
            rules = self._tables.catalog.modules
            wanted = {
                ml.module: (
                    ml.quantity
                    if ml.module in rules
                    and rules[ml.module].quantity_rule is QuantityRule.INDEPENDENT
                    else None
                )
                for ml in m.modules
            }
        request = AssignmentRequest(
            product=m.product,
            license_type=m.license_type,
            quantity=new_q,
            period=m.period,
            modules=wanted,
            management=m.management,
        )
        plan = self._tables.plans.get(m.product)
        for rule in MODIFY_RULES:
            rule(self._tables, plan, client, request, today, out)
        if self._plugin_rules:
            self._run_plugin_rules("modify", client, request, today, plan, m, out)
        decision = self._refuse(out, "modify")
        current = {ml.module: ml for ml in m.modules}
        new_modules = []
        for mid, seats in request.modules.items():
            seats_now = new_q if seats is None else seats
            old = current.get(mid)
            new_modules.append(
                ModuleLicense(
                    module=mid,
                    quantity=seats_now,
                    starts_on=old.starts_on if old is not None else today,
                    expires_on=m.expires_on,
                )
            )
        updated = attrs.evolve(m, quantity=new_q, modules=tuple(new_modules))
        if updated == m:
            return Change(client=client, maintenance=m, warnings=decision.warnings)
        event = LicensesModified(client_id=client.id, on=today, maintenance=updated)
        return self._changed(client, [event], updated, decision.warnings)

    def set_management(
        self, client: Client, maintenance_id: str, mode: ManagementMode | str, today: dt.date
    ) -> Change:
        """Start or stop centralized management of an active maintenance (D8).

        Setting the mode it already has changes nothing (no event).

        Raises:
            RuleViolation: ``maintenance.unknown``, ``maintenance.not_active``,
                ``management.unsupported``, ``client.not_visible``.
        """
        new_mode = to_management(mode)
        out: list[Finding] = []
        m = self._target(client, maintenance_id, today, out)
        if m is not None:
            plan = self._tables.plans.get(m.product)
            if plan is not None and new_mode not in plan.modes:
                out.append(management_unsupported(plan, new_mode))
        self._refuse(out, "set_management")
        assert m is not None
        if m.management is new_mode:
            return Change(client=client, maintenance=m)
        event = ManagementChanged(
            client_id=client.id, on=today, maintenance_id=m.id, management=new_mode
        )
        return self._changed(client, [event], m)

    def delete_service(self, client: Client, maintenance_id: str, today: dt.date) -> Change:
        """Delete a maintenance (D8). An expired one may be deleted; a deleted one not.

        Raises:
            RuleViolation: ``maintenance.unknown``, ``maintenance.not_active`` (already
                deleted), ``client.not_visible``.
        """
        out: list[Finding] = []
        m = self._target(client, maintenance_id, today, out, allow_expired=True)
        self._refuse(out, "delete_service")
        assert m is not None
        event = ServiceDeleted(client_id=client.id, on=today, maintenance_id=m.id)
        return self._changed(client, [event], m)

    def delete_client(self, client: Client, today: dt.date) -> Change:
        """Delete the client and, the same day, every maintenance active then.

        The client stays in the monitoring list for 90 days, so that a product can
        be assigned to it again (which restores it).

        Raises:
            RuleViolation: ``client.already_deleted``, ``client.not_visible``.
        """
        out: list[Finding] = []
        if client.deleted_on is not None and today >= client.deleted_on:
            out.append(
                make_finding(
                    "client.already_deleted",
                    None,
                    {"client": client.id, "deleted_on": client.deleted_on.isoformat()},
                )
            )
        elif not visible(client, today):
            out.append(client_not_visible(client))
        self._refuse(out, "delete_client")
        return self._changed(client, [ClientDeleted(client_id=client.id, on=today)], None)

    # -- views -------------------------------------------------------------------------

    @staticmethod
    def status(maintenance: Maintenance, today: dt.date) -> Status:
        """``ACTIVE`` from start through expiry, ``EXPIRED`` after, ``DELETED`` from deletion."""
        return status(maintenance, today)

    @staticmethod
    def visible(client: Client, today: dt.date) -> bool:
        """Whether the monitoring list shows *client* on *today* (the 90-day rules)."""
        return visible(client, today)

    @staticmethod
    def monitoring(clients: Iterable[Client], today: dt.date) -> MonitoringList:
        """The clients the console's monitoring list shows on *today*, in input order."""
        from ..views._detail import MonitoringList

        limit = today - _RETENTION
        shown = [
            c
            for c in clients
            if c._end >= limit
            and (c.deleted_on is None or today >= c.deleted_on or visible(c, today))
        ]
        return MonitoringList(shown, today=today)

    def detail(self, client: Client, today: dt.date) -> ClientDetail:
        """The client's detail as the console shows it on *today* (D6, D7, D8)."""
        from ..views._detail import build_detail

        return build_detail(self.catalog, client, today)

    @staticmethod
    def entitlements(client: Client, today: dt.date) -> dict[str, int]:
        """Product and module id -> seats in force on *today*, over active maintenances."""
        seats: dict[str, int] = {}
        for m in client.maintenances:
            if not m.is_active(today):
                continue
            seats[m.product] = seats.get(m.product, 0) + m.quantity
            for ml in m.modules:
                if ml.starts_on <= today:
                    seats[ml.module] = seats.get(ml.module, 0) + ml.quantity
        return seats
