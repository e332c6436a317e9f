"""The engine: decisions and operations over immutable clients. Pure: no clock, no I/O.

Every console action is an operation record (:mod:`cytolicense.core._operations`).
:meth:`Engine.check` builds one :class:`RuleContext` for it and runs the rules
declared for that operation; :meth:`Engine.apply` does the same and then turns the
operation into events. The version 1 methods (``assign``, ``modify``, ...) are thin
calls of :meth:`Engine.apply`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence, Sized
from itertools import islice
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs

from ..core._catalog import Catalog
from ..core._catalog_records import INITIAL_RELEASE, Product
from ..core._client_records import Client, Maintenance, ModuleLicense, plus_days
from ..core._dates import RETENTION_DAYS, status
from ..core._enums import LicenseType, ManagementMode, QuantityRule, Severity, Status
from ..core._events import (
    ClientCreated,
    ClientDeleted,
    ClientRestored,
    Event,
    LicensesModified,
    MaintenanceRenewed,
    ManagementChanged,
    ProductAssigned,
    ProductChanged,
    SeatsAdded,
    ServiceDeleted,
    ServiceResumed,
    ServiceSuspended,
    SetsGrouped,
    TrialConverted,
    TrialExtended,
    apply,
    apply_trusted,
)
from ..core._exceptions import PluginRuleError, ReleaseMissingError, RuleViolation, UnknownIdError
from ..core._findings import CodeSpec, Decision, Finding
from ..core._operations import (
    OPERATION_TYPES,
    AddSeats,
    AssignmentRequest,
    ChangeProduct,
    ConvertTrial,
    DeleteClient,
    DeleteService,
    ExtendTrial,
    GroupSets,
    Modify,
    ModuleSeats,
    Operation,
    Renew,
    Resume,
    ResumeClient,
    SetManagement,
    Suspend,
    SuspendClient,
)
from ..core._period import Period
from ..core._pool import Pool, PoolChanged, PoolLine
from ..core._rulespec import Rule, RuleContext, RuleSpec, Tables, as_spec
from ..core._trusted import build, builder
from ..core._validation import check_new_client_id, to_management, to_severity
from ..rules._builtin import BUILTIN, BUILTIN_RULES, CODE_SPECS, dropped_modules
from ..rules._client import live_lines, state_accepts, suspended_by_client, target_state
from ..rules._lifecycle import TERMS_CHANGED
from ..rules._terms import group_sets, new_end, pool_moves
from ..views._offer import ModuleOffer, ProductOffer

if TYPE_CHECKING:
    from ..views._detail import ClientDetail, MonitoringList  # imported on first use
    from ..views._lifecycle import Expiry, Forecast
    from ..views._usage import UsageBasis, UsageReport

__all__ = ["Change", "Engine"]


def _actions_table(centralized: bool, trial: bool) -> tuple[Any, ...]:
    """The candidate actions of a line by management and licence type (conversion,
    which needs the catalog, is added per line): name, operation type, builder."""

    def manage(mid: str) -> Operation:
        return SetManagement(maintenance=mid, mode="unmanaged" if centralized else "centralized")

    rows: list[Any] = [
        ("modify", Modify, lambda mid: Modify(maintenance=mid)),
        ("delete", DeleteService, lambda mid: DeleteService(maintenance=mid)),
        ("unmanage" if centralized else "manage", SetManagement, manage),
    ]
    if trial:
        rows.append(("extend", ExtendTrial, lambda mid: ExtendTrial(maintenance=mid)))
    else:
        rows.append(("renew", Renew, lambda mid: Renew(maintenance=mid)))
    rows.append(("suspend", Suspend, lambda mid: Suspend(maintenance=mid)))
    rows.append(("resume", Resume, lambda mid: Resume(maintenance=mid)))
    return tuple(rows)


_ACTIONS = {(c, t): _actions_table(c, t) for c in (True, False) for t in (True, False)}


_RETENTION = dt.timedelta(days=RETENTION_DAYS - 1)
_SLICE = 4096  # clients the monitoring list filters at a time
_NO_FINDINGS = Decision(())
_TRIAL = LicenseType.TRIAL
_COMMERCIAL = LicenseType.COMMERCIAL
_CENTRALIZED = ManagementMode.CENTRALIZED
_POOL_SHORT = "pool.insufficient"
_NO_IDS: frozenset[str] = frozenset()
_build_maintenance = builder(Maintenance)
_build_module = builder(ModuleLicense)
_build_assigned = builder(ProductAssigned)


@attrs.frozen(kw_only=True, slots=True)
class Change:
    """The result of an operation that went through.

    Attributes:
        client: The client afterwards.
        maintenance: The maintenance created or touched, or ``None``.
        events: What happened, in order; :func:`cytolicense.replay` applies them.
        warnings: Warnings of the decision (for example ``period.not_enabled``).
        pool: The partner's pool afterwards, when one was given (``None`` otherwise).
        pool_events: What entered and left the pool, in order.
        pool_floor: Whether the pool may not go below zero by this change (the
            engine's ``pool_shortage`` is an error): a store refuses the change,
            inside its transaction, when another writer took the seats first
            (:class:`~cytolicense.PoolShortageError`).
    """

    client: Client
    maintenance: Maintenance | None = None
    events: tuple[Event, ...] = ()
    warnings: tuple[Finding, ...] = ()
    pool: Pool | None = None
    pool_events: tuple[PoolChanged, ...] = ()
    pool_floor: bool = False


def _next_id(client: Client, taken: Iterable[str] = ()) -> str:
    used = {m.id for m in client.maintenances} | set(taken)
    n = len(client.maintenances) + 1
    while f"m{n}" in used:
        n += 1
    return f"m{n}"


_Call = tuple[Rule, "RuleSpec | None"]
"""A rule as the engine calls it: the function, and its declaration when a plugin's
(its answer is then checked to be findings and its errors name it)."""

_EMPTY_KINDS = (list, tuple)


def _run_plugin(spec: RuleSpec, ctx: RuleContext) -> Sequence[Finding]:
    """A plugin rule's findings on *ctx*, each checked to be a :class:`Finding`; a rule
    that raises or returns something else is a :class:`PluginRuleError` naming it."""
    try:
        found = spec.check(ctx)
    except BaseException as exc:
        raise _plugin_error(spec, exc) from exc
    if type(found) in _EMPTY_KINDS and not found:
        return ()  # the usual answer: nothing to copy or check
    return _plugin_found(spec, found)


def _plugin_found(spec: RuleSpec, found: Iterable[Finding]) -> list[Finding]:
    """*found*, a plugin rule's answer, as a list of findings, each checked to be a
    :class:`Finding` (or the :class:`PluginRuleError` naming the rule)."""
    try:
        out = list(found)
        for f in out:
            if not isinstance(f, Finding):
                raise TypeError(f"returned {f!r}, which is not a Finding")
    except BaseException as exc:
        raise _plugin_error(spec, exc) from exc
    return out


def _plugin_error(spec: RuleSpec, exc: BaseException) -> PluginRuleError:
    """The error naming the plugin rule that raised *exc*; an interrupt is not the
    rule's fault and goes on as it is."""
    if isinstance(exc, KeyboardInterrupt | GeneratorExit):
        raise exc
    return PluginRuleError(spec.plugin, spec.name, exc)


def _request(
    *,
    product: str,
    license_type: LicenseType,
    quantity: int,
    period: Period | None,
    modules: Mapping[str, int | None],
    management: ManagementMode,
) -> AssignmentRequest:
    """The terms an operation on a maintenance would leave, as an assignment: built
    trusted (every value comes from a valid maintenance or an operation record that
    validated its own fields), modules sorted by id as the request's converter does."""
    return build(
        AssignmentRequest,
        product=product,
        license_type=license_type,
        quantity=quantity,
        period=period,
        modules=MappingProxyType(dict(sorted(modules.items()))),
        management=management,
    )


def _type_of(ctx: RuleContext) -> LicenseType | None:
    """The licence type at stake: the request's, else the maintenance's."""
    if ctx.request is not None:
        return ctx.request.license_type
    return ctx.maintenance.license_type if ctx.maintenance is not None else None


def _pooled_of(sets: list[Maintenance]) -> tuple[PoolLine, ...]:
    """What a grouped set took from the pool: every set's record, added up (seats
    conserved: deleting the group gives back at most what its sets took). No set
    with a record: none (the formula alone, as for each of them). A set without a
    record among sets with one adds its seats as it was sold (what the formula
    would have allowed it to give back)."""
    if not any(s.pooled for s in sets):
        return ()
    lines: list[PoolLine] = []
    for s in sets:
        if s.pooled:
            lines.extend(s.pooled)
        elif s.period is not None:
            lines.append(PoolLine(item=s.product, period=s.period, seats=s.quantity))
            lines.extend(
                PoolLine(item=ml.module, period=s.period, seats=ml.quantity) for ml in s.modules
            )
    return tuple(lines)


class _OfferPlan(NamedTuple):
    """What :meth:`Engine.offer` checks for one product: each licence type's minimal
    request, and per compatible module the same requests with it added."""

    product: Product
    minimal: tuple[tuple[LicenseType, AssignmentRequest], ...]
    modules: tuple[tuple[ModuleOffer, tuple[AssignmentRequest, ...]], ...]


def _within(errors: tuple[Finding, ...], before: tuple[Finding, ...]) -> bool:
    """Whether every finding of *errors* is among *before* (a module adds no error)."""
    return not errors or all(e in before for e in errors)


def _minimal(
    product: str, license_type: LicenseType, mode: ManagementMode, period: Period | None
) -> AssignmentRequest:
    """The contract's minimal request of a product and licence type."""
    return AssignmentRequest(
        product=product, license_type=license_type, quantity=1, period=period, management=mode
    )


_EXISTING_TERMS = (Modify, SetManagement, DeleteService, ExtendTrial, Suspend, Resume)
"""Operations on an existing maintenance that its own release's terms decide."""


def _find(client: Client, maintenance_id: str) -> Maintenance | None:
    for m in client.maintenances:
        if m.id == maintenance_id:
            return m
    return None


class Engine:
    """Decides and carries out a console's operations for one catalog.

    Args:
        catalog: The catalog (see :func:`load_catalog`).
        enabled_periods: Per product id, the periods this partner may use. A sold
            period outside them gets the ``period.not_enabled`` warning, as does one
            the vendor did not enable.
        rules: Extra rules run after the built-in ones and the catalog's plugin
            rules: :class:`RuleSpec` declarations, or plain callables taking a
            :class:`RuleContext` (which then apply to assign and modify).
        pool_shortage: The severity of ``pool.insufficient``: ``WARNING`` lets an
            operation overdraw the pool (as Nexus), ``ERROR`` refuses it (as Panda).

    Every method takes ``today`` explicitly; clients are immutable values and
    operations return a :class:`Change` with the new client.
    """

    __slots__ = (
        "_by_release",
        "_cache",
        "_codes",
        "_offer_plan",
        "_options",
        "_pool_shortage",
        "_releases",
        "_specs",
        "_stamp",
        "_tables",
        "catalog",
    )

    def __init__(
        self,
        catalog: Catalog,
        *,
        enabled_periods: Mapping[str, Iterable[Period | str]] | None = None,
        rules: Iterable[Rule | RuleSpec] = (),
        pool_shortage: Severity | str = Severity.WARNING,
    ) -> None:
        if not isinstance(catalog, Catalog):
            raise TypeError(f"Engine needs a Catalog, got {catalog!r}")
        partner: dict[str, tuple[Period, ...]] | None = None
        if enabled_periods is not None:
            partner = {}
            for pid, periods in enabled_periods.items():
                catalog.product(pid)
                partner[pid] = tuple(Period.coerce(p) for p in periods)
        self._setup(catalog, partner, rules, pool_shortage)
        # A catalog with later releases: each operation is decided by the engine of the
        # release whose terms apply (see _engine_for); one engine per release, on demand.
        self._releases = len(catalog.releases) > 1
        self._by_release: dict[str, Engine] = {}
        self._options = (partner, tuple(rules), pool_shortage)

    def _setup(
        self,
        catalog: Catalog,
        partner: dict[str, tuple[Period, ...]] | None,
        rules: Iterable[Rule | RuleSpec],
        pool_shortage: Severity | str,
    ) -> None:
        self.catalog = catalog
        # What a maintenance sold by this engine records as its release.
        self._stamp = None if catalog.version == INITIAL_RELEASE else catalog.version
        self._tables = Tables(catalog, partner)
        self._pool_shortage = to_severity(pool_shortage)
        self._offer_plan: tuple[_OfferPlan, ...] | None = None
        extra: list[RuleSpec] = []
        for rule in rules:
            if not (isinstance(rule, RuleSpec) or callable(rule)):
                raise TypeError(f"Engine rules must be callables or RuleSpec, got {rule!r}")
            extra.append(as_spec(rule, "<engine>"))
        specs = catalog.rules
        if not any(s.plugin == BUILTIN for s in specs):
            # A catalog built from records (not load_catalog) has no internal plugin.
            specs = BUILTIN_RULES + specs
        self._specs: tuple[RuleSpec, ...] = specs + tuple(extra)
        codes: dict[str, CodeSpec] = dict(CODE_SPECS)
        for spec in self._specs:
            for code in spec.codes:
                codes.setdefault(code.code, code)
        self._codes = codes
        self._cache: dict[tuple[str, str | None, LicenseType | None, bool], tuple[_Call, ...]] = {}

    def __repr__(self) -> str:
        return f"<Engine {self.catalog!r}>"

    @property
    def rules(self) -> tuple[RuleSpec, ...]:
        """Every rule this engine runs, built-in ones first, with their declarations."""
        return self._specs

    @property
    def codes(self) -> Mapping[str, CodeSpec]:
        """Every declared finding code -> its declaration (built-in and plugin codes)."""
        return self._codes

    # -- the context of an operation ---------------------------------------------------------

    def modules_of(self, m: Maintenance) -> dict[str, int | None]:
        """*m*'s modules as a request's ``modules``: a linked module ``None`` (it follows
        the seats), an independent one its seats. What ``Modify(modules=None)`` keeps."""
        mods = self.catalog.modules
        return {
            ml.module: (
                ml.quantity
                if ml.module in mods and mods[ml.module].quantity_rule is QuantityRule.INDEPENDENT
                else None
            )
            for ml in m.modules
        }

    def _context(
        self, client: Client, op: Operation, today: dt.date, pool: Pool | None
    ) -> RuleContext:
        if type(op) is AssignmentRequest and type(client) is Client and type(today) is dt.date:
            # The hot path (Engine.check of an assignment). Positional arguments: half
            # the cost of keywords here (see benchmarks/).
            return RuleContext(
                "assign",
                self.catalog,
                client,
                op,
                self.catalog.products.get(op.product),
                None,
                today,
                op,
                pool,
                self._tables.plans.get(op.product),
                self._tables,
                op.period,
                _NO_IDS,
            )
        if not isinstance(op, OPERATION_TYPES):
            raise TypeError(f"not an operation: {op!r}")
        if not isinstance(client, Client):
            raise TypeError(f"not a Client: {client!r}")
        if type(today) is not dt.date:
            raise TypeError(f"today must be a datetime.date, got {today!r}")
        products = self.catalog.products
        mid = getattr(op, "maintenance", None)
        m = _find(client, mid) if mid is not None else None
        request: AssignmentRequest | None = None
        period: Period | None = None
        excluded: frozenset[str] = _NO_IDS
        if isinstance(op, AssignmentRequest):
            pid: str | None = op.product
            request, period = op, op.period
        elif isinstance(op, GroupSets):
            pid = op.product
        elif isinstance(op, DeleteClient):
            pid = None
        elif m is None:
            pid = op.product if isinstance(op, ChangeProduct) else None
        else:
            pid = m.product
            if isinstance(op, Modify):
                period = m.period
                request = _request(
                    product=m.product,
                    license_type=m.license_type,
                    quantity=m.quantity if op.quantity is None else op.quantity,
                    period=m.period,
                    modules=self.modules_of(m) if op.modules is None else op.modules,
                    management=m.management,
                )
            elif isinstance(op, Renew):
                period = op.period if op.period is not None else m.period
            elif isinstance(op, ChangeProduct | ConvertTrial):
                if isinstance(op, ChangeProduct):
                    pid = op.product
                period = op.period
                excluded = frozenset({m.id})
                quantity = m.quantity if op.quantity is None else op.quantity
                modules = op.modules
                if modules is None:
                    target = products.get(pid)
                    offered = target.modules if target is not None else frozenset()
                    modules = {
                        k: (v if v is None else min(v, quantity))
                        for k, v in self.modules_of(m).items()
                        if k in offered
                    }
                request = _request(
                    product=pid,
                    license_type=_COMMERCIAL,
                    quantity=quantity,
                    period=op.period,
                    modules=modules,
                    management=m.management if op.management is None else op.management,
                )
            elif isinstance(op, AddSeats):
                period = op.period
                request = _request(
                    product=m.product,
                    license_type=_COMMERCIAL,
                    quantity=m.quantity + op.quantity,
                    period=op.period,
                    modules={},
                    management=m.management,
                )
        product = products.get(pid) if pid is not None else None
        return RuleContext(  # positional, in field order: half the cost of keywords
            op.kind,
            self.catalog,
            client,
            request,
            product,
            m,
            today,
            op,
            pool,
            self._tables.plans.get(pid) if pid is not None else None,
            self._tables,
            period,
            excluded,
        )

    # -- decisions -----------------------------------------------------------------

    def _rules_for(self, ctx: RuleContext) -> tuple[_Call, ...]:
        """The rules that apply to *ctx*, selected once per (operation, product, licence
        type, pool or not) from their declarations and cached."""
        plan = ctx.plan
        key = (
            ctx.operation,
            plan.id if plan is not None else None,
            _type_of(ctx),
            ctx.pool is not None,
        )
        found = self._cache.get(key)
        if found is None:
            builtin, plugin = self._select(ctx)
            found = self._cache[key] = (
                *((spec.check, None) for spec in builtin),
                *((spec.check, spec) for spec in plugin),
            )
        return found

    def _select(self, ctx: RuleContext) -> tuple[tuple[RuleSpec, ...], tuple[RuleSpec, ...]]:
        """The built-in and the plugin rules that apply to *ctx*'s operation, product,
        licence type and pool (or none), in run order, from their declarations."""
        plan, lt, pooled = ctx.plan, _type_of(ctx), ctx.pool is not None
        builtin: list[RuleSpec] = []
        plugin: list[RuleSpec] = []
        for spec in self._specs:
            if ctx.operation not in spec.operations or (spec.needs_pool and not pooled):
                continue
            if (
                plan is not None
                and lt is not None
                and spec.relevant is not None
                and not spec.relevant(plan, lt)
            ):
                continue
            if spec.plugin == BUILTIN:
                builtin.append(spec)
            else:
                plugin.append(spec)
        return tuple(builtin), tuple(plugin)

    def _decide(self, ctx: RuleContext) -> Decision:
        """The decision on *ctx*: each rule that applies called once, in order, with a
        plain loop (as pluggy calls hook implementations); a plugin rule's answer is
        checked and its errors name it."""
        out: list[Finding] = []
        for check, plugin in self._rules_for(ctx):
            if plugin is None:
                out.extend(check(ctx))
            else:
                out.extend(_run_plugin(plugin, ctx))
        if not out:
            return _NO_FINDINGS
        if ctx.pool is not None and self._pool_shortage is Severity.ERROR:
            out = [
                attrs.evolve(f, severity=Severity.ERROR) if f.code == _POOL_SHORT else f
                for f in out
            ]
        return Decision(tuple(out))

    def check(
        self,
        client: Client,
        operation: Operation,
        today: dt.date,
        *,
        pool: Pool | None = None,
    ) -> Decision:
        """Decide whether *operation* may be applied to *client* on *today*: the dry run
        of every console action.

        Every rule declared for the operation is called once and every finding is
        returned (never only the first). No side effects; never raises for a
        well-typed operation (a plugin rule that raises is a
        :class:`~cytolicense.PluginRuleError`).
        """
        if self._releases:
            return self._release_check(client, operation, today, pool)
        return self._decide(self._context(client, operation, today, pool))

    def apply(
        self,
        client: Client,
        operation: Operation,
        today: dt.date,
        *,
        pool: Pool | None = None,
        actor: str | None = None,
        reason: str | None = None,
    ) -> Change:
        """Carry out *operation* on *client* on *today*.

        Args:
            pool: The partner's pool: the operation takes seats from it and gives
                seats back (:attr:`Change.pool` is the pool afterwards).
            actor: Who does it; recorded in every event (C19).
            reason: Why; recorded in every event.

        Raises:
            RuleViolation: the decision :meth:`check` gives has errors; nothing changed.
        """
        if self._releases:
            return self._release_apply(client, operation, today, pool, actor, reason)
        ctx = self._context(client, operation, today, pool)
        decision = self._decide(ctx)
        if not decision.ok:
            raise RuleViolation(decision, operation.kind)
        events, touched = self._events(ctx, {"actor": actor, "reason": reason})
        if pool is not None and touched is not None and events:
            events = self._record_pooled(ctx, pool, events, touched)
        new = client
        for event in events:
            new = apply_trusted(new, event)
        maintenance = new.maintenance(touched) if touched is not None else None
        new_pool: Pool | None = pool
        pool_events: tuple[PoolChanged, ...] = ()
        if pool is not None and events:
            new_pool, pool_events = self._pool_after(ctx, pool, actor, reason, touched)
        return Change(
            client=new,
            maintenance=maintenance,
            events=tuple(events),
            warnings=decision.warnings,
            pool=new_pool,
            pool_events=pool_events,
            pool_floor=self._pool_shortage is Severity.ERROR and bool(pool_events),
        )

    @staticmethod
    def _record_pooled(
        ctx: RuleContext, pool: Pool, events: list[Event], touched: str
    ) -> list[Event]:
        """The maintenance an operation creates or extends remembers the seats it took
        from the pool (so that a deletion gives back at most those). An item the pool
        does not track is recorded with zero seats: the maintenance took none, and
        gives none back if the pool starts tracking it later."""
        taken = [
            PoolLine(
                item=mv.item,
                period=mv.period,
                seats=-mv.seats if pool.tracks(mv.item, mv.period) else 0,
            )
            for mv in pool_moves(ctx)
            if mv.kind == "debited"
        ]
        last = events[-1]
        m = getattr(last, "maintenance", None)
        if not taken or not isinstance(m, Maintenance) or m.id != touched:
            return events
        m = attrs.evolve(m, pooled=(*m.pooled, *taken))
        return [*events[:-1], attrs.evolve(last, maintenance=m)]  # type: ignore[arg-type]

    def _pool_after(
        self,
        ctx: RuleContext,
        pool: Pool,
        actor: str | None,
        reason: str | None,
        touched: str | None,
    ) -> tuple[Pool, tuple[PoolChanged, ...]]:
        """The pool after the operation's movements, and their events (seats taken for
        a new maintenance name it: *touched*)."""
        events: list[PoolChanged] = []
        for mv in pool_moves(ctx):
            if not pool.tracks(mv.item, mv.period):
                continue
            pool = pool.credit(mv.item, mv.period, mv.seats)
            events.append(
                PoolChanged(
                    on=ctx.today,
                    item=mv.item,
                    period=mv.period,
                    seats=mv.seats,
                    kind=mv.kind,
                    client_id=ctx.client.id,
                    maintenance=mv.maintenance if mv.maintenance is not None else touched,
                    actor=actor,
                    reason=reason,
                )
            )
        return pool, tuple(events)

    # -- from a decided operation to its events --------------------------------------------

    def _new_maintenance(
        self, ctx: RuleContext, request: AssignmentRequest, end: dt.date, mid: str
    ) -> Maintenance:
        today = ctx.today
        q = request.quantity
        product = ctx.product
        assert product is not None
        commercial = request.license_type is _COMMERCIAL
        # Trusted construction: the request was validated when it was built and the
        # rules have just accepted it (the validators would only say so again).
        return _build_maintenance(
            id=mid,
            product=product.id,
            license_type=request.license_type,
            quantity=q,
            period=request.period,
            starts_on=today,
            expires_on=end,
            management=request.management,
            modules=tuple(
                _build_module(
                    module=module,
                    quantity=q if seats is None else seats,
                    starts_on=today,
                    expires_on=end,
                )
                for module, seats in request.modules.items()
            ),
            grace_days=product.grace_days if commercial else 0,
            release=self._stamp,
        )

    def _events(self, ctx: RuleContext, who: dict[str, Any]) -> tuple[list[Event], str | None]:
        """The events of a decided operation and the id of the maintenance it touched."""
        op, client, today, m = ctx.op, ctx.client, ctx.today, ctx.maintenance
        origin = self.catalog.origin(ctx.product.id) if ctx.product is not None else None
        base = {"client_id": client.id, "on": today, "catalog": origin, **who}
        if isinstance(op, DeleteClient):
            return [ClientDeleted(**base)], None
        if isinstance(op, SuspendClient):
            return [
                ServiceSuspended(maintenance_id=x.id, by_client=True, **base)
                for x in live_lines(client, today)
            ], None
        if isinstance(op, ResumeClient):
            return [self._resumed(ctx, x, base) for x in suspended_by_client(client, today)], None
        if isinstance(op, AssignmentRequest):
            end = new_end(ctx)
            assert end is not None
            new = self._new_maintenance(ctx, op, end, _next_id(client))
            events: list[Event] = []
            if client.deleted_on is not None:
                events.append(ClientRestored(**base))
            if who["actor"] is None and who["reason"] is None:
                # Every field is the library's own (a valid client's id, a checked date,
                # the catalog's origin): built trusted, as the maintenance is. Text the
                # caller gave (actor, reason) goes through the validators.
                events.append(
                    _build_assigned(client_id=client.id, on=today, catalog=origin, maintenance=new)
                )
            else:
                events.append(ProductAssigned(maintenance=new, **base))
            return events, new.id
        if isinstance(op, GroupSets):
            return self._group(ctx, base)
        assert m is not None
        if isinstance(op, Modify):
            return self._modify(ctx, m, base)
        if isinstance(op, SetManagement):
            if m.management is op.mode:
                return [], m.id
            return [ManagementChanged(maintenance_id=m.id, management=op.mode, **base)], m.id
        if isinstance(op, DeleteService):
            return [ServiceDeleted(maintenance_id=m.id, **base)], m.id
        if isinstance(op, Suspend):
            return [ServiceSuspended(maintenance_id=m.id, **base)], m.id
        if isinstance(op, Resume):
            return [self._resumed(ctx, m, base)], m.id
        end = new_end(ctx)
        assert end is not None
        if isinstance(op, Renew):
            assert ctx.period is not None
            renewed = attrs.evolve(
                m,
                expires_on=end,
                period=ctx.period,
                modules=tuple(attrs.evolve(ml, expires_on=end) for ml in m.modules),
            )
            return [
                MaintenanceRenewed(maintenance=renewed, previous_expires_on=m.expires_on, **base)
            ], m.id
        if isinstance(op, ExtendTrial):
            return [
                TrialExtended(
                    maintenance_id=m.id, expires_on=end, previous_expires_on=m.expires_on, **base
                )
            ], m.id
        if isinstance(op, AddSeats):
            q = m.quantity + op.quantity
            mods = self.catalog.modules
            added = attrs.evolve(
                m,
                quantity=q,
                expires_on=end,
                modules=tuple(
                    attrs.evolve(
                        ml,
                        expires_on=end,
                        quantity=(
                            q
                            if ml.module in mods
                            and mods[ml.module].quantity_rule is QuantityRule.LINKED
                            else ml.quantity
                        ),
                    )
                    for ml in m.modules
                ),
            )
            return [
                SeatsAdded(
                    maintenance=added,
                    seats=op.quantity,
                    period=op.period,
                    previous_expires_on=m.expires_on,
                    **base,
                )
            ], m.id
        assert isinstance(op, ChangeProduct | ConvertTrial)
        assert ctx.request is not None
        new = self._new_maintenance(ctx, ctx.request, end, _next_id(client))
        if isinstance(op, ChangeProduct):
            return [
                ProductChanged(
                    replaced=m.id, maintenance=new, dropped_modules=dropped_modules(ctx), **base
                )
            ], new.id
        return [TrialConverted(trial=m.id, maintenance=new, **base)], new.id

    def _resumed(self, ctx: RuleContext, m: Maintenance, base: dict[str, Any]) -> Event:
        """The resumption of *m* on the context's day: its end moved by the days it spent
        suspended when its product says ``suspend_extends_term``."""
        suspension = m.suspension
        assert suspension is not None
        end = m.expires_on
        product = self.catalog.products.get(m.product)
        if product is not None and product.suspend_extends_term:
            days = (ctx.today - suspension.on).days - 1  # the days it granted nothing
            if days > 0:
                end = plus_days(end, days)
        return ServiceResumed(
            maintenance_id=m.id, expires_on=end, previous_expires_on=m.expires_on, **base
        )

    def _modify(
        self, ctx: RuleContext, m: Maintenance, base: dict[str, Any]
    ) -> tuple[list[Event], str | None]:
        request = ctx.request
        assert request is not None
        new_q = request.quantity
        current = {ml.module: ml for ml in m.modules}
        new_modules = []
        for mid, seats in request.modules.items():
            old = current.get(mid)
            new_modules.append(
                ModuleLicense(
                    module=mid,
                    quantity=new_q if seats is None else seats,
                    starts_on=old.starts_on if old is not None else ctx.today,
                    expires_on=m.expires_on,
                )
            )
        updated = attrs.evolve(m, quantity=new_q, modules=tuple(new_modules))
        if updated == m:
            return [], m.id
        return [LicensesModified(maintenance=updated, **base)], m.id

    def _group(self, ctx: RuleContext, base: dict[str, Any]) -> tuple[list[Event], str | None]:
        sets = group_sets(ctx)
        end = new_end(ctx)
        assert end is not None
        assert len(sets) >= 2
        first = sets[0]
        q = sum(s.quantity for s in sets)
        mods = self.catalog.modules
        modules = []
        for ml in first.modules:
            linked = ml.module not in mods or mods[ml.module].quantity_rule is QuantityRule.LINKED
            seats = (
                q
                if linked
                else sum(
                    found.quantity
                    for s in sets
                    if (found := s.module_license(ml.module)) is not None
                )
            )
            modules.append(attrs.evolve(ml, quantity=seats, expires_on=end))
        kept = attrs.evolve(
            first, quantity=q, expires_on=end, modules=tuple(modules), pooled=_pooled_of(sets)
        )
        return [
            SetsGrouped(
                maintenance=kept,
                grouped=tuple(s.id for s in sets[1:]),
                seats=tuple(s.quantity for s in sets),
                previous_ends=tuple(s.expires_on for s in sets),
                **base,
            )
        ], first.id

    # -- version 1 operations: thin calls of apply ------------------------------------------

    def new_client(
        self,
        client_id: str,
        name: str,
        today: dt.date,
        *,
        actor: str | None = None,
        reason: str | None = None,
    ) -> Change:
        """Add a client: a :class:`Change` whose event is :class:`ClientCreated`.

        Raises:
            ClientIdError: the id holds ``/`` or is ``.`` or ``..``: the client's
                address (``/clients/ID``) could not name it.
            ValueError: the id or the name is empty or holds control characters.
        """
        check_new_client_id(client_id)
        event = ClientCreated(client_id=client_id, on=today, name=name, actor=actor, reason=reason)
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
        return self.apply(client, request, today)

    def modify(
        self,
        client: Client,
        maintenance_id: str,
        today: dt.date,
        *,
        quantity: int | None = None,
        modules: ModuleSeats | Iterable[str] | None = None,
    ) -> Change:
        """Change an active maintenance's seats and/or its modules (:class:`Modify`).

        Args:
            quantity: New product seats; linked modules follow. ``None`` keeps them.
            modules: The complete module set wanted afterwards (id -> seats, ``None``
                for "as the rule says"); ``None`` keeps the current modules (an
                independent module keeps its seats). Modules added start *today* and
                expire with the product; modules left out are removed.

        Raises:
            RuleViolation: refused; nothing changed.
        """
        return self.apply(
            client, Modify(maintenance=maintenance_id, quantity=quantity, modules=modules), today
        )

    def set_management(
        self, client: Client, maintenance_id: str, mode: ManagementMode | str, today: dt.date
    ) -> Change:
        """Start or stop centralized management of an active maintenance (D8).

        Setting the mode it already has changes nothing (no event).
        """
        op = SetManagement(maintenance=maintenance_id, mode=to_management(mode))
        return self.apply(client, op, today)

    def delete_service(self, client: Client, maintenance_id: str, today: dt.date) -> Change:
        """Delete a maintenance (D8). An expired one may be deleted; a deleted one not."""
        return self.apply(client, DeleteService(maintenance=maintenance_id), today)

    def delete_client(self, client: Client, today: dt.date) -> Change:
        """Delete the client and, the same day, every maintenance in force then.

        The client stays in the monitoring list for 90 days, so that a product can
        be assigned to it again (which restores it).
        """
        return self.apply(client, DeleteClient(), today)

    # -- views -------------------------------------------------------------------------

    @staticmethod
    def status(maintenance: Maintenance, today: dt.date) -> Status:
        """``ACTIVE`` through expiry, ``GRACE`` after it for its grace days, then
        ``EXPIRED``; ``DELETED`` / ``REPLACED`` from that day on."""
        return status(maintenance, today)

    @staticmethod
    def visible(client: Client, today: dt.date) -> bool:
        """Whether the monitoring list shows *client* on *today* (the 90-day rules)."""
        from ..core._dates import visible

        return visible(client, today)

    @staticmethod
    def monitoring(clients: Iterable[Client], today: dt.date) -> MonitoringList:
        """The clients the console's monitoring list shows on *today*, in input order."""
        from ..core._dates import visible
        from ..views._detail import MonitoringList

        try:
            limit = today - _RETENTION
        except OverflowError:
            limit = dt.date.min
        shown = MonitoringList(today=today)
        extend = shown.extend
        every = clients if isinstance(clients, Sized) else list(clients)
        it = iter(every)
        # A slice at a time: each kept client joins the list while the filter has just
        # brought it into the CPU's cache (filtering a million clients, then copying the
        # 650,000 kept into the list, cost 1.35-1.65x the floor, measured; 1.2x this way).
        for _ in range(0, len(every), _SLICE):
            extend(
                [
                    c
                    for c in islice(it, _SLICE)
                    if c._end >= limit
                    and (c.deleted_on is None or today >= c.deleted_on or visible(c, today))
                ]
            )
        return shown

    def offer(
        self, client: Client, today: dt.date, *, pool: Pool | None = None
    ) -> tuple[ProductOffer, ...]:
        """What the add-product dialog may offer *client* on *today*: one
        :class:`ProductOffer` per product still sold that day, in catalog order.

        Built from :meth:`check` itself, never from a second copy of the rules: for
        each licence type a product sells, its *minimal request* (1 seat, no module,
        a management mode the product offers, for a commercial licence the first
        enabled period, else the first sold) is checked; the types it passes are
        offered, the others come with the error findings it got
        (:attr:`ProductOffer.refusals`). A compatible module is offered when adding it
        to the minimal request of every licence type (linked: the product's seats;
        independent: 1 seat) adds no error. Never raises for a well-typed call.
        """
        if self._releases:  # what is sold today: the release in force
            return self._engine(self.catalog.at(today)).offer(client, today, pool=pool)
        offers: list[ProductOffer] = []
        check = self.check
        for plan in self._offers():
            product = plan.product
            until = product.available_until
            if until is not None and until < today:
                continue
            allowed: list[LicenseType] = []
            refusals: dict[LicenseType, tuple[Finding, ...]] = {}
            errors_of: list[tuple[Finding, ...]] = []
            for lt, req in plan.minimal:
                errors = check(client, req, today, pool=pool).errors
                errors_of.append(errors)
                if errors:
                    refusals[lt] = errors
                else:
                    allowed.append(lt)
            modules = tuple(
                module
                for module, variants in plan.modules
                if all(
                    _within(check(client, req, today, pool=pool).errors, before)
                    for req, before in zip(variants, errors_of, strict=True)
                )
            )
            offers.append(
                ProductOffer(
                    product=product.id,
                    name=product.name,
                    family=product.family,
                    license_types=frozenset(allowed),
                    periods=product.periods,
                    enabled_periods=product.enabled,
                    modules=modules,
                    management_modes=product.management_modes,
                    max_quantity=product.max_quantity,
                    trial_max_quantity=product.trial_max_quantity,
                    trial_days=product.trial_days,
                    refusals=refusals,
                )
            )
        return tuple(offers)

    def _offers(self) -> tuple[_OfferPlan, ...]:
        """Per product, the requests :meth:`offer` checks (they depend on the catalog
        alone): built once per engine."""
        plans = self._offer_plan
        if plans is None:
            built = []
            catalog = self.catalog
            for product in catalog.products.values():
                modes = sorted(product.management_modes, key=lambda m: m is not _CENTRALIZED)
                period = (product.enabled or product.periods or (None,))[0]
                minimal = tuple(
                    (lt, _minimal(product.id, lt, modes[0], period if lt is _COMMERCIAL else None))
                    for lt in sorted(product.license_types, key=lambda x: x.value)
                )
                modules = tuple(
                    (
                        ModuleOffer(module=m.id, name=m.name, quantity_rule=m.quantity_rule),
                        tuple(
                            attrs.evolve(
                                req,
                                modules={
                                    m.id: None if m.quantity_rule is QuantityRule.LINKED else 1
                                },
                            )
                            for _, req in minimal
                        ),
                    )
                    for m in catalog.compatible_modules(product.id)
                )
                built.append(_OfferPlan(product, minimal, modules))
            plans = self._offer_plan = tuple(built)
        return plans

    # -- catalog releases ---------------------------------------------------------------

    def _engine(self, release: Catalog) -> Engine:
        """The engine deciding under *release* alone (made once per release)."""
        found = self._by_release.get(release.version)
        if found is None:
            partner, rules, shortage = self._options
            found = Engine.__new__(Engine)
            kept = (
                None
                if partner is None
                else {pid: periods for pid, periods in partner.items() if pid in release.products}
            )
            found._setup(release, kept, rules, shortage)
            found._releases = False
            found._by_release = {}
            self._by_release[release.version] = found
        return found

    def _engine_for(self, client: Client, op: Operation, today: dt.date) -> Engine:
        """The engine of the release whose terms decide *op*: the release in force on
        *today* for new terms (an assignment, a conversion, a product change, added
        seats, a grouping, a renewal); for an operation on an existing maintenance, the
        release that maintenance is under (:meth:`Catalog.terms_for`)."""
        catalog = self.catalog
        if not isinstance(op, _EXISTING_TERMS):
            return self._engine(catalog.at(today))
        m = _find(client, op.maintenance)
        if m is None:
            return self._engine(catalog.at(today))
        return self._engine(catalog.terms_for(m.product, m.release, today))

    def _renewal(
        self, client: Client, op: Operation, today: dt.date
    ) -> tuple[Client, Finding | None, Catalog | None]:
        """For a renewal under a newer release than the maintenance's: the client as the
        new release sees it (modules it no longer offers dropped), the
        ``renewal.terms_changed`` warning, and the new release."""
        if not isinstance(op, Renew):
            return client, None, None
        m = _find(client, op.maintenance)
        if m is None:
            return client, None, None
        try:
            old = self.catalog.terms_for(m.product, m.release, today)
        except UnknownIdError:
            return client, None, None
        new = self.catalog.at(today)
        before, after = old.products.get(m.product), new.products.get(m.product)
        if new is old or before is None or after is None:
            return client, None, None
        changes: list[str] = []
        kept = tuple(ml for ml in m.modules if ml.module in after.modules)
        changes += [f"module:{ml.module}" for ml in m.modules if ml not in kept]
        period = op.period or m.period
        if period is not None and period not in after.enabled and period in before.enabled:
            changes.append(f"period:{period}")
        if after.max_quantity != before.max_quantity:
            changes.append(f"max_quantity:{before.max_quantity}->{after.max_quantity}")
        if after.grace_days != before.grace_days and m.license_type is _COMMERCIAL:
            changes.append(f"grace_days:{before.grace_days}->{after.grace_days}")
        seen = client
        if len(kept) != len(m.modules) or m.release != self._engine(new)._stamp:
            moved = attrs.evolve(m, modules=kept)
            seen = attrs.evolve(
                client,
                maintenances=tuple(moved if x.id == m.id else x for x in client.maintenances),
            )
        finding = None
        if changes:
            finding = TERMS_CHANGED.finding(
                "maintenance",
                {
                    "maintenance": m.id,
                    "release": new.version,
                    "previous_release": old.version,
                    "changes": ", ".join(changes),
                },
            )
        return seen, finding, new

    def _release_check(
        self, client: Client, op: Operation, today: dt.date, pool: Pool | None
    ) -> Decision:
        seen, changed, _ = self._renewal(client, op, today)
        decision = self._engine_for(seen, op, today).check(seen, op, today, pool=pool)
        if changed is None:
            return decision
        return Decision((*decision.findings, changed))

    def _release_apply(
        self,
        client: Client,
        op: Operation,
        today: dt.date,
        pool: Pool | None,
        actor: str | None,
        reason: str | None,
    ) -> Change:
        seen, changed, release = self._renewal(client, op, today)
        engine = self._engine_for(seen, op, today)
        try:
            change = engine.apply(seen, op, today, pool=pool, actor=actor, reason=reason)
        except RuleViolation as exc:
            if changed is None:
                raise
            # The refusal says what check says: the release's findings and what changed.
            decision = Decision((*exc.decision.findings, changed))
            raise RuleViolation(decision, op.kind) from None
        if release is None:
            return change
        # The renewal moves the maintenance to the release in force (its terms: the
        # modules it still offers, its grace), from the stored client's state.
        events: list[Event] = []
        for event in change.events:
            if isinstance(event, MaintenanceRenewed):
                m = event.maintenance
                product = release.products[m.product]
                grace = product.grace_days if m.license_type is _COMMERCIAL else 0
                moved = attrs.evolve(m, release=engine._stamp, grace_days=grace)
                event = attrs.evolve(event, maintenance=moved)
            events.append(event)
        new = client
        for event in events:
            new = apply_trusted(new, event)
        touched = change.maintenance.id if change.maintenance is not None else None
        warnings = change.warnings if changed is None else (*change.warnings, changed)
        return attrs.evolve(
            change,
            client=new,
            events=tuple(events),
            maintenance=new.maintenance(touched) if touched is not None else None,
            warnings=tuple(warnings),
        )

    def check_releases(self, client: Client) -> None:
        """Raise :class:`ReleaseMissingError` when a maintenance of *client* names a
        catalog release this engine's catalog does not hold (a store opened with
        another catalog): its lines are never judged by other terms."""
        known = {r.version for r in self.catalog.releases}
        for m in client.maintenances:
            release = m.release
            if release is not None and release not in known:
                raise ReleaseMissingError(client.id, m.id, release, tuple(sorted(known)))

    def detail(self, client: Client, today: dt.date) -> ClientDetail:
        """The client's detail as the console shows it on *today* (D6, D7, D8)."""
        from ..views._detail import build_detail

        return build_detail(self.catalog, client, today, lambda m: self.actions(client, m, today))

    def actions(self, client: Client, maintenance: Maintenance, today: dt.date) -> frozenset[str]:
        """The console actions *maintenance* allows on *today*: those whose operation
        ``check`` accepts (``"modify"``, ``"manage"``/``"unmanage"``, ``"delete"``,
        ``"renew"``, ``"convert"``, ``"extend"``). The detail view shows exactly these,
        so it never offers what the engine would refuse."""
        # An operation the line's state refuses is refused whatever else the rules find:
        # only the others are built and checked (a history line: one check, not four).
        m = maintenance
        state = target_state(m, today)
        trial = m.license_type is _TRIAL
        found = [
            name
            for name, kind, make in _ACTIONS[m.management is ManagementMode.CENTRALIZED, trial]
            if state_accepts(kind, state) and self.check(client, make(m.id), today).ok
        ]
        if trial and state_accepts(ConvertTrial, state):
            convert = self._conversion(m, today)
            if convert is not None and self.check(client, convert, today).ok:
                found.append("convert")
        return frozenset(found)

    def _conversion(self, trial: Maintenance, today: dt.date) -> ConvertTrial | None:
        """The conversion the detail offers for *trial*: to the first enabled period of
        its product (in the release in force on *today*), or ``None`` when the catalog
        sells it for no period."""
        product = self.catalog.at(today).products.get(trial.product)
        if product is None or not product.periods:
            return None
        return ConvertTrial(maintenance=trial.id, period=(product.enabled or product.periods)[0])

    @staticmethod
    def entitlements(client: Client, today: dt.date) -> dict[str, int]:
        """Product and module id -> seats in force on *today* (active or in grace),
        summed over the maintenances (licence sets add up)."""
        seats: dict[str, int] = {}
        for m in client.maintenances:
            if not m.in_force(today):
                continue
            seats[m.product] = seats.get(m.product, 0) + m.quantity
            for ml in m.modules:
                if ml.starts_on <= today:
                    seats[ml.module] = seats.get(ml.module, 0) + ml.quantity
        return seats

    def expiring(
        self, clients: Iterable[Client], today: dt.date, within_days: int = 30
    ) -> list[Expiry]:
        """Every maintenance active on *today* ending within *within_days*, and every
        one in grace, ordered by ``(expires_on, client_id, maintenance_id)``."""
        from ..views._lifecycle import expiring

        return expiring(clients, today, within_days)

    def forecast(self, clients: Iterable[Client], today: dt.date, months: int = 12) -> Forecast:
        """Seats expiring per product per calendar month, for *months* months from
        *today*'s month (maintenances active on *today*)."""
        from ..views._lifecycle import forecast

        return forecast(clients, today, months)

    @staticmethod
    def usage_report(
        clients: Iterable[Sequence[Event]],
        month: str | dt.date,
        *,
        basis: UsageBasis | str = "seat-days",
        devices: Mapping[str, Mapping[str, int]] | None = None,
    ) -> UsageReport:
        """The monthly usage report an MSP bills from, rebuilt from each client's events
        (*clients*: one event list per client, oldest first): one row per (client,
        item) with ``seat_days`` (grace included), ``peak`` and ``end_of_month``;
        *basis* picks the billed figure; *devices* (client id -> item -> devices in
        use) gives each row the excess over its term seats. *month*: ``"YYYY-MM"``."""
        from ..views._usage import usage_report

        return usage_report(clients, month, basis=basis, devices=devices)

    def usage(self, client: Client, devices: Mapping[str, int], today: dt.date) -> Decision:
        """Warnings ``usage.over_entitlement`` where *devices* in use exceed the seats in
        force (grace included); an id with no seats is entitled to 0."""
        seats = self.entitlements(client, today)
        spec = self._codes["usage.over_entitlement"]
        out = []
        for item, in_use in sorted(devices.items()):
            if type(in_use) is not int or in_use < 0:
                raise TypeError(f"usage: devices[{item!r}] must be an int >= 0, got {in_use!r}")
            entitled = seats.get(item, 0)
            if in_use > entitled:
                out.append(
                    spec.finding(item, {"item": item, "in_use": in_use, "entitled": entitled})
                )
        return Decision(tuple(out)) if out else _NO_FINDINGS
