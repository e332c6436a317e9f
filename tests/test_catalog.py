from __future__ import annotations

import importlib.metadata
import sys
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

import cytolicense as cl
from cytolicense import CatalogError, Module, Product, ProductFamily

from .conftest import TestCatalog


def plugin(name: str, **hooks: object) -> types.ModuleType:
    """A module plugin named *name* whose hooks return the given records."""
    mod = types.ModuleType(name)
    for hook, value in hooks.items():

        def impl(value: object = value) -> object:
            if isinstance(value, BaseException):
                raise value
            return value

        impl.__name__ = f"cytolicense_{hook}"
        setattr(mod, impl.__name__, cl.hookimpl(impl))
    return mod


FAM = ProductFamily(id="fam", name="Family")
MOD = Module(id="mod", name="Module")
PROD = Product(id="prod", name="Product", family="fam", modules=["mod"])


def test_loads_a_plugin_module(catalog: cl.Catalog) -> None:
    assert set(catalog.products) == {"edr", "epdr", "mailguard"}
    assert catalog.product("edr").name == "EDR"
    assert catalog.module("encryption").quantity_rule is cl.QuantityRule.INDEPENDENT
    assert catalog.family("mail").name == "Mail"
    assert [m.id for m in catalog.compatible_modules("epdr")] == ["encryption", "patch", "watch"]
    assert [p.id for p in catalog.products_of("endpoint")] == ["edr", "epdr"]
    assert catalog.sources["edr"] == "tests.test_catalog_plugin"
    assert len(catalog) == 3


def test_mappings_are_read_only(catalog: cl.Catalog) -> None:
    with pytest.raises(TypeError):
        catalog.products["x"] = PROD  # type: ignore[index]


@pytest.mark.parametrize("kind", ["product", "module", "family"])
def test_unknown_id(catalog: cl.Catalog, kind: str) -> None:
    with pytest.raises(cl.UnknownIdError) as info:
        getattr(catalog, kind)("nope")
    assert isinstance(info.value, KeyError) and isinstance(info.value, cl.CytolicenseError)
    assert info.value.kind == kind and info.value.id == "nope"
    assert str(info.value) == f"unknown {kind} id 'nope'"
    with pytest.raises(cl.UnknownIdError):
        catalog.compatible_modules("nope")


def test_repr_str_html(catalog: cl.Catalog) -> None:
    assert repr(catalog).startswith("<Catalog families=['endpoint', 'mail']")
    text = str(catalog)
    assert "EDR [edr]" in text and "+ Encryption [encryption] (own seats)" in text
    # Periods in words, with the form --period takes; modules with the ids --module takes.
    assert "periods: 1 month (1m; sold, not enabled: warns), 1 year (1y)" in text
    assert "+ Patch [patch] (the product's seats)" in text
    assert "trial: 30 days, up to 250 seats, cool-down 90 days" in text
    es = catalog.text("es")
    assert "periodos: 1 mes (1m; a la venta, no habilitado: avisa), 1 año (1y)" in es
    assert "prueba: 30 días, hasta 250 licencias, espera entre pruebas 90 días" in es
    assert "tipos de licencia: comercial, prueba" in es and "(licencias propias)" in es
    assert "<table>" in catalog._repr_html_() and "Mail Guard" in catalog._repr_html_()


def test_plugins_can_share_a_catalog() -> None:
    a = plugin("vendor_a", families=[FAM], modules=[MOD])
    b = plugin("vendor_b", products=[PROD])
    cat = cl.load_catalog(a, b, entry_points=False)
    assert cat.sources == {"fam": "vendor_a", "mod": "vendor_a", "prod": "vendor_b"}


def test_class_and_instance_plugins() -> None:
    class Fams:
        @staticmethod
        @cl.hookimpl
        def cytolicense_families() -> list[ProductFamily]:
            return [FAM]

    cat = cl.load_catalog(Fams, entry_points=False)
    assert "fam" in cat.families
    cat = cl.load_catalog(TestCatalog(), entry_points=False)
    assert "edr" in cat.products


