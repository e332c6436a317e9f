"""What an operation family declares, and the helpers the families share.

A family module (``_assign``, ``_modify``, ``_lifecycle``, ``_trials``, ``_sets``,
``_suspension``, ``_deletion``) holds, for each operation record of its family, one
:class:`Kind`: how the engine reads the operation (its :class:`Terms`), the events
it writes, the new end and the pool movements it makes, the states of the
maintenance it accepts, the console action the client's detail offers for it, and
what a person reads of it (:class:`OperationWords`: its refusal's header, its dry
run). It also holds the family's own rules and their codes, and how the history view
words the events it writes (:class:`EventWords`). :mod:`._table` gathers the
families into the tables the engine, the shared rules and the views look up, by kind
and by event record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

import attrs

from ..core._client_records import Client
from ..core._enums import LicenseType, ManagementMode, QuantityRule, Status
from ..core._findings import CodeSpec, Finding
from ..core._line_records import SeatLot
from ..core._maintenance import Maintenance, ModuleLicense
from ..core._operations import AssignmentRequest, Operation
from ..core._period import Period
from ..core._rulespec import ProductPlan, RuleContext, RuleSpec
from ..core._trusted import build, builder
from ._lots import added_lot

if TYPE_CHECKING:
    from ..core._catalog import Catalog
    from ..core._catalog_records import Product
    from ..core._events import Event
    from ._terms import Move

__all__ = [
    "BUILTIN",
    "EventWords",
    "Family",
    "Kind",
    "OperationWords",
    "Terms",
    "find",
    "modules_of",
    "new_maintenance",
    "next_id",
    "rule_into",
    "terms",
]

BUILTIN = "cytolicense"
"""The name the built-in rules' plugin is registered under."""

NO_IDS: frozenset[str] = frozenset()
NONE: tuple[Finding, ...] = ()
COMMERCIAL = LicenseType.COMMERCIAL
TRIAL = LicenseType.TRIAL

# The states of its maintenance an operation may act on.
IN_FORCE = frozenset({Status.ACTIVE, Status.GRACE})
ACTIVE = frozenset({Status.ACTIVE})
NOT_STOPPED = frozenset({Status.ACTIVE, Status.GRACE, Status.EXPIRED, Status.SUSPENDED})
SUSPENDED_ONLY = frozenset({Status.SUSPENDED})


class Terms(NamedTuple):
    """How the engine reads an operation for its rules (the :class:`RuleContext`'s
    fields that depend on the kind)."""

    product: str | None
    """The product concerned (looked up in the catalog by the engine)."""
    request: AssignmentRequest | None = None
    """The maintenance the operation would create or leave, as an assignment."""
    period: Period | None = None
    """The term at stake."""
    excluded: frozenset[str] = NO_IDS
    """Maintenances the operation replaces."""


Action = tuple[str, Callable[[str], Operation]]
"""A console action on a line: its name and how to build it from the line's id."""

Who = dict[str, Any]
"""What every event of an operation carries: client id, day, catalog, actor, reason."""

Written = tuple[list["Event"], str | None]
"""The events of a decided operation and the id of the maintenance it touched."""


class OperationWords(NamedTuple):
    """What a person reads of an operation, in English (the message catalog,
    ``locale/LANG.po``, has each language's): the command line and the web console
    print it, through :mod:`cytolicense.views._input`."""

    refusal: str
    """The header of its refusal (``"cannot renew the maintenance"``)."""
    dry_run: str
    """What its dry run says when it would be accepted (``"the maintenance can be
    renewed"``)."""


E = TypeVar("E", bound="Event")


@attrs.frozen
class EventWords(Generic[E]):
    """How the history view words one event record
    (:func:`cytolicense.views._history.describe_history`).

    Attributes:
        type: The event record.
        name: What happened, in English (``"product assigned"``; the message catalog
            has each language's).
        describe: ``(client before the event or None, event, language) -> text``:
            what it changed, in that language (through
            :func:`~cytolicense.core._messages.tr`); ``None``: nothing but its name.
    """

    type: type[E]
    name: str
    describe: Callable[[Client | None, E, str], str] | None = None


