from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cytolicense as cl
from cytolicense.core._schema import OMIT
from cytolicense.core._validation import (
    non_empty_str,
    optional_period,
    positive_int,
    to_license_type,
)
from cytolicense.store._serialize import SERIALIZABLE

from .conftest import SOAK, request

D = dt.date
T0 = D(2024, 2, 29)


@pytest.fixture
def history(engine: cl.Engine) -> tuple[cl.Client, list[Any]]:
    ch = engine.new_client("acme", "ACME, S.L. — Ñandú", T0)
    objs: list[Any] = [ch, *ch.events]
    c = ch.client
    for step in (
        lambda c: engine.assign(
            c, request(modules={"encryption": 3, "patch": None}, period="1m"), T0
        ),
        lambda c: engine.modify(c, "m1", D(2024, 3, 1), quantity=12),
        lambda c: engine.set_management(c, "m1", "unmanaged", D(2024, 3, 2)),
        lambda c: engine.assign(
            c, request(product="epdr", license_type="trial", period=None), D(2024, 3, 3)
        ),
        lambda c: engine.delete_service(c, "m2", D(2024, 3, 4)),
        lambda c: engine.delete_client(c, D(2024, 3, 5)),
        lambda c: engine.assign(c, request(product="mailguard"), D(2024, 3, 6)),
    ):
        change = step(c)
        objs += [change, *change.events]
        c = change.client
    return c, objs


def test_every_record_and_event_round_trips(
    engine: cl.Engine, catalog: cl.Catalog, history: tuple[cl.Client, list[Any]]
) -> None:
    client, objs = history
    decision = engine.check(client, request(quantity=0, period="1m"), D(2024, 3, 6))
    objs += [
        client,
        *client.maintenances,
        *client.maintenances[0].modules,
        request(modules={"patch": None}),
        decision,
        *decision.findings,
        *catalog.products.values(),
        *catalog.modules.values(),
        *catalog.families.values(),
        cl.Period(years=2),
        cl.make_finding("v.x", None, {"a": [1, 2]}, messages={"en": "x", "es": "y"}),
    ]
    seen = set()
    for obj in objs:
        text = cl.to_json(obj)
        assert cl.from_json(type(obj), text) == obj
        seen.add(type(obj).__name__)
    v2 = {cls.__name__ for cls in (*cl.OPERATION_TYPES, cl.Pool, cl.PoolLine, cl.PoolChanged)}
    v2 |= {"Expiry", "MaintenanceRenewed", "ProductChanged", "TrialConverted"}
    v2 |= {"TrialExtended", "SetsGrouped", "SeatsAdded"}
    v2 |= {"ProductOffer", "ModuleOffer"}  # v3: tests/test_offer.py
    v2 |= {"ServiceSuspended", "ServiceResumed"}  # v3: test_operations.py, test_suspend.py
    v2 |= {"Grant", "Operator", "OperationRequest", "AuditEntry"}  # v4: test_access_records.py
    v2 |= {"ClientMoved"}  # v4: test_groups.py
    v2 |= {"AutoRenewChanged", "ChangeScheduled", "ScheduleCancelled"}  # v4: test_operations.py
    v2 |= {"SeatLot", "ScheduledChange", "DayRun"}  # v4: test_renewal_day.py
    v2 |= {"ExpiryNotice", "NoticeState"}  # v4: test_expiry_notices.py
    v2 |= {"FeedItem", "Webhook", "Delivery"}  # v4: test_feed.py, test_webhooks.py
    assert seen | v2 == set(SERIALIZABLE)  # the v2 records: test_operations.py


def test_document_shape(history: tuple[cl.Client, list[Any]]) -> None:
    client, _ = history
    doc = json.loads(cl.to_json(client))
    assert doc["cytolicense"] == cl.FORMAT_VERSION and doc["type"] == "Client"
    m1 = doc["data"]["maintenances"][0]
    assert m1["period"] == "1m" and m1["starts_on"] == "2024-02-29"
    assert m1["license_type"] == "commercial" and m1["management"] == "unmanaged"
    assert "_end" not in doc["data"]
    bare = json.dumps(doc["data"])
    assert cl.from_json(cl.Client, bare) == client  # a bare document is read too