@pytest.mark.parametrize(
    ("plugins", "match", "names", "ids"),
    [
        (
            [plugin("a", families=[FAM, FAM])],
            "family id 'fam' declared twice by plugin 'a'",
            ("a", "a"),
            ("fam",),
        ),
        (
            [plugin("a", families=[FAM]), plugin("b", families=[FAM])],
            "family id 'fam' declared twice: by plugin 'a' and by plugin 'b'",
            ("a", "b"),
            ("fam",),
        ),
        (
            [plugin("a", modules=[MOD]), plugin("b", modules=[MOD])],
            "module id 'mod' declared twice",
            ("a", "b"),
            ("mod",),
        ),
        (
            [plugin("a", families=[FAM], modules=[MOD], products=[PROD, PROD])],
            "product id 'prod' declared twice",
            ("a", "a"),
            ("prod",),
        ),
        (
            [plugin("a", modules=[MOD], products=[PROD])],
            "product 'prod' \\(declared by plugin 'a'\\) names unknown family 'fam'",
            ("a",),
            ("prod", "fam"),
        ),
        (
            [plugin("a", families=[FAM], products=[PROD])],
            "product 'prod' \\(declared by plugin 'a'\\) names unknown module\\(s\\) mod",
            ("a",),
            ("prod", "mod"),
        ),
        (
            [plugin("a", products=RuntimeError("db down"))],
            "plugin 'a': hook cytolicense_products failed: RuntimeError: db down",
            ("a",),
            (),
        ),
        (
            [plugin("a", families=None)],
            "plugin 'a': hook cytolicense_families failed: TypeError: expected an iterable",
            ("a",),
            (),
        ),
        (
            [plugin("a", families="fam")],
            "expected an iterable of records",
            ("a",),
            (),
        ),
        (
            [plugin("a", families=[MOD])],
            "plugin 'a': hook cytolicense_families returned Module\\(.*\\), which is not a "
            "ProductFamily",
            ("a",),
            (),
        ),
        (
            [plugin("a", rules=[42])],
            "hook cytolicense_rules returned 42, which is not callable",
            ("a",),
            (),
        ),
    ],
)
def test_catalog_errors(
    plugins: list[object], match: str, names: tuple[str, ...], ids: tuple[str, ...]
) -> None:
    with pytest.raises(CatalogError, match=match) as info:
        cl.load_catalog(*plugins, entry_points=False)
    assert info.value.plugins == names
    assert info.value.ids == ids


def test_failing_hook_is_chained() -> None:
    boom = RuntimeError("boom")
    with pytest.raises(CatalogError) as info:
        cl.load_catalog(plugin("a", modules=boom), entry_points=False)
    assert info.value.__cause__ is boom


def test_enabled_periods_not_sold_is_a_catalog_error() -> None:
    class Bad:
        __name__ = "bad_vendor"

        @cl.hookimpl
        def cytolicense_products(self) -> list[Product]:
            return [Product(id="p", name="P", family="f", periods=["1y"], enabled_periods=["2y"])]

    with pytest.raises(CatalogError, match="bad_vendor.*enabled_periods 2y are not sold") as info:
        cl.load_catalog(Bad(), entry_points=False)
    assert isinstance(info.value.__cause__, ValueError)


def test_plugin_without_hooks_is_refused() -> None:
    with pytest.raises(CatalogError, match="implements no cytolicense hook"):
        cl.load_catalog(types.ModuleType("empty"), entry_points=False)


def test_misspelled_hook_is_refused() -> None:
    mod = types.ModuleType("typo")

    @cl.hookimpl
    def cytolicense_product() -> list[Product]:
        return []

    mod.cytolicense_product = cytolicense_product  # type: ignore[attr-defined]
    with pytest.raises(CatalogError, match="'typo' is not a valid plugin.*unknown hook"):
        cl.load_catalog(mod, entry_points=False)