def _on_line(catalog: Catalog, op: Any, m: Maintenance | None) -> Terms:
    """The terms of an operation that acts on a maintenance and makes no new terms."""
    return Terms(m.product if m is not None else None)


@attrs.frozen(kw_only=True)
class Kind:
    """One operation record as the engine handles it.

    Attributes:
        type: The operation record (its ``kind`` names it).
        terms: ``(catalog, op, maintenance or None) -> Terms``: the product, request,
            period and replaced ids its rules see. The default: the maintenance's
            product, nothing else.
        events: ``(ctx, who, release) -> (events, touched id)``: what a decided
            operation writes (*who*: every event's common fields; *release*: what a
            maintenance it makes records as its catalog release).
        new_end: The last day of service it gives, or ``None`` (no new date).
        moves: What it takes from and gives back to a pool, in order.
        takes_seats: Whether it may take seats from a pool (``pool.insufficient``
            is checked for it).
        accepts: The states of its maintenance it may act on; ``None``: it names no
            maintenance.
        target: Its own refusal of the maintenance it names, before the state check
            (for example a trial that cannot be renewed), or ``None``.
        line_terms: Whether the terms of the maintenance's own catalog release
            decide it (else the release in force on the day).
        renews: Whether it moves the maintenance to the release in force (and says
            what changed for it: ``renewal.terms_changed``).
        action: ``(centralized, trial) -> (name, make) or None``: the action the
            client's detail offers for a line of that management and licence type
            (``make(maintenance_id)`` builds the operation, checked before shown).
        line_action: For an action that depends on the catalog or the line:
            ``(maintenance, catalog, today) -> (name, operation) or None``.
        drops_schedule: Whether it drops the change scheduled for the renewal of the
            maintenance it acts on (``ScheduleCancelled``, written first; a
            suspension also turns auto-renewal off): the engine does it for it.
        words: Its refusal's header and what its dry run says, or ``None`` (the
            views then say ``"KIND refused"``, ``"KIND can be done"``).
    """

    type: type[Operation]
    events: Callable[[RuleContext, Who, str | None], Written]
    terms: Callable[[Catalog, Any, Maintenance | None], Terms] = _on_line
    new_end: Callable[[RuleContext], dt.date | None] | None = None
    moves: Callable[[RuleContext], list[Move]] | None = None
    takes_seats: bool = False
    accepts: frozenset[Status] | None = ACTIVE
    target: Callable[[RuleContext, Maintenance, Status], Finding | None] | None = None
    line_terms: bool = False
    renews: bool = False
    action: Callable[[bool, bool], Action | None] | None = None
    line_action: Callable[[Maintenance, Catalog, dt.date], tuple[str, Operation] | None] | None = (
        None
    )
    drops_schedule: bool = False
    words: OperationWords | None = None

    @property
    def kind(self) -> str:
        """The operation's kind (``"renew"``, ...)."""
        return self.type.kind


@attrs.frozen(kw_only=True)
class Family:
    """An operation family: its operations, its rules and the events it writes.

    Attributes:
        name: The family's name.
        kinds: Its operations.
        rules: Its own rules (the shared ones live in :mod:`cytolicense.rules`), in the
            order they run.
        events: The event records it writes.
        target_codes: The codes its kinds' ``target`` may find (declared with the
            shared rule that calls them).
        words: How the history view words the events it writes (one each at most;
            an event no family words shows its record's name alone).
    """

    name: str
    kinds: tuple[Kind, ...]
    events: tuple[type[Event], ...]
    rules: tuple[RuleSpec, ...] = ()
    target_codes: tuple[CodeSpec, ...] = ()
    words: tuple[EventWords[Any], ...] = ()


