from __future__ import annotations

import contextlib
import datetime as dt
import re
import string
from collections.abc import Iterable

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cytolicense as cl
from cytolicense import Severity
from cytolicense.core._messages import VALUES
from cytolicense.rules._builtin import messages_table

from .conftest import TestCatalog, request

EN, ES = messages_table("en"), messages_table("es")

D = dt.date
TODAY = D(2026, 11, 27)


def fresh(engine: cl.Engine, today: dt.date = TODAY) -> cl.Client:
    return engine.create_client("acme", "ACME", today)


def codes(decision: cl.Decision) -> list[str]:
    return [f.code for f in decision.findings]


def test_a_plain_request_is_ok(engine: cl.Engine) -> None:
    d = engine.check(fresh(engine), request(modules={"encryption": 5, "patch": None}), TODAY)
    assert d.ok and bool(d) and d.findings == () and str(d) == "ok"


# -- every finding code, each from one wrong field ---------------------------------------

SINGLE = [
    ({"product": "nope"}, "product.unknown", "product", {"product": "nope"}),
    (
        {"product": "mailguard", "license_type": "trial", "period": None},
        "license_type.not_offered",
        "license_type",
        {"offered": ("commercial",)},
    ),
    ({"quantity": 0}, "quantity.invalid", "quantity", {"reason": "below_minimum"}),
    (
        {"product": "epdr", "quantity": 1001},
        "quantity.invalid",
        "quantity",
        {"reason": "above_maximum", "maximum": 1000},
    ),
    ({"period": None}, "period.required", "period", {"allowed": ("1m", "1y", "2y", "3y")}),
    ({"period": "5y"}, "period.invalid", "period", {"period": "5y"}),
    ({"period": "1m"}, "period.not_enabled", "period", {"enabled": ("1y", "2y", "3y")}),
    ({"license_type": "trial"}, "period.not_applicable", "period", {"trial_days": 30}),
    (
        {"license_type": "trial", "period": None, "quantity": 251},
        "trial.quantity_exceeded",
        "quantity",
        {"maximum": 250},
    ),
    ({"modules": {"ghost": None}}, "module.unknown", "modules.ghost", {"module": "ghost"}),
    (
        {"modules": {"watch": None}},
        "module.incompatible",
        "modules.watch",
        {"compatible": ("encryption", "patch")},
    ),
    (
        {"modules": {"patch": 3}},
        "module.quantity_fixed",
        "modules.patch",
        {"quantity": 3, "product_quantity": 10},
    ),
    ({"modules": {"encryption": None}}, "module.quantity_required", "modules.encryption", {}),
    (
        {"modules": {"encryption": 11}},
        "module.quantity_invalid",
        "modules.encryption",
        {"quantity": 11},
    ),
    (
        {"modules": {"encryption": 0}},
        "module.quantity_invalid",
        "modules.encryption",
        {"quantity": 0},
    ),
    (
        {"product": "mailguard", "management": "unmanaged"},
        "management.unsupported",
        "management",
        {"supported": ("centralized",)},
    ),
]


@pytest.mark.parametrize(("change", "code", "field", "params"), SINGLE)
def test_each_wrong_field_yields_its_code(
    engine: cl.Engine, change: dict[str, object], code: str, field: str, params: dict[str, object]
) -> None:
    d = engine.check(fresh(engine), request(**change), TODAY)
    assert codes(d) == [code]
    (f,) = d.findings
    assert f.field == field
    for key, value in params.items():
        assert f.params[key] == value
    assert f.severity is (Severity.WARNING if code == "period.not_enabled" else Severity.ERROR)
    assert d.ok is (code == "period.not_enabled")
    assert f.message == f.message_in("en") and f.message_in("es") != f.message


def test_linked_module_with_the_products_quantity_is_fine(engine: cl.Engine) -> None:
    assert engine.check(fresh(engine), request(modules={"patch": 10}), TODAY).ok


def with_mail(engine: cl.Engine) -> cl.Client:
    """A client kept visible for three years by a commercial product of another family."""
    return engine.assign(fresh(engine), request(product="mailguard", period="1y"), TODAY).client


