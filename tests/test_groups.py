"""Client groups: Client.group, SetGroup and ClientMoved, through the engine and the stores."""

from __future__ import annotations

import datetime as dt
import json

import jsonschema
import pytest

import cytolicense as cl
from cytolicense import ClientMoved, SetGroup

D = dt.date


@pytest.fixture(scope="module")
def engine() -> cl.Engine:
    return cl.Engine(cl.load_catalog())


def test_a_client_is_in_the_default_group(engine: cl.Engine) -> None:
    client = engine.new_client("c1", "C", D(2026, 1, 1)).client
    assert client.group == ""
    assert "group" not in json.loads(cl.to_json(client))["data"]  # documents as before


def test_set_group_moves_the_client_and_replays(engine: cl.Engine) -> None:
    created = engine.new_client("c1", "C", D(2026, 1, 1))
    change = engine.apply(
        created.client, SetGroup(group="north/retail"), D(2026, 1, 2), actor="ana"
    )
    assert change.client.group == "north/retail"
    (event,) = change.events
    assert isinstance(event, ClientMoved)
    assert (event.group, event.previous_group, event.actor) == ("north/retail", "", "ana")
    assert cl.replay([*created.events, *change.events]) == change.client
    assert change.client.last_change == D(2026, 1, 2)
    back = engine.apply(change.client, SetGroup(group=""), D(2026, 1, 3))
    assert back.events[0].previous_group == "north/retail" and back.client.group == ""
    for doc in (cl.to_json(change.client), cl.to_json(event), cl.to_json(SetGroup(group="a/b"))):
        data = json.loads(doc)
        jsonschema.validate(data, cl.json_schema(data["type"]))
        assert (
            cl.to_json(
                cl.from_json(
                    type(cl.from_json(cl.Event, doc))
                    if data["type"] == "ClientMoved"
                    else {"Client": cl.Client, "SetGroup": SetGroup}[data["type"]],
                    doc,
                )
            )
            == doc
        )


def test_set_group_is_dated_like_every_operation(engine: cl.Engine) -> None:
    client = engine.new_client("c1", "C", D(2026, 1, 5)).client
    decision = engine.check(client, SetGroup(group="x"), D(2026, 1, 1))
    assert "date.before_history" in [f.code for f in decision.errors]


@pytest.mark.parametrize("bad", ["a//b", "/a", "a/", " a", "a\nb"])
def test_a_group_is_names_joined_by_slashes(bad: str) -> None:
    with pytest.raises(ValueError):
        SetGroup(group=bad)
    with pytest.raises(ValueError):
        cl.Client(id="c", name="C", created_on=D(2026, 1, 1), group=bad)
    with pytest.raises(TypeError):
        SetGroup(group=3)  # type: ignore[arg-type]