def test_events_as_a_union(history: tuple[cl.Client, list[Any]]) -> None:
    _, objs = history
    for event in [o for o in objs if isinstance(o, cl.EVENT_TYPES)]:
        assert cl.from_json(cl.Event, cl.to_json(event)) == event  # type: ignore[arg-type]


def test_cannot_serialize_foreign_objects() -> None:
    with pytest.raises(TypeError, match="cannot serialize dict"):
        cl.to_json({})
    with pytest.raises(TypeError, match="cannot read <class 'dict'>"):
        cl.from_json(dict, "{}")


def client_doc() -> dict[str, Any]:
    return {
        "cytolicense": 1,
        "type": "Client",
        "data": {
            "id": "c",
            "name": "C",
            "created_on": "2026-01-01",
            "deleted_on": None,
            "maintenances": [
                {
                    "id": "m1",
                    "product": "edr",
                    "license_type": "commercial",
                    "quantity": 5,
                    "period": "1y",
                    "starts_on": "2026-01-01",
                    "expires_on": "2027-01-01",
                    "management": "centralized",
                    "deleted_on": None,
                    "modules": [
                        {
                            "module": "patch",
                            "quantity": 5,
                            "starts_on": "2026-01-01",
                            "expires_on": "2027-01-01",
                        }
                    ],
                }
            ],
        },
    }


def test_the_reference_document_reads() -> None:
    c = cl.from_json(cl.Client, json.dumps(client_doc()))
    assert c.maintenances[0].modules[0].module == "patch"


def broken(path: tuple[Any, ...], value: Any) -> str:
    doc = client_doc()
    node: Any = doc
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return json.dumps(doc)


M = ("data", "maintenances", 0)


@pytest.mark.parametrize(
    ("text", "path", "reason"),
    [
        ("{not json", "$", "not JSON"),
        ("[]", "$", ""),
        (broken(("cytolicense",), 99), "$.cytolicense", "unsupported format version 99"),
        (broken(("cytolicense",), 2.0), "$.cytolicense", "unsupported format version 2.0"),
        (broken(("cytolicense",), True), "$.cytolicense", "unsupported format version True"),
        (broken(("type",), "Maintenance"), "$.type", "expected type Client"),
        (broken(("data", "created_on"), "2026-02-30"), "$.data.created_on", "day is out of range"),
        (broken(("data", "created_on"), "01/02/2026"), "$.data.created_on", "ISO date"),
        (broken(("data", "created_on"), 20260101), "$.data.created_on", "ISO date"),
        (broken(("data", "name"), KeyError), "$.data.name", "required field missing"),
        (broken(("data", "name"), 5), "$.data.name", "expected str"),
        (broken((*M, "quantity"), "5"), "$.data.maintenances[0].quantity", "expected int"),
        (broken((*M, "quantity"), 5.0), "$.data.maintenances[0].quantity", "expected int"),
        (broken((*M, "quantity"), True), "$.data.maintenances[0].quantity", "expected int"),
        (
            broken((*M, "license_type"), "rental"),
            "$.data.maintenances[0].license_type",
            "LicenseType",
        ),
        (broken((*M, "period"), "forever"), "$.data.maintenances[0].period", "not a period"),
        (
            broken((*M, "modules", 0, "quantity"), None),
            "$.data.maintenances[0].modules[0].quantity",
            "expected int",
        ),
        (broken((*M, "extra"), 1), "$.data.maintenances[0]", "extra"),
        (broken((*M, "expires_on"), "2025-01-01"), "$.data.maintenances[0]", "before starts_on"),
        (broken((*M, "quantity"), 0), "$.data.maintenances[0]", "Maintenance.quantity"),
        (broken(("data", "maintenances"), {"a": 1}), "$.data.maintenances", ""),
    ],
)
def test_bad_input_names_the_path(text: str, path: str, reason: str) -> None:
    with pytest.raises(cl.DataError) as info:
        cl.from_json(cl.Client, text)
    assert info.value.path == path, str(info.value)
    assert reason in str(info.value)
    assert isinstance(info.value, ValueError)


def test_from_json_refuses_non_text() -> None:
    with pytest.raises(cl.DataError, match="expected JSON text"):
        cl.from_json(cl.Client, None)  # type: ignore[arg-type]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)