def test_trial_rules(engine: cl.Engine) -> None:
    c = with_mail(engine)
    trial = request(license_type="trial", period=None, quantity=250)
    assert engine.check(c, trial, TODAY).ok
    c = engine.assign(c, trial, TODAY).client
    d = engine.check(c, trial, TODAY + dt.timedelta(days=5))
    assert codes(d) == ["trial.already_used"]
    assert d.findings[0].params["reason"] == "active"
    assert "until 2026-12-26" in d.findings[0].message
    # The 30-day trial's last day is day 30; cool-down of 90 days from that date.
    end = D(2026, 12, 26)
    d = engine.check(c, trial, end + dt.timedelta(days=89))
    assert codes(d) == ["trial.already_used"]
    assert d.findings[0].params["available_on"] == "2027-03-26"
    assert engine.check(c, trial, end + dt.timedelta(days=90)).ok
    # Another product's trial is not affected, nor a commercial licence of it.
    assert engine.check(c, request(product="epdr", license_type="trial", period=None), TODAY).ok
    assert engine.check(c, request(), TODAY).ok


def test_cooldown_outlasts_an_idle_client(engine: cl.Engine) -> None:
    """With nothing else active, the client leaves the console when the cool-down ends."""
    trial = request(license_type="trial", period=None)
    c = engine.assign(fresh(engine), trial, TODAY).client
    assert codes(engine.check(c, trial, D(2027, 3, 26))) == ["client.not_visible"]


def test_trial_cooldown_counts_from_deletion(engine: cl.Engine) -> None:
    c = with_mail(engine)
    trial = request(license_type="trial", period=None)
    ch = engine.assign(c, trial, TODAY)
    assert ch.maintenance is not None
    c = engine.delete_service(ch.client, ch.maintenance.id, D(2026, 12, 1)).client
    assert codes(engine.check(c, trial, D(2027, 2, 28))) == ["trial.already_used"]
    assert engine.check(c, trial, D(2027, 3, 1)).ok


def test_family_rule(engine: cl.Engine) -> None:
    c = engine.assign(fresh(engine), request(), TODAY).client
    d = engine.check(c, request(product="epdr"), TODAY)
    assert codes(d) == ["family.already_assigned"]
    assert d.findings[0].params == {
        "family": "endpoint",
        "product": "epdr",
        "existing_product": "edr",
        "maintenance": "m1",
    }
    # Same product again: another licence set, allowed (C10, contract v2); another
    # family is fine; a trial may coexist.
    assert engine.check(c, request(), TODAY).ok
    assert engine.check(c, request(product="mailguard"), TODAY).ok
    assert engine.check(c, request(license_type="trial", period=None), TODAY).ok
    # Once the commercial one expires, the family is free again.
    assert engine.check(c, request(product="epdr"), D(2027, 11, 28)).ok
    assert not engine.check(c, request(product="epdr"), D(2027, 11, 27)).ok


def test_client_not_visible(engine: cl.Engine) -> None:
    c = fresh(engine, D(2026, 1, 1))
    d = engine.check(c, request(), D(2026, 3, 31))  # day 89
    assert d.ok
    d = engine.check(c, request(), D(2026, 4, 1))  # day 90
    assert codes(d) == ["client.not_visible"]
    assert d.findings[0].field is None
    assert d.findings[0].params == {
        "client": "acme",
        "ended_on": "2026-01-01",
        "reason": "never_served",  # worded for what happened (R2 8/8)
    }
    assert "never had a service" in d.findings[0].message


def test_all_findings_at_once(engine: cl.Engine) -> None:
    c = fresh(engine, D(2025, 1, 1))
    r = cl.AssignmentRequest(
        product="edr",
        license_type="trial",
        quantity=300,
        period="1y",
        modules={"ghost": None, "watch": None, "encryption": None, "patch": 2},
    )
    assert codes(engine.check(c, r, TODAY)) == [
        "client.not_visible",
        "period.not_applicable",
        "trial.quantity_exceeded",
        "module.quantity_required",
        "module.unknown",
        "module.quantity_fixed",
        "module.incompatible",
    ]


def test_unknown_product_still_checks_other_fields(engine: cl.Engine) -> None:
    r = cl.AssignmentRequest(
        product="nope",
        license_type="commercial",
        quantity=0,
        modules={"ghost": None, "encryption": 5, "patch": 3},
    )
    assert codes(engine.check(fresh(engine), r, TODAY)) == [
        "product.unknown",
        "quantity.invalid",
        "module.quantity_invalid",
        "module.unknown",
        "module.quantity_fixed",
    ]


