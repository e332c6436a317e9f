"""json_schema: every document to_json writes validates; broken ones do not (R3 1/6)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cytolicense as cl
from cytolicense.store._serialize import SERIALIZABLE, to_data

from .test_operations import LifeCatalog, client, commercial, lifecycle_ops
from .test_serialize import _maintenances

jsonschema = pytest.importorskip("jsonschema")

D = dt.date
T0 = D(2026, 3, 1)
CONTRACT = [
    *(t.__name__ for t in cl.OPERATION_TYPES),
    *(t.__name__ for t in cl.EVENT_TYPES),
    "Client",
    "Maintenance",
    "Decision",
    "Finding",
    "Pool",
    "ProductOffer",
]


def validator(name: str) -> Any:
    return jsonschema.Draft202012Validator(cl.json_schema(name))


@pytest.mark.parametrize("name", sorted(SERIALIZABLE))
def test_every_schema_is_a_valid_draft_2020_12_schema(name: str) -> None:
    schema = cl.json_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["type"] == {"const": name}


def test_the_contracts_names_and_an_unknown_one() -> None:
    for name in CONTRACT:
        assert cl.json_schema(name)["title"] == name
    with pytest.raises(KeyError):
        cl.json_schema("Nope")
    # A copy each time: a caller's change does not leak into the next call.
    cl.json_schema("Client")["title"] = "changed"
    assert cl.json_schema("Client")["title"] == "Client"


def _session() -> list[Any]:
    """Every operation, event, change, decision, finding, pool and offer type."""
    engine = cl.Engine(cl.load_catalog(LifeCatalog(), entry_points=False))
    pool = cl.Pool((cl.PoolLine(item="edr", period="1y", seats=50),))
    c = client(engine)
    objs: list[Any] = [pool, *pool.lines, c, *engine.new_client("acme", "ACME", T0).events]
    ops = lifecycle_ops()
    for op, day in ops:
        objs += [op, engine.check(c, op, day, pool=pool)]
        objs += list(engine.offer(c, day, pool=pool))
        ch = engine.apply(c, op, day, pool=pool, actor="ops", reason="test")
        objs += [ch, *ch.events, *ch.pool_events, *ch.warnings, ch.client, *ch.client.maintenances]
        c, pool = ch.client, ch.pool or pool
    refused = engine.check(c, commercial(quantity=0, period="5y"), D(2026, 3, 9))
    objs += [refused, *refused.findings, cl.ClientRestored(client_id="acme", on=T0)]
    # Written by the day's run, not by an operation.
    end = T0 + dt.timedelta(days=30)
    objs += [
        cl.ExpiryNotice(
            client_id="acme", on=T0, maintenance_id="m1", days_before=30, expires_on=end
        )
    ]
    return objs


SESSION = _session()


def test_every_document_of_a_session_validates() -> None:
    seen = set()
    for obj in SESSION:
        name = type(obj).__name__
        doc = to_data(obj)
        errors = list(validator(name).iter_errors(doc))
        assert not errors, (name, [e.message for e in errors])
        seen.add(name)
    assert set(CONTRACT) <= seen, set(CONTRACT) - seen


@settings(max_examples=60, deadline=None)
@given(st.lists(_maintenances(), max_size=4, unique_by=lambda m: m.id))
def test_random_clients_validate(maintenances: list[cl.Maintenance]) -> None:
    created = min((m.starts_on for m in maintenances), default=D(2020, 1, 1))
    c = cl.Client(id="c", name="C", created_on=created, maintenances=tuple(maintenances))
    assert not list(validator("Client").iter_errors(to_data(c)))
    for m in maintenances:
        assert not list(validator("Maintenance").iter_errors(to_data(m)))


def _mutations(doc: dict[str, Any], schema: dict[str, Any]) -> list[tuple[str, Any]]:
    """Broken copies of *doc*: a field of the wrong JSON type, a required field
    missing, an unknown key, at the top of ``data`` and in the envelope."""
    out: list[tuple[str, Any]] = []
    data = doc["data"]
    ref = schema["properties"]["data"].get("$ref", "")
    fields = schema["$defs"][ref.rpartition("/")[2]] if ref else {}
    for key in fields.get("required", []):
        gone = copy.deepcopy(doc)
        del gone["data"][key]
        out.append((f"missing {key}", gone))
    for key, value in data.items():
        wrong = copy.deepcopy(doc)
        wrong["data"][key] = {"not": "this"} if not isinstance(value, dict) else [1]
        out.append((f"wrong type {key}", wrong))
    extra = copy.deepcopy(doc)
    extra["data"]["surprise"] = 1
    out.append(("extra key", extra))
    for key in ("cytolicense", "type", "data"):
        gone = copy.deepcopy(doc)
        del gone[key]
        out.append((f"envelope without {key}", gone))
    bad = copy.deepcopy(doc)
    bad["cytolicense"] = "2"
    out.append(("version as text", bad))
    return out


def test_broken_documents_do_not_validate() -> None:
    done = set()
    for obj in SESSION:
        name = type(obj).__name__
        if name in done:
            continue
        done.add(name)
        schema = cl.json_schema(name)
        check = jsonschema.Draft202012Validator(schema)
        for what, doc in _mutations(to_data(obj), schema):
            assert not check.is_valid(doc), (name, what)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("starts_on",), "2026-3-1"),
        (("period",), "one year"),
        (("license_type",), "free"),
        (("quantity",), 1.5),
        (("modules", 0, "surprise"), 1),
    ],
)
def test_formats_and_enums_are_checked(path: tuple[Any, ...], value: Any) -> None:
    m = next(o for o in SESSION if isinstance(o, cl.Maintenance) and o.modules)
    doc = to_data(m)
    node = doc["data"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert not validator("Maintenance").is_valid(doc)