def test_same_plugin_twice_is_refused() -> None:
    p = plugin("twice", families=[FAM])
    with pytest.raises(CatalogError, match="registered twice"):
        cl.load_catalog(p, p, entry_points=False)


def test_catalog_constructor_checks_references() -> None:
    cat = cl.Catalog(families=[FAM], modules=[MOD], products=[PROD])
    assert cat.sources == {}
    with pytest.raises(CatalogError, match="names unknown family 'fam'"):
        cl.Catalog(products=[PROD])
    with pytest.raises(CatalogError, match="family id 'fam' declared twice$"):
        cl.Catalog(families=[FAM, FAM])


# -- entry points --------------------------------------------------------------------


def test_the_installed_cytomic_catalog_is_found(cytomic: cl.Catalog) -> None:
    assert {"cytomic-edr", "cytomic-epdr"} <= set(cytomic.products)
    assert cytomic.sources["cytomic-edr"] == "cytomic"


def make_distribution(root: Path, name: str, entry_points: dict[str, str]) -> None:
    """A real installed distribution: a .dist-info folder on sys.path."""
    info = root / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    lines = "\n".join(f"{k} = {v}" for k, v in entry_points.items())
    (info / "entry_points.txt").write_text(f"[cytolicense]\n{lines}\n")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("extra_vendor") or m == "broken_vendor"]:
        del sys.modules[name]


def test_entry_point_of_an_installed_distribution(site: Path) -> None:
    (site / "extra_vendor.py").write_text(
        textwrap.dedent(
            """
            import cytolicense as cl

            @cl.hookimpl
            def cytolicense_families():
                return [cl.ProductFamily(id="extra", name="Extra")]
            """
        )
    )
    make_distribution(site, "extra-vendor", {"extra": "extra_vendor"})
    cat = cl.load_catalog()
    assert "extra" in cat.families and "cytomic-edr" in cat.products
    assert cat.sources["extra"] == "extra"
    blocked = cl.load_catalog(environ={"CYTOLICENSE_DISABLE_PLUGINS": "extra"})
    assert "extra" not in blocked.families and "cytomic-edr" in blocked.products