def test_partner_enabled_periods(catalog: cl.Catalog) -> None:
    engine = cl.Engine(catalog, enabled_periods={"edr": ["1y"], "epdr": [cl.Period(years=3)]})
    c = engine.create_client("a", "A", TODAY)
    d = engine.check(c, request(period="2y"), TODAY)
    assert codes(d) == ["period.not_enabled"] and d.ok
    assert d.findings[0].params["enabled"] == ("1y",)
    assert engine.check(c, request(period="1y"), TODAY).findings == ()
    assert codes(engine.check(c, request(product="epdr", period="1y"), TODAY)) == [
        "period.not_enabled"
    ]
    with pytest.raises(cl.UnknownIdError):
        cl.Engine(catalog, enabled_periods={"nope": ["1y"]})
    with pytest.raises(ValueError, match="not a period"):
        cl.Engine(catalog, enabled_periods={"edr": ["forever"]})
    with pytest.raises(TypeError, match="Catalog"):
        cl.Engine({})  # type: ignore[arg-type]


# -- messages -----------------------------------------------------------------------------


def test_every_code_has_english_and_spanish() -> None:
    for table in (EN, ES):
        assert {k.split("#")[0] for k in table} == set(cl.CODES)
    assert set(EN) == set(ES)
    for key in EN:
        fields_en = set(re.findall(r"{(\w+)}", EN[key]))
        fields_es = set(re.findall(r"{(\w+)}", ES[key]))
        assert fields_en == fields_es, key
    assert set(VALUES["es"]) >= {
        m.value for e in (cl.LicenseType, cl.ManagementMode, cl.Status) for m in e
    }


def test_spanish_messages(engine: cl.Engine) -> None:
    d = engine.check(fresh(engine), request(period="1m", modules={"encryption": 11}), TODAY)
    es = d.messages("es")
    assert es == [
        "El periodo 1m no está habilitado por el fabricante para su uso con 'edr' "
        "(habilitados: 1y, 2y, 3y); la asignación se realiza igualmente.",
        "Las licencias del módulo 'encryption' deben ir de 1 a las 10 del producto; "
        "se han indicado 11.",
    ]
    assert d.findings[0].message_in("es-ES") == es[0]
    assert d.findings[0].message_in("fr") == d.findings[0].message
    unmanaged = engine.check(
        fresh(engine), request(product="mailguard", management="unmanaged"), TODAY
    )
    assert "la gestión sin gestión centralizada" in unmanaged.findings[0].message_in("es")


def test_records_are_hashable(engine: cl.Engine) -> None:
    r = request(period="1m", quantity=0, modules={"patch": 3})
    d = engine.check(fresh(engine), r, TODAY)
    assert len({d, engine.check(fresh(engine), r, TODAY)}) == 1
    assert len(set(d.findings)) == 3
    assert len({r, request(period="1m", quantity=0, modules={"patch": 3})}) == 1


def test_decision_views(engine: cl.Engine) -> None:
    d = engine.check(fresh(engine), request(period="1m", quantity=0), TODAY)
    assert d.codes == ("quantity.invalid", "period.not_enabled")
    assert [f.code for f in d.errors] == ["quantity.invalid"]
    assert [f.is_error for f in d.findings] == [True, False]
    assert [f.code for f in d.warnings] == ["period.not_enabled"]
    assert not d.ok
    assert str(d).startswith("refused\n  error [quantity.invalid]")
    html = d._repr_html_()
    assert "refused" in html and "<code>period.not_enabled</code>" in html
    ok = engine.check(fresh(engine), request(period="1m"), TODAY)
    assert str(ok).startswith("ok with warnings")


def test_make_finding_for_plugin_codes() -> None:
    f = cl.make_finding(
        "vendor.limit",
        "quantity",
        {"quantity": 5, "allowed": ["a", "b"]},
        messages={"en": "No {quantity} ({allowed}).", "es": "No {quantity} ({allowed})."},
    )
    assert f.message == "No 5 (a, b)." and f.message_in("es") == "No 5 (a, b)."
    assert f.params["allowed"] == ("a", "b")
    with pytest.raises(ValueError, match="English"):
        cl.make_finding("x", None, {}, messages={"es": "x"})
    with pytest.raises(TypeError, match="Finding.params"):
        cl.Finding(code="x", severity="error", field=None, message="m", params=[1])  # type: ignore[arg-type]