@st.composite
def mutations(draw: st.DrawFn) -> str:
    def mutate(doc: Any, data: st.DrawFn) -> Any:
        if isinstance(doc, dict) and doc:
            key = data(st.sampled_from(sorted(doc)))
            action = data(st.sampled_from(["drop", "replace", "recurse", "add"]))
            if action == "drop":
                return {k: v for k, v in doc.items() if k != key}
            if action == "add":
                return {**doc, data(st.sampled_from(["extra", key + "_", "x"])): data(json_values)}
            if action == "replace":
                return {**doc, key: data(json_values)}
            return {**doc, key: mutate(doc[key], data)}
        if isinstance(doc, list) and doc:
            i = data(st.integers(0, len(doc) - 1))
            return [*doc[:i], mutate(doc[i], data), *doc[i + 1 :]]
        return data(json_values)

    return json.dumps(mutate(client_doc(), draw))


FUZZ = 10_000 if SOAK else 300


@settings(max_examples=FUZZ)
@given(st.one_of(mutations(), json_values.map(json.dumps), st.text(max_size=40)))
def test_from_json_raises_only_data_error(text: str) -> None:
    try:
        result = cl.from_json(cl.Client, text)
    except cl.DataError as exc:
        assert exc.path.startswith("$")
    else:
        assert cl.from_json(cl.Client, cl.to_json(result)) == result


ids = st.text("abcdefghijklmnopqrstuvwxyz-0123456789", min_size=1, max_size=12)
periods = (
    st.tuples(st.integers(0, 4), st.integers(0, 13))
    .filter(lambda t: t != (0, 0))
    .map(lambda t: cl.Period(years=t[0], months=t[1]))
)


@st.composite
def products(draw: st.DrawFn) -> cl.Product:
    sold = draw(st.lists(periods, min_size=1, max_size=4, unique=True))
    enabled = draw(st.one_of(st.none(), st.lists(st.sampled_from(sold), unique=True)))
    trial_cap = draw(st.one_of(st.none(), st.integers(1, 500)))
    return cl.Product(
        id=draw(ids),
        name=draw(
            st.text(st.characters(blacklist_categories=("Cc", "Cf", "Cs")), min_size=1).filter(
                str.strip
            )
        ),
        family=draw(ids),
        modules=draw(st.frozensets(ids, max_size=4)),
        periods=sold,
        enabled_periods=enabled,
        license_types=draw(st.sampled_from([["trial"], ["commercial"], ["trial", "commercial"]])),
        trial_days=draw(st.integers(1, 90)),
        trial_max_quantity=trial_cap,
        trial_cooldown_days=draw(st.integers(0, 365)),
        management_modes=draw(
            st.sampled_from([["centralized"], ["unmanaged"], ["centralized", "unmanaged"]])
        ),
        max_quantity=draw(st.one_of(st.none(), st.integers(trial_cap or 1, 100_000))),
    )


@given(products())
def test_any_product_round_trips(product: cl.Product) -> None:
    assert cl.from_json(cl.Product, cl.to_json(product)) == product


@given(st.builds(cl.Module, id=ids, name=ids, quantity_rule=st.sampled_from(list(cl.QuantityRule))))
def test_any_module_round_trips(module: cl.Module) -> None:
    assert cl.from_json(cl.Module, cl.to_json(module)) == module


def _maintenances() -> st.SearchStrategy[cl.Maintenance]:
    days = st.dates(D(2020, 1, 1), D(2030, 1, 1))

    @st.composite
    def build(draw: st.DrawFn) -> cl.Maintenance:
        start = draw(days)
        end = start + dt.timedelta(days=draw(st.integers(0, 1000)))
        trial = draw(st.booleans())
        optional = st.one_of(st.none(), st.just(end))
        seats = draw(st.integers(1, 50))
        return cl.Maintenance(
            id=draw(st.sampled_from(["m1", "m2", "m3"])),
            product=draw(st.sampled_from(["edr", "epdr", "gone"])),
            license_type="trial" if trial else "commercial",
            quantity=seats,
            period=None if trial else draw(st.sampled_from(["1m", "1y", "2y", "1y6m"])),
            starts_on=start,
            expires_on=end,
            management=draw(st.sampled_from(list(cl.ManagementMode))),
            modules=tuple(
                cl.ModuleLicense(module=m, quantity=seats, starts_on=start, expires_on=end)
                for m in draw(st.lists(st.sampled_from(["enc", "patch"]), unique=True))
            ),
            deleted_on=draw(optional),
            grace_days=0 if trial else draw(st.integers(0, 30)),
            extended_on=draw(optional) if trial else None,
            pooled=tuple(
                cl.PoolLine(item=i, period=p, seats=n)
                for i, p, n in draw(
                    st.lists(
                        st.tuples(
                            st.sampled_from(["edr", "enc"]), st.just("1y"), st.integers(1, 9)
                        ),
                        max_size=2,
                        unique_by=lambda x: x[0],
                    )
                )
            ),
        )

    return build()