def test_entry_point_that_fails_to_import(site: Path) -> None:
    (site / "broken_vendor.py").write_text("raise ImportError('needs libfoo')\n")
    make_distribution(site, "broken-vendor", {"broken": "broken_vendor"})
    with pytest.raises(
        CatalogError,
        match="Error importing plugin entry point 'broken' \\(broken-vendor 1.0\\): "
        "ImportError: needs libfoo",
    ) as info:
        cl.load_catalog()
    assert isinstance(info.value.__cause__, ImportError)
    assert info.value.plugins == ("broken",)
    # The off switches.
    assert (
        "cytomic-edr" in cl.load_catalog(environ={"CYTOLICENSE_DISABLE_PLUGINS": "broken"}).products
    )
    off = cl.load_catalog(TestCatalog(), environ={"CYTOLICENSE_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert set(off.products) == {"edr", "epdr", "mailguard"}
    assert cl.load_catalog(TestCatalog(), entry_points=False).products.keys() == off.products.keys()


def test_env_var_blocks_entry_points_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cl.DISABLE_PLUGINS_ENV, " cytomic , other")
    assert "cytomic-edr" not in cl.load_catalog(TestCatalog()).products
    monkeypatch.delenv(cl.DISABLE_PLUGINS_ENV)
    monkeypatch.setenv(cl.DISABLE_AUTOLOAD_ENV, "0")
    assert "cytomic-edr" in cl.load_catalog(TestCatalog()).products


def test_blocking_a_plugin_passed_in() -> None:
    cat = cl.load_catalog(
        TestCatalog(),
        plugin("a", families=[FAM]),
        environ={cl.DISABLE_PLUGINS_ENV: "a"},
        entry_points=False,
    )
    assert "fam" not in cat.families


def test_faked_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    """importlib.metadata faked the way pluggy's own tests do."""

    class EntryPoint:
        name = "fake"
        group = "cytolicense"

        def load(self) -> object:
            return plugin("fake_mod", families=[ProductFamily(id="faked", name="Faked")])

    class Dist:
        metadata = {"name": "fake-dist", "Name": "fake-dist"}
        version = "2.0"
        entry_points = [EntryPoint(), EntryPoint()]  # listed twice: loaded once

    def distributions() -> list[Dist]:
        return [Dist(), Dist()]  # the same distribution seen twice on sys.path

    monkeypatch.setattr(importlib.metadata, "distributions", distributions)
    cat = cl.load_catalog()
    assert set(cat.families) == {"faked"}
    assert cat.sources["faked"] == "fake"
    # Errors name an entry point by its name and distribution.
    clash = plugin("local_mod", families=[ProductFamily(id="faked", name="Again")])
    with pytest.raises(
        CatalogError,
        match="family id 'faked' declared twice: by plugin 'local_mod' and by entry point "
        "'fake' \\(fake-dist 2.0\\)",
    ):
        cl.load_catalog(clash)


# -- TOML catalogs ---------------------------------------------------------------------

GOOD_TOML = """
[[family]]
id = "f"
name = "F"

[[module]]
id = "enc"
name = "Enc"
quantity_rule = "independent"

[[product]]
id = "p"
name = "P"
family = "f"
modules = ["enc"]
periods = ["1y", "1m"]
enabled_periods = ["1y"]
"""


def test_toml_catalog(tmp_path: Path) -> None:
    path = tmp_path / "vendor.toml"
    path.write_text(GOOD_TOML)
    toml = cl.TomlCatalog(path)
    cat = cl.load_catalog(toml, entry_points=False)
    p = cat.product("p")
    assert p.periods == (cl.Period(months=1), cl.Period(years=1))
    assert p.enabled_periods == (cl.Period(years=1),)
    assert cat.module("enc").quantity_rule is cl.QuantityRule.INDEPENDENT
    assert repr(toml) == f"TomlCatalog({str(path)!r})"
    assert cat.sources["p"] == str(path)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[[family]\n", "vendor.toml: not valid TOML"),
        ("[[families]]\nid='x'\n", "vendor.toml: unknown table\\(s\\) families"),
        ("family = 3\n", "vendor.toml: family must be an array of tables"),
        (
            "[[family]]\nid='f'\nname='F'\ncolour='red'\n",
            "family\\[0\\] \\(id 'f'\\): unknown field",
        ),
        (
            GOOD_TOML.replace('periods = ["1y", "1m"]', 'periods = ["1y", "5x"]'),
            "vendor.toml: product\\[0\\] \\(id 'p'\\): Product.periods: not a period: '5x'",
        ),
        (
            GOOD_TOML.replace('quantity_rule = "independent"', 'quantity_rule = "shared"'),
            "module\\[0\\] \\(id 'enc'\\): Module.quantity_rule: 'shared' is not a QuantityRule",
        ),
        (
            GOOD_TOML.replace('id = "p"', "id = 7"),
            "product\\[0\\] \\(id 7\\): Product.id must be a str",
        ),
    ],
)
def test_toml_errors_name_file_and_field(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "vendor.toml"
    path.write_text(text)
    with pytest.raises(CatalogError, match=match):
        cl.load_catalog(cl.TomlCatalog(path, name="vendor.toml"), entry_points=False)


def test_toml_text_and_missing_file(tmp_path: Path) -> None:
    cat = cl.load_catalog(cl.TomlCatalog(GOOD_TOML, name="inline"), entry_points=False)
    assert cat.sources["p"] == "inline"
    with pytest.raises(CatalogError, match="cannot read catalog file"):
        cl.load_catalog(cl.TomlCatalog(tmp_path / "missing.toml"), entry_points=False)


class TrialsEverywhere:
    """A vendor's catalog check: every product sells a trial."""

    @staticmethod
    @cl.hookimpl
    def cytolicense_catalog_checks() -> list[cl.CatalogCheck]:
        def every_product_has_a_trial(draft: cl.CatalogDraft) -> Iterator[cl.CatalogProblem]:
            with pytest.raises(TypeError):
                draft.products["x"] = PROD  # type: ignore[index]
            for p in draft.products.values():
                if cl.LicenseType.TRIAL not in p.license_types:
                    yield cl.CatalogProblem(kind="product", record=p.id, text="sells no trial")

        return [every_product_has_a_trial]


def test_a_vendors_catalog_check_names_both_plugins() -> None:
    paid = Product(id="paid", name="Paid", family="fam", license_types=["commercial"])
    declaring = plugin("declaring", families=[FAM], modules=[MOD], products=[PROD, paid])
    with pytest.raises(CatalogError) as info:
        cl.load_catalog(declaring, TrialsEverywhere(), entry_points=False)
    checker = f"{__name__}.TrialsEverywhere"
    assert str(info.value) == (
        f"product 'paid' (declared by plugin 'declaring') sells no trial "
        f"(found by plugin '{checker}')"
    )
    assert info.value.plugins == ("declaring", checker)
    assert info.value.ids == ("paid",)
    # Without the vendor's check the same records load.
    assert "paid" in cl.load_catalog(declaring, entry_points=False).products


def test_every_catalog_problem_is_listed_at_once() -> None:
    lost = Product(id="lost", name="Lost", family="nope", modules=["ghost"], changes_to=["prod"])
    with pytest.raises(CatalogError) as info:
        cl.load_catalog(
            plugin("a", families=[FAM], modules=[MOD], products=[PROD, lost]), entry_points=False
        )
    problems = str(info.value).split("; ")
    assert [p.split(" (declared")[0] for p in problems] == ["product 'lost'"] * 3
    assert "names unknown family 'nope' (known: fam)" in problems[0]
    assert "may change to prod, which is not a product of its family 'nope'" in problems[1]
    assert "names unknown module(s) ghost (known: mod)" in problems[2]
    assert info.value.ids == ("lost", "nope", "prod", "ghost")
    assert info.value.message_in("es").split("; ")[0] == (
        "producto 'lost' (declarado por plugin 'a') nombra la familia desconocida 'nope' "
        "(existen: fam)"
    )
    twice = plugin("a", families=[FAM, FAM])
    with pytest.raises(CatalogError) as dup:
        cl.load_catalog(twice, entry_points=False)
    assert dup.value.message_in("es") == "id de familia 'fam' declarado dos veces por plugin 'a'"
    # Built from records (no plugins), the same built-in checks run.
    with pytest.raises(CatalogError, match="names unknown family 'nope'"):
        cl.Catalog(families=[FAM], modules=[MOD], products=[PROD, lost])


@pytest.mark.parametrize(
    ("returned", "match"),
    [
        (RuntimeError("no network"), "catalog check broken failed: RuntimeError: no network"),
        (
            "not a problem",
            "catalog check broken yielded 'not a problem', which is not a CatalogProblem",
        ),
    ],
)
def test_a_catalog_check_that_fails_names_its_plugin(returned: object, match: str) -> None:
    def broken(draft: cl.CatalogDraft) -> list[object]:
        if isinstance(returned, BaseException):
            raise returned
        return [returned]

    checks = plugin("checks", catalog_checks=[broken])
    with pytest.raises(CatalogError, match=f"plugin 'checks': {match}") as info:
        cl.load_catalog(TestCatalog(), checks, entry_points=False)
    assert info.value.plugins == ("checks",)
    with pytest.raises(CatalogError, match="returned 42, which is not callable"):
        cl.load_catalog(TestCatalog(), plugin("x", catalog_checks=[42]), entry_points=False)