_Check = Callable[[RuleContext], Iterable[Finding]]


def rule_into(
    found: list[RuleSpec],
) -> Callable[..., Callable[[_Check], _Check]]:
    """A decorator declaring a built-in rule (its operations and codes) into *found*."""

    def rule(
        operations: Iterable[str],
        *codes: CodeSpec,
        relevant: Callable[[ProductPlan, LicenseType], bool] | None = None,
        needs_pool: bool = False,
    ) -> Callable[[_Check], _Check]:
        def register(check: _Check) -> _Check:
            found.append(
                RuleSpec(
                    check=check,
                    operations=frozenset(operations),
                    codes=codes,
                    plugin=BUILTIN,
                    relevant=relevant,
                    needs_pool=needs_pool,
                )
            )
            return check

        return register

    return rule


# -- helpers the families share -------------------------------------------------------


def find(client: Client, maintenance_id: str) -> Maintenance | None:
    """The client's maintenance of that id, or ``None``."""
    for m in client.maintenances:
        if m.id == maintenance_id:
            return m
    return None


def next_id(client: Client, taken: Iterable[str] = ()) -> str:
    """The id of the client's next maintenance (``m1``, ``m2``, ...)."""
    used = {m.id for m in client.maintenances} | set(taken)
    n = len(client.maintenances) + 1
    while f"m{n}" in used:
        n += 1
    return f"m{n}"


def modules_of(catalog: Catalog, m: Maintenance) -> dict[str, int | None]:
    """*m*'s modules as a request's ``modules``: a linked module ``None`` (it follows
    the seats), an independent one its seats."""
    mods = catalog.modules
    return {
        ml.module: (
            ml.quantity
            if ml.module in mods and mods[ml.module].quantity_rule is QuantityRule.INDEPENDENT
            else None
        )
        for ml in m.modules
    }


def terms(
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


_build_maintenance = builder(Maintenance)
_build_module = builder(ModuleLicense)


def new_maintenance(
    ctx: RuleContext, request: AssignmentRequest, end: dt.date, mid: str, release: str | None
) -> Maintenance:
    """The maintenance *request* makes on the context's day, ending on *end*."""
    today = ctx.today
    q = request.quantity
    product = ctx.product
    assert product is not None
    commercial = request.license_type is COMMERCIAL
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
        release=release,
        lots=_lots(product, request, today),
    )


def _lots(product: Product, request: AssignmentRequest, today: dt.date) -> tuple[SeatLot, ...]:
    """The first lot of a commercial maintenance of a product with a return window."""
    if product.return_window_days is None or request.period is None:
        return ()
    return added_lot(product, request.license_type, today, request.quantity, request.period)


def commercial_only(plan: ProductPlan, lt: LicenseType) -> bool:
    """A rule's ``relevant``: commercial licences only."""
    return lt is COMMERCIAL


def trial_only(plan: ProductPlan, lt: LicenseType) -> bool:
    """A rule's ``relevant``: trials only."""
    return lt is TRIAL


def replacing(
    catalog: Catalog,
    m: Maintenance,
    product: str,
    period: Period,
    quantity: int | None,
    modules: Mapping[str, int | None] | None,
    management: ManagementMode | None,
) -> Terms:
    """The terms of a commercial maintenance of *product* replacing *m* (a product
    change, a trial's conversion): ``None`` keeps what *m* has (modules: those the
    product offers, seats capped at the new quantity)."""
    q = m.quantity if quantity is None else quantity
    if modules is None:
        target = catalog.products.get(product)
        offered = target.modules if target is not None else frozenset()
        modules = {
            k: (v if v is None else min(v, q))
            for k, v in modules_of(catalog, m).items()
            if k in offered
        }
    request = terms(
        product=product,
        license_type=COMMERCIAL,
        quantity=q,
        period=period,
        modules=modules,
        management=m.management if management is None else management,
    )
    return Terms(product, request, period, frozenset({m.id}))