@given(st.lists(_maintenances(), max_size=4, unique_by=lambda m: m.id), st.booleans())
def test_the_stores_client_documents_equal_the_converters(
    maintenances: list[cl.Maintenance], named: bool
) -> None:
    """The store writes client documents without the converter (client_data): the
    same data, so documents read back the same whichever path wrote them."""
    from cytolicense.store._serialize import client_data, to_data

    created = min((m.starts_on for m in maintenances), default=D(2020, 1, 1))
    bare = cl.Client(id="c", name="C", created_on=created, maintenances=tuple(maintenances))
    client = cl.Client(
        id="c",
        name="Ñandú" if named else "C",
        created_on=created,
        maintenances=tuple(maintenances),
        # Never before the last day the records carry (R3 0/6 item 9).
        changed_on=bare.last_event_day() if named else None,
    )
    assert client_data(client) == to_data(client)
    assert cl.from_json(cl.Client, json.dumps(client_data(client))) == client
    # msgspec (the fast extra) writes the store's text: the standard encoder's text.
    from cytolicense.store._rows import dumps

    assert dumps(client) == json.dumps(to_data(client), ensure_ascii=False, separators=(",", ":"))


# -- the fast reader of client documents is held to the converter ------------------------

_NEAR_VALUES = (
    None,
    True,
    0,
    1,
    5,
    6,
    -1,
    "",
    " ",
    "m1",
    "m2",
    "c",
    "edr",
    "enc",
    "a\nb",
    "trial",
    "commercial",
    "unmanaged",
    "1y",
    "0y",
    "1y6m",
    " 1y",
    "2020-01-01",
    "2021-06-30",
    "2019-12-31",
    "2020-02-30",
    "2020-1-01",
    "2020-01-01\n",
    "２０２０-01-01",
    "\ud800",
    "0001-01-01",
    "9999-12-31",
    [],
    {},
)


def _v2_client(maintenances: list[cl.Maintenance]) -> dict[str, Any]:
    from cytolicense.store._serialize import to_data

    created = min((m.starts_on for m in maintenances), default=D(2020, 1, 1))
    client = cl.Client(
        id="c", name="C", created_on=created, maintenances=tuple(maintenances), changed_on=None
    )
    return to_data(client)["data"]


@st.composite
def near_documents(draw: st.DrawFn) -> Any:
    """A valid version-2 client document with one to three fields set to values that
    are almost right (a day that does not exist, a period of 0 years, a blank id...),
    dropped, or joined by an unknown field."""
    doc = _v2_client(draw(st.lists(_maintenances(), max_size=3, unique_by=lambda m: m.id)))

    def mutate(node: Any) -> Any:
        if isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node)))
            action = draw(st.sampled_from(["replace", "replace", "recurse", "drop", "add"]))
            if action == "drop":
                return {k: v for k, v in node.items() if k != key}
            if action == "add":
                return {**node, "extra": 1}
            if action == "recurse" and isinstance(node[key], dict | list) and node[key]:
                return {**node, key: mutate(node[key])}
            return {**node, key: draw(st.sampled_from(_NEAR_VALUES))}
        if isinstance(node, list) and node:
            i = draw(st.integers(0, len(node) - 1))
            if draw(st.booleans()):
                return [*node, node[i]]  # a line or a module listed twice
            return [*node[:i], mutate(node[i]), *node[i + 1 :]]
        return draw(st.sampled_from(_NEAR_VALUES))

    for _ in range(draw(st.integers(0, 3))):
        doc = mutate(doc)
    return doc