# -- plugin rules -----------------------------------------------------------------------


class VendorRule:
    __name__ = "vendor_rules"

    @cl.hookimpl
    def cytolicense_rules(self) -> list[cl.Rule]:
        def no_unmanaged_trials(ctx: cl.RuleContext) -> Iterable[cl.Finding]:
            r = ctx.request
            if (
                r.license_type is cl.LicenseType.TRIAL
                and r.management is cl.ManagementMode.UNMANAGED
            ):
                yield cl.make_finding(
                    "vendor.trial_unmanaged",
                    "management",
                    {"product": r.product},
                    messages={
                        "en": "Trials of {product} must be managed.",
                        "es": "Las pruebas de {product} deben gestionarse.",
                    },
                )

        return [no_unmanaged_trials]


def test_plugin_rule_adds_findings() -> None:
    catalog = cl.load_catalog(TestCatalog(), VendorRule(), entry_points=False)
    engine = cl.Engine(catalog)
    c = engine.create_client("a", "A", TODAY)
    d = engine.check(c, request(license_type="trial", period=None, management="unmanaged"), TODAY)
    assert codes(d) == ["vendor.trial_unmanaged"]
    assert d.findings[0].message_in("es") == "Las pruebas de edr deben gestionarse."
    assert engine.check(c, request(), TODAY).ok


def test_engine_rules_argument(catalog: cl.Catalog) -> None:
    def cap(ctx: cl.RuleContext) -> list[cl.Finding]:
        assert ctx.operation in ("assign", "modify") and ctx.catalog is catalog
        if ctx.request.quantity > 50:
            return [cl.make_finding("partner.cap", "quantity", {}, messages={"en": "cap"})]
        return []

    engine = cl.Engine(catalog, rules=[cap])
    c = engine.create_client("a", "A", TODAY)
    assert codes(engine.check(c, request(quantity=51), TODAY)) == ["partner.cap"]
    with pytest.raises(TypeError, match="callables"):
        cl.Engine(catalog, rules=[42])


def test_a_plugin_rule_that_raises_is_an_error_naming_the_plugin() -> None:
    class Broken:
        __name__ = "broken_rules"

        @cl.hookimpl
        def cytolicense_rules(self) -> list[cl.Rule]:
            def explode(ctx: cl.RuleContext) -> list[cl.Finding]:
                raise ZeroDivisionError("oops")

            def wrong(ctx: cl.RuleContext) -> list[object]:
                return ["not a finding"]

            return [explode] if ctx_flag["explode"] else [wrong]  # type: ignore[list-item]

    ctx_flag = {"explode": True}
    engine = cl.Engine(cl.load_catalog(TestCatalog(), Broken(), entry_points=False))
    c = engine.create_client("a", "A", TODAY)
    with pytest.raises(cl.PluginRuleError, match="of plugin 'broken_rules' failed") as info:
        engine.check(c, request(), TODAY)
    assert info.value.plugin == "broken_rules" and "explode" in info.value.rule
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    ctx_flag["explode"] = False
    engine = cl.Engine(cl.load_catalog(TestCatalog(), Broken(), entry_points=False))
    with pytest.raises(cl.PluginRuleError, match="not a Finding"):
        engine.check(c, request(), TODAY)


