"""What the add-product dialog may offer one client on one day (``Engine.offer``).

Records only: :meth:`cytolicense.Engine.offer` builds them from the rules themselves
(each licence type's minimal request checked), so an offer never says something the
engine would refuse.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

import attrs

from ..core._enums import LicenseType, ManagementMode, QuantityRule
from ..core._findings import Finding
from ..core._html import html_table, styled
from ..core._messages import period_words
from ..core._period import Period
from ._text import clean, tr

__all__ = ["ModuleOffer", "ProductOffer", "offers_text"]


@attrs.frozen(kw_only=True, slots=True)
class ModuleOffer:
    """A module the dialog may add to the product.

    Attributes:
        module: The module id.
        name: Its name.
        quantity_rule: ``LINKED`` (the product's seats) or ``INDEPENDENT`` (its own
            count, as Cytomic Encryption).
    """

    module: str
    name: str
    quantity_rule: QuantityRule


def _refusals(
    value: Mapping[LicenseType, Iterable[Finding]],
) -> Mapping[LicenseType, tuple[Finding, ...]]:
    return MappingProxyType(
        {LicenseType(k): tuple(v) for k, v in sorted(value.items(), key=lambda kv: kv[0].value)}
    )


@attrs.frozen(kw_only=True, slots=True)
class ProductOffer:
    """One product of the add-product dialog, as the engine answers it for a client
    on a day.

    Attributes:
        product: The product id.
        name: Its name.
        family: Its family id.
        license_types: The licence types this client may get today.
        periods: The periods sold (commercial).
        enabled_periods: Those the vendor enables; the others warn
            (``period.not_enabled``).
        modules: The compatible modules that may be added, catalog order.
        management_modes: The management models it may be given.
        max_quantity: The most seats of a commercial licence (``None``: no cap).
        trial_max_quantity: The most seats of a trial (``None``: no cap).
        trial_days: How long a trial lasts.
        refusals: For every licence type the product sells and this client may not
            get today, the error findings of its minimal request (why not).
    """

    product: str
    name: str
    family: str
    license_types: frozenset[LicenseType]
    periods: tuple[Period, ...]
    enabled_periods: tuple[Period, ...]
    modules: tuple[ModuleOffer, ...]
    management_modes: frozenset[ManagementMode]
    max_quantity: int | None
    trial_max_quantity: int | None
    trial_days: int
    refusals: Mapping[LicenseType, tuple[Finding, ...]] = attrs.field(
        factory=dict, converter=_refusals, eq=attrs.cmp_using(eq=lambda a, b: dict(a) == dict(b))
    )

    @property
    def offered(self) -> bool:
        """Whether the client may get the product today with any licence type."""
        return bool(self.license_types)

    def text(self, language: str = "en") -> str:
        """The offer as lines a person reads, in *language*."""
        t = language
        out = [f"{clean(self.name)} [{clean(self.product)}]"]
        for lt in sorted(self.license_types | frozenset(self.refusals), key=lambda x: x.value):
            if lt in self.license_types:
                out.append(f"  {tr(lt.value, t)}: {tr('may be assigned', t)}")
            else:
                out.append(f"  {tr(lt.value, t)}: {tr('not now', t)}")
                out.extend(f"    [{f.code}] {clean(f.message_in(t))}" for f in self.refusals[lt])
        if LicenseType.COMMERCIAL in self.license_types:
            enabled = set(self.enabled_periods)
            periods = ", ".join(
                period_words(p, t) + ("" if p in enabled else " (" + tr("warns", t) + ")")
                for p in self.periods
            )
            cap = self.max_quantity
            out.append(f"  {tr('periods', t)}: {periods}")
            out.append(
                f"  {tr('seats', t)}: 1.." + (str(cap) if cap is not None else tr("no cap", t))
            )
        if LicenseType.TRIAL in self.license_types:
            cap = self.trial_max_quantity
            out.append(
                f"  {tr('trial', t)}: {self.trial_days} {tr('days', t)}"
                + (tr(", up to {cap} seats", t, cap=cap) if cap else "")
            )
        if self.modules:
            mods = ", ".join(
                clean(m.name)
                + (
                    f" ({tr('own seats', t)})"
                    if m.quantity_rule is QuantityRule.INDEPENDENT
                    else ""
                )
                for m in self.modules
            )
            out.append(f"  {tr('modules', t)}: {mods}")
        modes = ", ".join(sorted(tr(m.value, t) for m in self.management_modes))
        out.append(f"  {tr('management', t)}: {modes}")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        rows = []
        for lt in sorted(self.license_types | frozenset(self.refusals), key=lambda x: x.value):
            why = "; ".join(f"[{f.code}] {f.message}" for f in self.refusals.get(lt, ()))
            rows.append((lt.value, "yes" if lt in self.license_types else "no", why or "-"))
        head = html_table(("licence type", "may be assigned", "why not"), rows)
        facts = html_table(
            ("periods (enabled)", "modules", "management", "seats"),
            [
                (
                    ", ".join(
                        f"{p}{'' if p in self.enabled_periods else ' (warns)'}"
                        for p in self.periods
                    ),
                    ", ".join(m.name for m in self.modules) or "-",
                    ", ".join(sorted(m.value for m in self.management_modes)),
                    f"1..{self.max_quantity}" if self.max_quantity else "1..",
                )
            ],
        )
        import html

        return styled(
            f"<div><strong>{html.escape(self.name)}</strong> "
            f"[{html.escape(self.product)}]{head}{facts}</div>"
        )


def offers_text(offers: Iterable[ProductOffer], language: str = "en") -> str:
    """Every offer's :meth:`ProductOffer.text`, a blank line between them."""
    texts = [o.text(language) for o in offers]
    return "\n\n".join(texts) if texts else tr("no product is sold on this day", language)