@settings(max_examples=FUZZ * 3)
@given(near_documents())
def test_the_fast_reader_accepts_only_what_the_converter_accepts(data: Any) -> None:
    """read_client checks documents inline and gives up (None) at anything unusual;
    whatever it accepts, the converter accepts as an equal client with the same kept
    days, so the converter alone decides every error message."""
    _assert_reader_agrees(data)


@given(st.lists(_maintenances(), max_size=4, unique_by=lambda m: m.id))
def test_the_fast_reader_reads_every_valid_document(maintenances: list[cl.Maintenance]) -> None:
    from cytolicense.store._documents import read_client
    from cytolicense.store._serialize import converter

    data = json.loads(json.dumps(_v2_client(maintenances)))
    assert read_client(data) == converter().structure(data, cl.Client)
    assert read_client(data) is not None


def _assert_reader_agrees(data: Any) -> None:
    """The fast reader accepts only what the converter accepts, as an equal client."""
    from cytolicense.store._documents import read_client
    from cytolicense.store._serialize import converter

    readers = (read_client(data),)
    try:
        strict = converter().structure(data, cl.Client)
    except Exception:
        assert readers == (None,), data
        return
    for fast in readers:
        if fast is not None:
            assert fast == strict, data
            assert fast.changed_on == strict.changed_on
            assert (fast.ended_on, fast._commercial_ends) == (
                strict.ended_on,
                strict._commercial_ends,
            )
            for a, b in zip(fast.maintenances, strict.maintenances, strict=True):
                assert (a._until, a._ended) == (b._until, b._ended)


def _reference_v2() -> dict[str, Any]:
    start, end = D(2020, 1, 1), D(2021, 1, 1)
    lines = (
        cl.Maintenance(
            id="m1",
            product="edr",
            license_type="commercial",
            quantity=5,
            period="1y",
            starts_on=start,
            expires_on=end,
            management="centralized",
            modules=(
                cl.ModuleLicense(module="enc", quantity=2, starts_on=start, expires_on=end),
                cl.ModuleLicense(module="patch", quantity=5, starts_on=start, expires_on=end),
            ),
            grace_days=5,
            pooled=(cl.PoolLine(item="edr", period="1y", seats=5),),
            replaced_on=D(2020, 6, 30),
            replaced_by="m2",
        ),
        cl.Maintenance(
            id="m2",
            product="edr",
            license_type="trial",
            quantity=6,
            period=None,
            starts_on=D(2020, 6, 30),
            expires_on=D(2020, 7, 30),
            management="unmanaged",
            deleted_on=D(2020, 7, 1),
            extended_on=D(2020, 7, 1),
        ),
    )
    return _v2_client(list(lines))


_REFERENCE_V2 = _reference_v2()


def _single_mutations(node: Any) -> Any:
    """Every document one change away from *node*: each leaf (and each object and
    array) replaced by each near value, each field dropped, an unknown field added to
    each object, each array item repeated."""
    yield node
    if isinstance(node, dict):
        for key, value in node.items():
            yield {k: v for k, v in node.items() if k != key}
            for changed in _single_mutations(value):
                yield {**node, key: changed}
            for near in _NEAR_VALUES:
                yield {**node, key: near}
        yield {**node, "extra": None}
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield [*node, value]
            for changed in _single_mutations(value):
                yield [*node[:i], changed, *node[i + 1 :]]


def test_the_fast_reader_agrees_with_the_converter_one_change_away() -> None:
    """Every document one change away from a reference that has every kind of field
    (modules, a pool line, grace, a replacement, a deleted extended trial): the reader
    accepts exactly what the converter accepts, as the same client, or gives up."""
    from cytolicense.store._documents import read_client

    assert read_client(_REFERENCE_V2) is not None
    count = 0
    for doc in _single_mutations(_REFERENCE_V2):
        _assert_reader_agrees(doc)
        count += 1
    assert count > 1_500


