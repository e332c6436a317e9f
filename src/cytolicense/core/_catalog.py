"""The loaded catalog: read-only mappings of families, modules and products."""

from __future__ import annotations

import datetime as dt
import functools
import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Protocol, TypeVar

import attrs

from ._catalog_checks import BUILTIN_CHECKS, CatalogCheck, CatalogDraft, CatalogProblem
from ._catalog_records import INITIAL_RELEASE, CatalogRelease, Module, Product, ProductFamily
from ._enums import LicenseType, QuantityRule
from ._exceptions import CatalogError, UnknownIdError, said
from ._findings import CodeSpec, Finding
from ._html import styled
from ._messages import period_words, tr, unit

__all__ = ["Catalog", "DeclaredRule"]


class DeclaredRule(Protocol):
    """A rule as a catalog holds it: a :class:`~cytolicense.RuleSpec`, by its declaration.

    The module of :class:`~cytolicense.RuleSpec` names :class:`Catalog` (a rule's
    :class:`~cytolicense.RuleContext` holds the catalog), so this one names the
    specs it holds by what a reader of :attr:`Catalog.rules` uses of them, which a
    ``RuleSpec`` has; the engine reads them as the ``RuleSpec`` they are.
    """

    @property
    def check(self) -> Callable[..., Iterable[Finding]]: ...
    @property
    def operations(self) -> frozenset[str]: ...
    @property
    def codes(self) -> tuple[CodeSpec, ...]: ...
    @property
    def plugin(self) -> str: ...
    @property
    def relevant(self) -> Callable[..., bool] | None: ...
    @property
    def needs_pool(self) -> bool: ...
    @property
    def name(self) -> str: ...