@pytest.mark.parametrize("usual", [True, False], ids=["usual client", "refused client"])
def test_a_rule_without_a_usual_case_runs_alike_whether_or_not_the_others_hold(
    usual: bool,
) -> None:
    """A check skips the built-in rules whose usual case holds but always runs a rule
    that declares none: its findings come after the built-in ones, a tuple answer is
    taken as findings, its error is named, and an interrupt goes on as it is."""
    answer: dict[str, object] = {}

    def vendor(ctx: cl.RuleContext) -> object:
        what = answer["what"]
        if isinstance(what, BaseException):
            raise what
        return what

    engine = cl.Engine(cl.load_catalog(TestCatalog(), entry_points=False), rules=[vendor])
    c = engine.create_client("a", "A", TODAY)
    req = request() if usual else request(quantity=0)
    builtin = [] if usual else ["quantity.invalid"]
    own = cl.make_finding("vendor.note", "quantity", {}, messages={"en": "note"})
    answer["what"] = (own,)
    assert codes(engine.check(c, req, TODAY)) == [*builtin, "vendor.note"]
    answer["what"] = []
    assert codes(engine.check(c, req, TODAY)) == builtin
    answer["what"] = None
    with pytest.raises(cl.PluginRuleError, match="vendor") as info:
        engine.check(c, req, TODAY)
    assert isinstance(info.value.__cause__, TypeError)
    answer["what"] = ValueError("vendor down")
    with pytest.raises(cl.PluginRuleError, match="vendor down"):
        engine.check(c, req, TODAY)
    answer["what"] = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        engine.check(c, req, TODAY)


# -- properties ----------------------------------------------------------------------------

PRODUCTS = st.sampled_from(["edr", "epdr", "mailguard", "nope"])
MODULES = st.sampled_from(["encryption", "patch", "watch", "ghost"])
PERIODS = st.one_of(st.none(), st.sampled_from(["1m", "1y", "2y", "3y", "5y", "6m"]))
requests = st.builds(
    cl.AssignmentRequest,
    product=PRODUCTS,
    license_type=st.sampled_from(list(cl.LicenseType)),
    quantity=st.integers(-5, 1500),
    period=PERIODS,
    modules=st.dictionaries(MODULES, st.one_of(st.none(), st.integers(-2, 1500)), max_size=4),
    management=st.sampled_from(list(cl.ManagementMode)),
)
days = st.dates(D(2024, 1, 1), D(2030, 12, 31))


@st.composite
def clients(draw: st.DrawFn) -> tuple[cl.Client, dt.date]:
    engine = cl.Engine(cl.load_catalog(TestCatalog(), entry_points=False))
    day = draw(days)
    client = engine.create_client("c", draw(st.text(string.ascii_letters, min_size=1)), day)
    for _ in range(draw(st.integers(0, 4))):
        day += dt.timedelta(days=draw(st.integers(0, 400)))
        with contextlib.suppress(cl.RuleViolation):
            client = engine.assign(client, draw(requests), day).client
        if draw(st.booleans()) and client.maintenances:
            with contextlib.suppress(cl.RuleViolation):
                client = engine.delete_service(client, client.maintenances[-1].id, day).client
    return client, day + dt.timedelta(days=draw(st.integers(0, 200)))


@given(clients(), requests)
def test_check_never_raises_and_ok_means_no_error(
    state: tuple[cl.Client, dt.date], req: cl.AssignmentRequest
) -> None:
    engine = cl.Engine(cl.load_catalog(TestCatalog(), entry_points=False))
    client, today = state
    d = engine.check(client, req, today)
    assert d.ok == (not any(f.severity is Severity.ERROR for f in d.findings))
    assert all(f.code in cl.CODES for f in d.findings)
    assert [f for f in d.findings if f.severity is Severity.WARNING] == [
        f for f in d.findings if f.code == "period.not_enabled"
    ]
    # The decision does not depend on the order of the modules.
    reordered = cl.AssignmentRequest(
        product=req.product,
        license_type=req.license_type,
        quantity=req.quantity,
        period=req.period,
        modules=dict(reversed(list(req.modules.items()))),
        management=req.management,
    )
    assert engine.check(client, reordered, today) == d
    # check has no side effects: the same answer twice.
    assert engine.check(client, req, today) == d


@given(st.data())
def test_each_single_wrong_field_yields_its_code(data: st.DataObject) -> None:
    engine = cl.Engine(cl.load_catalog(TestCatalog(), entry_points=False))
    change, code, _, _ = data.draw(st.sampled_from(SINGLE))
    today = data.draw(days)
    client = engine.create_client("c", "C", today)
    assert codes(engine.check(client, request(**change), today)) == [code]