@pytest.mark.parametrize("version", [2.0, True, "2", 3, 0])
def test_a_valid_client_in_an_envelope_of_another_version_is_refused(version: object) -> None:
    """from_json reads this version's client envelopes with the fast reader; a version
    that only compares equal (2.0) or is not this release's goes the strict way."""
    good = {"cytolicense": 2, "type": "Client", "data": _REFERENCE_V2}
    assert cl.from_json(cl.Client, json.dumps(good)) is not None
    with pytest.raises(cl.DataError, match="unsupported format version") as info:
        cl.from_json(cl.Client, json.dumps({**good, "cytolicense": version}))
    assert info.value.path == "$.cytolicense"


# -- the optional accelerator (msgspec) ------------------------------------------------------


def _json(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    )


_NO_FLOATS = _json(st.none() | st.booleans() | st.integers() | st.text())
_JSON = _json(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text())
_ODD_TEXTS = [
    "NaN",
    "-Infinity",
    "1e400",
    "-0",
    "-0.0",
    '"\\ud800"',
    '"\\ud83d\\ude00"',
    '{"a": 1, "a": 2}',
    "[1,]",
    "\ufeff[]",
    " [1] ",
    "[" * 5_000 + "]" * 5_000,
    "1" * 4_300,
    "1" * 4_301,
    '"\u0000"',
    "",
]


def _same_or_same_error(text: str | bytes) -> None:
    from cytolicense.store._serialize import loads

    try:
        expected: Any = json.loads(text)
    except Exception as exc:
        with pytest.raises(type(exc)):
            loads(text)
        return
    got = loads(text)
    # repr: NaN-free, so equal values print alike, and -0.0 differs from 0 and 0.0
    assert repr(got) == repr(expected)


@given(_NO_FLOATS)
def test_compact_writes_the_standard_encoders_text(value: Any) -> None:
    """The stores' documents hold no floats; for everything else, msgspec's text (the
    fast extra) is the standard encoder's, or the standard encoder writes it."""
    from cytolicense.store._serialize import compact

    standard = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert compact(value) == standard


@pytest.mark.parametrize(
    "value",
    ["\ud800", '\x00\x1f\x7f\u2028\u2029é\U0001f600"\\/', 2**64, -(2**63) - 1, 10**400],
)
def test_compact_writes_the_standard_encoders_text_on_odd_values(value: Any) -> None:
    from cytolicense.store._serialize import compact

    doc = {"a": [value, {"b": value}]}
    assert compact(doc) == json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