class Catalog:
    """Families, modules and products declared by the catalog plugins.

    Build one with :func:`cytolicense.load_catalog`, or directly from records
    (``Catalog(families=[...], modules=[...], products=[...])``) when checking
    consistency yourself is fine: the constructor runs the built-in catalog checks
    (every product's family and modules exist, products change only within their
    family) and raises :class:`CatalogError` otherwise.

    Attributes:
        families: Family id -> :class:`ProductFamily` (read-only).
        modules: Module id -> :class:`Module` (read-only).
        products: Product id -> :class:`Product` (read-only).
        rules: Rules contributed by plugins (:class:`RuleSpec`, each naming its plugin).
        sources: Record id -> name of the plugin that declared it.
        distributions: Plugin name -> ``"distribution version"`` for plugins loaded
            from an installed distribution (entry points).
        version: This release's version (``"initial"`` for the first release).
        effective: This release's first day in force (``date.min`` for the first).

    A catalog with later releases (:class:`CatalogRelease`, from the
    ``cytolicense_releases`` hook) is its newest release; :attr:`releases` are all of
    them, oldest first, and :meth:`at` gives the one in force on a day. Each release
    also holds the products earlier releases sold and it does not, withdrawn from its
    first day (``available_until``), so that their maintenances keep working.
    """

    __slots__ = (
        "_compatible",
        "_moves",
        "_timeline",
        "distributions",
        "effective",
        "families",
        "modules",
        "products",
        "rules",
        "sources",
        "version",
    )

    families: Mapping[str, ProductFamily]
    modules: Mapping[str, Module]
    products: Mapping[str, Product]
    rules: tuple[DeclaredRule, ...]
    sources: Mapping[str, str]
    distributions: Mapping[str, str]

    def __init__(
        self,
        *,
        families: tuple[ProductFamily, ...] | list[ProductFamily] = (),
        modules: tuple[Module, ...] | list[Module] = (),
        products: tuple[Product, ...] | list[Product] = (),
        rules: tuple[DeclaredRule, ...] = (),
        sources: Mapping[str, str] | None = None,
    ) -> None:
        src = dict(sources or {})
        self._setup(
            [(src.get(f.id), f) for f in families],
            [(src.get(m.id), m) for m in modules],
            [(src.get(p.id), p) for p in products],
            tuple(rules),
            checks=[(None, check) for check in BUILTIN_CHECKS],
        )

    @classmethod
    def _from_entries(
        cls,
        families: list[tuple[str | None, ProductFamily]],
        modules: list[tuple[str | None, Module]],
        products: list[tuple[str | None, Product]],
        rules: tuple[DeclaredRule, ...],
        describe: Mapping[str, str],
        distributions: Mapping[str, str] | None = None,
        checks: Sequence[tuple[str | None, CatalogCheck]] = (),
    ) -> Catalog:
        catalog = cls.__new__(cls)
        if not any(check is BUILTIN_CHECKS[0] for _, check in checks):
            # Loaded without the internal plugin: the built-in checks still run first.
            checks = [(None, check) for check in BUILTIN_CHECKS] + list(checks)
        catalog._setup(families, modules, products, rules, describe, distributions, checks)
        return catalog

    def _setup(
        self,
        families: list[tuple[str | None, ProductFamily]],
        modules: list[tuple[str | None, Module]],
        products: list[tuple[str | None, Product]],
        rules: tuple[DeclaredRule, ...],
        describe: Mapping[str, str] | None = None,
        distributions: Mapping[str, str] | None = None,
        checks: Sequence[tuple[str | None, CatalogCheck]] = (),
    ) -> None:
        """Check and store the records; *describe* maps plugin names to how errors name
        them (``entry point 'x' (dist 1.0)``); *checks* are the catalog checks, each
        with the plugin that contributed it."""
        said = describe or {}
        fams = _unique("family", families, said)
        mods = _unique("module", modules, said)
        prods = _unique("product", products, said)
        sources: dict[str, str] = {}
        for entries in (families, modules, products):
            for plugin, record in entries:
                if plugin is not None:
                    sources[record.id] = plugin
        self.families = MappingProxyType(fams)
        self.modules = MappingProxyType(mods)
        self.products = MappingProxyType(prods)
        draft = CatalogDraft(families=self.families, modules=self.modules, products=self.products)
        _run_checks(checks, draft, sources, said)
        self.rules = rules
        self.sources = MappingProxyType(sources)
        self.distributions = MappingProxyType(dict(distributions or {}))
        self._compatible = {p.id: tuple(mods[m] for m in sorted(p.modules)) for p in prods.values()}
        self.version = INITIAL_RELEASE
        self.effective = dt.date.min
        self._moves: Mapping[str, dt.date] = MappingProxyType({})
        self._timeline: tuple[Catalog, ...] = (self,)

    # -- releases ------------------------------------------------------------------------

    @property
    def releases(self) -> tuple[Catalog, ...]:
        """Every release of this catalog, oldest first (one, for a catalog without
        later releases)."""
        return self._timeline

    def at(self, day: dt.date) -> Catalog:
        """The release in force on *day*: the newest whose first day is not after it."""
        if type(day) is not dt.date:
            raise TypeError(f"Catalog.at: day must be a datetime.date, got {day!r}")
        found = self._timeline[0]
        for release in self._timeline:
            if release.effective > day:
                break
            found = release
        return found

    def release(self, version: str) -> Catalog:
        """The release *version*; :class:`UnknownIdError` when the catalog has none."""
        for release in self._timeline:
            if release.version == version:
                return release
        raise UnknownIdError("release", version)

    @property
    def existing_from(self) -> Mapping[str, dt.date]:
        """Product id -> the day from which maintenances of that product sold under
        earlier releases take this release's terms."""
        return self._moves

    def terms_for(self, product: str, release: str | None, today: dt.date) -> Catalog:
        """The release whose terms judge, on *today*, a maintenance of *product* sold
        (or last renewed) under *release* (``None``: the first): that release, or the
        newest later one in force on *today* that moves the product's existing
        maintenances on a day not after *today* (every later release is looked at, not
        only the next). :class:`UnknownIdError` when the catalog has no such release."""
        base = self.release(INITIAL_RELEASE if release is None else release)
        chosen = base
        for later in self._timeline:
            if later.effective <= base.effective or later.effective > today:
                continue
            moved = later._moves.get(product)
            if moved is not None and moved <= today:
                chosen = later
        return chosen

    @classmethod
    def _with_releases(
        cls,
        base: Catalog,
        releases: Sequence[tuple[str | None, CatalogRelease]],
        describe: Mapping[str, str],
        checks: Sequence[tuple[str | None, CatalogCheck]],
    ) -> Catalog:
        """*base* (the first release) followed by *releases*: each checked like a
        catalog of its own, ordered by first day; the newest is returned."""
        if not releases:
            return base
        ordered = sorted(releases, key=lambda e: e[1].effective)
        days: dict[dt.date, str | None] = {}
        versions: dict[str, str | None] = {INITIAL_RELEASE: None}
        for plugin, r in ordered:
            who = _who(plugin, describe)
            if r.effective == dt.date.min or r.effective in days:
                other = days.get(r.effective)
                error = said(
                    CatalogError,
                    "release '{version}' ({who}) starts on {day}, the first day of another "
                    "release ({other})",
                    version=r.version,
                    who=who,
                    day=r.effective.isoformat(),
                    other=_who(other, describe) if r.effective in days else INITIAL_RELEASE,
                )
                error.plugins, error.ids = _names(plugin, other), (r.version,)
                raise error
            if r.version in versions:
                error = said(
                    CatalogError,
                    "release version '{version}' declared twice ({who})",
                    version=r.version,
                    who=who,
                )
                error.plugins, error.ids = _names(plugin, versions[r.version]), (r.version,)
                raise error
            days[r.effective] = plugin
            versions[r.version] = plugin
        timeline = [base]
        families = [(base.sources.get(f.id), f) for f in base.families.values()]
        modules = [(base.sources.get(m.id), m) for m in base.modules.values()]
        family_of = {p.id: (p.family, INITIAL_RELEASE) for p in base.products.values()}
        sold: dict[str, tuple[str | None, Product]] = {
            p.id: (base.sources.get(p.id), p) for p in base.products.values()
        }
        for plugin, r in ordered:
            for product in r.products:
                was = family_of.get(product.id)
                if was is not None and was[0] != product.family:
                    error = said(
                        CatalogError,
                        "product '{product}' is of family '{old}' in release '{old_release}' "
                        "and of family '{new}' in release '{version}' ({who}): a product "
                        "never changes family",
                        product=product.id,
                        old=was[0],
                        old_release=was[1],
                        new=product.family,
                        version=r.version,
                        who=_who(plugin, describe),
                    )
                    error.plugins, error.ids = _names(plugin), (product.id, r.version)
                    raise error
                family_of[product.id] = (product.family, r.version)
            listed = {p.id for p in r.products}
            last_day = r.effective - dt.timedelta(days=1)
            withdrawn = []
            for pid, (origin, product) in sold.items():
                if pid in listed:
                    continue
                until = product.available_until
                if until is None or until > last_day:
                    product = attrs.evolve(product, available_until=last_day)
                withdrawn.append((origin, product))
            entries = [(plugin, p) for p in r.products] + withdrawn
            release = cls._from_entries(
                families, modules, entries, base.rules, describe, base.distributions, checks
            )
            release.version, release.effective = r.version, r.effective
            release._moves = MappingProxyType(dict(r.existing_from))
            timeline.append(release)
            sold = {p.id: (o, p) for o, p in entries}
        shared = tuple(timeline)
        for release in shared:
            release._timeline = shared
        return shared[-1]

    def origin(self, record_id: str) -> str | None:
        """Which catalog declared *record_id*: ``"distribution version"`` for an installed
        plugin, the plugin's name otherwise, ``None`` when not known. Events record it so
        that a partner can tell which catalog decided an operation."""
        plugin = self.sources.get(record_id)
        if plugin is None:
            return None
        return self.distributions.get(plugin, plugin)

    def product(self, id: str) -> Product:
        """The product *id*; :class:`UnknownIdError` when there is none."""
        try:
            return self.products[id]
        except KeyError:
            raise UnknownIdError("product", id) from None

    def module(self, id: str) -> Module:
        """The module *id*; :class:`UnknownIdError` when there is none."""
        try:
            return self.modules[id]
        except KeyError:
            raise UnknownIdError("module", id) from None

    def family(self, id: str) -> ProductFamily:
        """The family *id*; :class:`UnknownIdError` when there is none."""
        try:
            return self.families[id]
        except KeyError:
            raise UnknownIdError("family", id) from None

    def compatible_modules(self, product_id: str) -> tuple[Module, ...]:
        """The modules that can be attached to *product_id*, sorted by id."""
        try:
            return self._compatible[product_id]
        except KeyError:
            raise UnknownIdError("product", product_id) from None

    def products_of(self, family_id: str) -> tuple[Product, ...]:
        """The products of family *family_id*, sorted by id."""
        self.family(family_id)
        return tuple(
            sorted((p for p in self.products.values() if p.family == family_id), key=lambda p: p.id)
        )

    def __len__(self) -> int:
        return len(self.products)

    def __repr__(self) -> str:
        return (
            f"<Catalog families={sorted(self.families)} products={sorted(self.products)} "
            f"modules={sorted(self.modules)}>"
        )

    def __str__(self) -> str:
        return self.text()

    def text(self, language: str = "en") -> str:
        """The catalog as the command line lists it: per family, each product with its
        licence types, periods (in words, with how ``--period`` takes them), trial
        terms, management modes and modules (with the ids ``--module`` takes)."""
        t = language
        lines: list[str] = []
        for fam in sorted(self.families.values(), key=lambda f: f.id):
            lines.append(f"{fam.name} [{fam.id}]")
            for p in self.products_of(fam.id):
                lines.append(f"  {p.name} [{p.id}]")
                types = ", ".join(sorted(tr(x.value, t) for x in p.license_types))
                lines.append(f"    {tr('licence types', t)}: {types}")
                lines.append(f"    {tr('periods', t)}: {_periods(p, t)}")
                if LicenseType.TRIAL in p.license_types:
                    cap = p.trial_max_quantity
                    lines.append(
                        f"    {tr('trial', t)}: {unit(p.trial_days, 'day', t)}"
                        + (tr(", up to {cap} seats", t, cap=cap) if cap else "")
                        + tr(", cool-down {days}", t, days=unit(p.trial_cooldown_days, "day", t))
                    )
                    extension = (
                        tr(
                            "extended once by {days}",
                            t,
                            days=unit(p.trial_extension_days, "day", t),
                        )
                        if p.trial_extension_days
                        else tr("cannot be extended", t)
                    )
                    lines.append(f"    {tr('trial extension', t)}: {extension}")
                changes = ", ".join(sorted(p.changes_to)) or tr("none", t)
                lines.append(f"    {tr('changes to', t)}: {changes}")
                if p.grace_days:
                    lines.append(f"    {tr('grace period', t)}: {unit(p.grace_days, 'day', t)}")
                modes = ", ".join(sorted(tr(m.value, t) for m in p.management_modes))
                lines.append(f"    {tr('management', t)}: {modes}")
                for m in self._compatible[p.id]:
                    seats = (
                        tr("own seats", t)
                        if m.quantity_rule is QuantityRule.INDEPENDENT
                        else tr("the product's seats", t)
                    )
                    lines.append(f"    + {m.name} [{m.id}] ({seats})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        e = html.escape
        rows = []
        for p in sorted(self.products.values(), key=lambda p: (p.family, p.id)):
            mods = "<br>".join(
                e(f"{m.name} [{m.id}]")
                + (" (own seats)" if m.quantity_rule is QuantityRule.INDEPENDENT else "")
                for m in self._compatible[p.id]
            )
            periods = "<br>".join(e(x) for x in _period_texts(p))
            cells = [
                f"<td>{e(self.families[p.family].name)}</td>",
                f"<td>{e(f'{p.name} [{p.id}]')}</td>",
                f"<td>{e(_types(p))}</td>",
                f"<td>{periods}</td>",
                f"<td>{mods or '-'}</td>",
            ]
            rows.append("<tr>" + "".join(cells) + "</tr>")
        return styled(
            "<table><thead><tr><th>family</th><th>product</th><th>licence types</th>"
            "<th>periods (--period)</th><th>modules (--module)</th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table>"
        )


R = TypeVar("R", ProductFamily, Module, Product)


def _who(plugin: str | None, describe: Mapping[str, str]) -> str:
    return describe.get(plugin, f"plugin {plugin!r}") if plugin else "no plugin"


def _names(*plugins: str | None) -> tuple[str, ...]:
    return tuple(p for p in plugins if p)


_BUILTIN_PLUGIN = "cytolicense"


def _run_checks(
    checks: Sequence[tuple[str | None, CatalogCheck]],
    draft: CatalogDraft,
    sources: Mapping[str, str],
    describe: Mapping[str, str],
) -> None:
    """Run every catalog check; raise one :class:`CatalogError` listing every problem,
    each naming the plugin that declared the record (and the plugin whose check found
    it, for a vendor's check)."""
    found: list[tuple[CatalogProblem, str | None, str | None]] = []
    plugins: list[str | None] = []
    ids: list[str] = []
    for checker, check in checks:
        for problem in check(draft):
            declared = sources.get(problem.record)
            vendor = checker if checker is not None and checker != _BUILTIN_PLUGIN else None
            found.append(
                (
                    problem,
                    _who(declared, describe) if declared else None,
                    _who(vendor, describe) if vendor else None,
                )
            )
            plugins += [declared, vendor]
            ids += [problem.record, *problem.ids]
    if found:
        raise CatalogError(
            _problems_text(found, "en"),
            plugins=tuple(dict.fromkeys(_names(*plugins))),
            ids=tuple(dict.fromkeys(ids)),
            words=functools.partial(_problems_text, tuple(found)),
        )


def _problems_text(
    found: Sequence[tuple[CatalogProblem, str | None, str | None]], language: str
) -> str:
    texts = []
    for problem, declared, vendor in found:
        where = " " + tr("(declared by {who})", language, who=declared) if declared else ""
        by = " " + tr("(found by {who})", language, who=vendor) if vendor else ""
        kind = tr(problem.kind, language)
        texts.append(f"{kind} '{problem.record}'{where} {problem.text_in(language)}{by}")
    return "; ".join(texts)


def _unique(
    kind: str, entries: list[tuple[str | None, R]], describe: Mapping[str, str]
) -> dict[str, R]:
    found: dict[str, R] = {}
    origin: dict[str, str | None] = {}
    for plugin, record in entries:
        if record.id in found:
            first = origin[record.id]
            a, b = _who(first, describe), _who(plugin, describe)
            if first is None and plugin is None:
                error = said(
                    CatalogError, "{kind} id '{id}' declared twice", kind=kind, id=record.id
                )
            elif first == plugin:
                error = said(
                    CatalogError,
                    "{kind} id '{id}' declared twice by {who}",
                    kind=kind,
                    id=record.id,
                    who=b,
                )
            else:
                error = said(
                    CatalogError,
                    "{kind} id '{id}' declared twice: by {first} and by {second}",
                    kind=kind,
                    id=record.id,
                    first=a,
                    second=b,
                )
            error.plugins, error.ids = _names(first, plugin), (record.id,)
            raise error
        found[record.id] = record
        origin[record.id] = plugin
    return found


def _types(p: Product) -> str:
    return ", ".join(sorted(t.value for t in p.license_types))


def _period_texts(p: Product, language: str = "en") -> list[str]:
    enabled = set(p.enabled)
    return [
        f"{period_words(x, language)} ({x}"
        + ("" if x in enabled else tr("; sold, not enabled: warns", language))
        + ")"
        for x in p.periods
    ]


def _periods(p: Product, language: str = "en") -> str:
    return ", ".join(_period_texts(p, language))