def test_unknown_ids_list_the_known_ones_and_suggest_a_close_one(engine: cl.Engine) -> None:
    d = engine.check(fresh(engine), request(product="epdrr", modules={"pach": None}), TODAY)
    product, module = d.findings
    assert product.params["suggestion"] == "epdr" and product.params["known"][0] == "edr"
    assert "did you mean 'epdr'?" in product.message
    assert "¿quería decir 'epdr'?" in product.message_in("es")
    assert module.params["suggestion"] == "patch"
    far = engine.check(fresh(engine), request(product="zzz"), TODAY).findings[0]
    assert "suggestion" not in far.params and "known: edr, epdr, mailguard" in far.message


@pytest.mark.parametrize(
    ("item", "seats", "modules", "field"),
    [
        ("edr", 9, {}, "quantity"),  # the product's own seats
        ("patch", 9, {"patch": None}, "modules.patch"),  # a linked module: the product's
        ("encryption", 4, {"encryption": 5}, "modules.encryption"),  # its own seats
    ],
)
def test_the_pool_rule_finds_each_item_it_takes_short(
    engine: cl.Engine, item: str, seats: int, modules: dict[str, int | None], field: str
) -> None:
    """The pool rule reads each item the request takes, the product and every module,
    with the seats each takes: one seat short of any of them is a finding."""
    pool = cl.Pool((cl.PoolLine(item=item, period="1y", seats=seats),))
    req = request(modules=modules)
    d = engine.check(fresh(engine), req, TODAY, pool=pool)
    assert [(f.code, f.field) for f in d.findings] == [("pool.insufficient", field)]
    enough = cl.Pool((cl.PoolLine(item=item, period="1y", seats=seats + 1),))
    assert engine.check(fresh(engine), req, TODAY, pool=enough).findings == ()


def test_rules_are_selected_once_per_product_not_per_typo() -> None:
    """The engine keeps one tuple of rules per (operation, product, licence type, pool
    or not): an unknown product's checks share one."""
    engine = cl.Engine(cl.load_catalog(TestCatalog(), entry_points=False))
    c = engine.create_client("a", "A", TODAY)
    for i in range(50):
        assert codes(engine.check(c, request(product=f"typo{i}"), TODAY)) == ["product.unknown"]
    assert engine.check(c, request(), TODAY).ok
    assert sorted(k[1] or "" for k in engine._cache) == ["", "edr"]


_names = st.sampled_from(["a", "module", "license_type", "n", "x1"])
_literals = st.text(alphabet="ab %s(){}'-", max_size=6).map(
    lambda t: t.replace("{", "{{").replace("}", "}}")
)
_values = st.one_of(
    st.text(alphabet="ab%c", max_size=3),
    st.integers(-(10**20), 10**20),
    st.none(),
    st.booleans(),
    st.tuples(st.text(alphabet="ab", max_size=2), st.text(alphabet="ab", max_size=2)),
    st.sampled_from(["centralized", "commercial", "trial"]),
)


@given(
    st.lists(st.tuples(_literals, st.one_of(st.none(), _names)), max_size=4),
    st.dictionaries(_names, _values),
    st.sampled_from(["", "!r", ":>3"]),
    st.sampled_from(["en", "es", "xx"]),
)
def test_a_message_is_format_map_of_its_params_as_written(
    parts: list[tuple[str, str | None]],
    params: dict[str, object],
    spec: str,
    language: str,
) -> None:
    """render() fills a template with the usual params as they are (a plain str or
    int; no copy) and every other value as _text writes it (tuples joined, None as a
    dash, values translated): what format_map gives for any literal (% and doubled
    braces included), any params, and fields with a spec or a conversion."""
    from cytolicense.core import _messages

    template = "".join(
        lit + ("" if name is None else "{" + name + spec + "}") for lit, name in parts
    )
    values = _messages.VALUES.get(language, {})
    written = {  # a plain str or int as it is, the rest as _text writes it
        k: v
        if (type(v) is str and k not in _messages.LOCALIZED_PARAMS)
        or (type(v) is int and abs(v) < 10**18)
        else _messages._text(k, v, values)
        for k, v in params.items()
    }
    try:
        expected: str | type[Exception] = template.format_map(written)
    except (KeyError, ValueError) as exc:
        expected = type(exc)
    try:
        got: str | type[Exception] = _messages.render(template, params, language)
    except (KeyError, ValueError) as exc:
        got = type(exc)
    assert got == expected
