"""The rule protocol: what a rule is given (:class:`RuleContext`) and how it is declared.

One protocol for the built-in rules and for plugin rules: a rule is a function of
a context that returns findings, declared by a :class:`RuleSpec` naming the
operations it applies to and the codes it may find (with their severity and
messages). The engine's code table, message tables and docs come from those
declarations.

:class:`ProductPlan` holds what the rules need to know about one product, computed
once per engine, so a check does no catalog lookups beyond one dictionary get.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ._enums import LicenseType, ManagementMode, QuantityRule
from ._findings import CodeSpec, Finding
from ._operations import OPERATION_KINDS
from ._period import Period

if TYPE_CHECKING:
    from ._catalog import Catalog
    from ._catalog_records import Product
    from ._client_records import Client
    from ._maintenance import Maintenance
    from ._operations import AssignmentRequest, Operation
    from ._pool import Pool

__all__ = ["ProductPlan", "Rule", "RuleContext", "RuleSpec", "Tables"]


@attrs.define(slots=True, eq=False)
class RuleContext:
    """What a rule is given: the operation, the client before it, and the day.

    Attributes:
        operation: The operation's kind: ``"assign"``, ``"modify"``, ``"renew"``,
            ``"change_product"``, ``"convert_trial"``, ``"extend_trial"``,
            ``"set_management"``, ``"delete_service"``, ``"delete_client"``,
            ``"group_sets"``, ``"add_seats"``.
        catalog: The engine's catalog.
        client: The client as it is before the operation.
        request: The maintenance the operation would create or leave, expressed as
            an assignment (assign; modify: the maintenance as it would become;
            change, convert: the new maintenance; add seats: the seats added), or
            ``None`` for operations that create no terms (delete, manage, extend).
        product: The product concerned, or ``None`` when unknown to the catalog.
        maintenance: The maintenance the operation acts on, when it names one that
            exists.
        today: The day of the operation.
        op: The operation record itself.
        pool: The partner's pool, when one was given.
        plan: The engine's precomputed facts about :attr:`product`.
        tables: The engine's precomputed catalog tables.
        period: The term at stake (the request's, a renewal's, added seats').
        excluded: Ids of maintenances the operation replaces: they never count
            against the family rule.
    """

    operation: str
    catalog: Catalog
    client: Client
    request: AssignmentRequest | None
    product: Product | None
    maintenance: Maintenance | None
    today: dt.date
    op: Operation | None = None
    pool: Pool | None = None
    plan: ProductPlan | None = None
    tables: Tables | None = None
    period: Period | None = None
    excluded: frozenset[str] = frozenset()


Rule = Callable[[RuleContext], Iterable[Finding]]
"""A rule: returns the findings it has about the context (often none): a generator,
a list or a tuple, each called once per decision."""


def _operations(values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, str):
        raise TypeError(f"RuleSpec.operations must be a collection, got {values!r}")
    ops = frozenset(values)
    unknown = sorted(ops - set(OPERATION_KINDS))
    if unknown:
        raise ValueError(
            f"RuleSpec.operations: unknown operation(s) {', '.join(unknown)} "
            f"(known: {', '.join(OPERATION_KINDS)})"
        )
    return ops


def _codes(values: Iterable[CodeSpec]) -> tuple[CodeSpec, ...]:
    items = tuple(values)
    for item in items:
        if not isinstance(item, CodeSpec):
            raise TypeError(f"RuleSpec.codes must hold CodeSpec records, got {item!r}")
    return items


@attrs.frozen(kw_only=True, slots=True)
class RuleSpec:
    """A rule and its declaration.

    Attributes:
        check: The rule: a function of a :class:`RuleContext` returning findings.
        operations: The operation kinds it applies to (default: assign and modify).
        codes: The codes it may find, with severity and messages. A finding of a
            code the rule did not declare must carry its own messages.
        plugin: The plugin that contributed it (set by the loader).
        relevant: Optional: whether the rule can find anything for a product plan
            and licence type (computed once per product; ``None``: always run).
        needs_pool: The rule can only find something when a pool is given (it is
            not run otherwise).
    """

    check: Rule
    operations: frozenset[str] = attrs.field(
        default=frozenset({"assign", "modify"}), converter=_operations
    )
    codes: tuple[CodeSpec, ...] = attrs.field(default=(), converter=_codes)
    plugin: str = "<engine>"
    relevant: Callable[[ProductPlan, LicenseType], bool] | None = attrs.field(
        default=None, eq=False
    )
    needs_pool: bool = False

    @property
    def name(self) -> str:
        """The rule's name, for error messages."""
        name = getattr(self.check, "__qualname__", None)
        if isinstance(name, str):
            return name
        try:
            return repr(self.check)
        except Exception:  # a hostile __repr__ must not hide which plugin failed
            return f"<{type(self.check).__name__} object>"

    def __str__(self) -> str:
        return f"rule {self.name!r} of plugin {self.plugin!r}"


def _texts(values: Iterable[object]) -> tuple[str, ...]:
    return tuple(str(getattr(v, "value", v)) for v in values)


class ProductPlan:
    """Everything the rules need to know about one product, computed once."""

    __slots__ = (
        "changes_to",
        "compatible",
        "cooldown",
        "enabled",
        "enabled_text",
        "family",
        "id",
        "max_quantity",
        "modes",
        "modes_text",
        "modules",
        "offered",
        "offered_text",
        "product",
        "rivals",
        "sold",
        "sold_text",
        "trial_cap",
        "trial_days",
    )

    def __init__(
        self,
        product: Product,
        catalog: Catalog,
        partner_enabled: Iterable[Period] | None,
        family_members: frozenset[str] = frozenset(),
    ) -> None:
        self.product = product
        self.id = product.id
        self.family = product.family
        # The ids of the family's other products (*family_members* is every one):
        # what the family rule compares a client's kept lines with.
        self.rivals = family_members - {self.id}
        self.offered = tuple(product.license_types)  # tuples: `in` checks identity first
        self.offered_text = tuple(sorted(_texts(product.license_types)))
        self.sold = frozenset(p._id for p in product.periods)  # see Period._id
        self.sold_text = _texts(product.periods)
        enabled = set(product.enabled)
        if partner_enabled is not None:
            enabled &= set(partner_enabled)
        self.enabled = frozenset(p._id for p in enabled)
        self.enabled_text = _texts(p for p in product.periods if p in enabled)
        self.modules: Mapping[str, QuantityRule] = {
            m: catalog.modules[m].quantity_rule for m in product.modules
        }
        self.compatible = tuple(sorted(product.modules))
        self.modes = tuple(product.management_modes)
        self.modes_text = tuple(sorted(_texts(product.management_modes)))
        self.max_quantity = product.max_quantity
        self.trial_cap = product.trial_max_quantity
        self.trial_days = product.trial_days
        self.cooldown = product.trial_cooldown_days
        self.changes_to = tuple(sorted(product.changes_to))

    @property
    def all_modes(self) -> bool:
        """Whether the product supports every management mode."""
        return len(self.modes) == len(ManagementMode)


class Tables:
    """The engine's precomputed view of the catalog, shared by the rules."""

    __slots__ = ("catalog", "known_modules", "plans")

    def __init__(
        self, catalog: Catalog, enabled_periods: Mapping[str, Iterable[Period]] | None
    ) -> None:
        self.catalog = catalog
        self.known_modules = frozenset(catalog.modules)
        partner = enabled_periods or {}
        families: dict[str, set[str]] = {}
        for pid, p in catalog.products.items():
            families.setdefault(p.family, set()).add(pid)
        members = {family: frozenset(ids) for family, ids in families.items()}
        self.plans: dict[str, ProductPlan] = {
            pid: ProductPlan(p, catalog, partner.get(pid), members[p.family])
            for pid, p in catalog.products.items()
        }


def as_spec(rule: Any, plugin: str) -> RuleSpec:
    """*rule* as a :class:`RuleSpec` contributed by *plugin*: a spec keeps its
    declaration (its plugin set), a plain callable applies to assign and modify."""
    if isinstance(rule, RuleSpec):
        return attrs.evolve(rule, plugin=plugin) if rule.plugin == "<engine>" else rule
    if callable(rule):
        return RuleSpec(check=rule, plugin=plugin)
    raise TypeError(f"a rule must be a callable or a RuleSpec, got {rule!r}")