@given(_JSON, st.sampled_from([True, False]), st.sampled_from(["str", "utf-8", "utf-16"]))
def test_loads_gives_json_loads_value(value: Any, ascii_only: bool, form: str) -> None:
    """loads parses with msgspec when installed, and gives json.loads's value or error
    for any text, whatever msgspec thinks of it."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    _same_or_same_error(text if form == "str" else text.encode(form, "surrogatepass"))


@pytest.mark.parametrize("text", _ODD_TEXTS)
def test_loads_gives_json_loads_value_on_odd_texts(text: str) -> None:
    _same_or_same_error(text)
    _same_or_same_error(text.encode("utf-8", "surrogatepass"))


def test_everything_reads_the_same_without_msgspec(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, engine: cl.Engine
) -> None:
    """The accelerator is optional: without it (as on an install without the ``fast``
    extra) from_json and the store read the same clients and say the same errors."""
    from cytolicense.store import _serialize

    assert _serialize._fast is not None  # the suite has it
    text = json.dumps({"cytolicense": 2, "type": "Client", "data": _REFERENCE_V2})
    bad = text.replace('"quantity": 5', '"quantity": 0', 1)
    with_it = cl.from_json(cl.Client, text)
    with pytest.raises(cl.DataError) as error_with:
        cl.from_json(cl.Client, bad)
    created = engine.new_client("acme", "ACME", T0)
    assigned = engine.assign(created.client, request(), T0)
    with cl.Store(tmp_path / "s.db", "p") as store:
        store.save(attrs.evolve(assigned, events=created.events + assigned.events), None)
        stored_with = store.get("acme")
        monkeypatch.setattr(_serialize, "_fast", None)
        assert cl.from_json(cl.Client, text) == with_it
        with pytest.raises(cl.DataError) as error_without:
            cl.from_json(cl.Client, bad)
        assert (error_without.value.path, str(error_without.value)) == (
            error_with.value.path,
            str(error_with.value),
        )
        assert store.get("acme") == stored_with


# -- one schema: a record's fields are all the documents know of it ------------------------


@attrs.frozen(kw_only=True)
class _Gadget:
    """A record the library does not have: its reader and writer come from its fields."""

    name: str = attrs.field(validator=non_empty_str)
    seats: int = attrs.field(validator=positive_int)
    day: dt.date
    period: cl.Period | None = attrs.field(default=None, converter=optional_period)
    kind: cl.LicenseType = attrs.field(converter=to_license_type)
    lines: tuple[cl.ModuleLicense, ...] = ()
    days: tuple[dt.date, ...] = ()
    note: str | None = attrs.field(default=None, metadata=OMIT)


def test_a_new_records_fields_are_read_and_written_from_its_declaration() -> None:
    """A field is declared once, on its record: the generated writer writes what the
    converter writes (an omit_if_default field only when set), and the generated reader
    reads it back equal, refusing (for the converter to word) what the field refuses."""
    from cytolicense.store._documents import reader, writer
    from cytolicense.store._serialize import converter

    line = cl.ModuleLicense("patch", 3, D(2020, 1, 1), D(2021, 1, 1))
    for note in (None, "hello"):
        gadget = _Gadget(
            name="g",
            seats=2,
            day=D(2020, 5, 1),
            kind="trial",
            lines=(line,),
            days=(D(2020, 1, 2), D(2020, 1, 3)),
            note=note,
        )
        write, read = writer(_Gadget), reader(_Gadget)
        assert write is not None
        data = write(gadget)
        assert data == converter().unstructure(gadget)
        assert ("note" in data) is (note is not None)
        assert read(json.loads(json.dumps(data))) == gadget
    for wrong in (
        {"seats": 0},
        {"name": " "},
        {"day": "2020-02-30"},
        {"days": ["2020-01-02", 5]},
        {"days": "2020-01-02"},
        {"extra": 1},
    ):
        with pytest.raises(Exception):  # noqa: B017 - the converter words it
            read({**data, **wrong})


def test_a_record_with_a_field_the_generator_does_not_read_goes_to_the_converter() -> None:
    """A field of a type store/_documents.py has no code for (a mapping, a set) makes
    no error when the reader is asked for: its reader hands every document to the
    converter, and its writer is None (the converter writes it)."""
    from cytolicense.store._documents import reader, writer

    @attrs.frozen
    class Tagged:
        tags: frozenset[str]

    with pytest.raises(Exception):  # noqa: B017 - the converter reads it instead
        reader(Tagged)({"tags": ["a"]})
    assert writer(Tagged) is None


def test_every_declared_pass_and_keep_is_true_only_where_the_function_agrees() -> None:
    """passes/keeps (core/_schema.py) let the generated readers skip a call: each
    declared expression must be true only of values its validator accepts, or its
    converter returns as they are. Checked over values near every declaration's edge."""
    from types import SimpleNamespace

    import cytolicense.store._documents  # noqa: F401 - imports every declaring module
    from cytolicense.core._schema import KEEPS, PASSES

    line = cl.ModuleLicense("patch", 3, D(2020, 1, 1), D(2021, 1, 1))
    other = cl.ModuleLicense("alpha", 3, D(2020, 1, 1), D(2021, 1, 1))
    samples: list[Any] = [
        None, True, False, 0, 1, -1, 10**9, 10**9 + 1, 2.0, "", " ", "a", "a\nb",
        "\u200b", "\ud800", "x" * 3, D(2020, 1, 1), dt.datetime(2020, 1, 1),
        cl.Period.parse("1y"), "1y", cl.LicenseType.TRIAL, "trial",
        cl.ManagementMode.CENTRALIZED, "centralized", (), [], (line,), (other, line),
        [line], (1,),
    ]  # fmt: skip
    field = SimpleNamespace(name="f")
    for validator, (expression, names) in PASSES.items():
        for value in samples:
            if eval(expression.format(v="v"), {**names}, {"v": value}):
                validator(SimpleNamespace(), field, value)  # must not raise
    for converter, (expression, names) in KEEPS.items():
        for value in samples:
            if eval(expression.format(v="v"), {**names}, {"v": value}):
                assert converter(value) == value, (converter, value)
    assert len(PASSES) >= 7 and len(KEEPS) >= 9
