"""Today's engine gives the decisions recorded before the generated-check tier was
deleted (issue 50): a few thousand steps of random sessions, every operation type,
with and without a pool, with plugin rules written as a generator, as a list and as
a ``RuleSpec`` (see tests/_decisions.py, which recorded tests/data/decisions.json).
"""

from __future__ import annotations

import json

import pytest

from ._decisions import ENGINES, FIXTURE, replay

SESSIONS = json.loads(FIXTURE.read_text("utf-8"))["sessions"]


def test_the_fixture_covers_every_operation_and_engine() -> None:
    import cytolicense as cl

    kinds = {doc["type"] for s in SESSIONS for _, doc, _, _ in s["steps"] if doc}
    # Operations added after the recording (round 4) are tested on their own.
    later = {"SetGroup", "SetAutoRenew", "ScheduleChange"}
    assert kinds == {t.__name__ for t in cl.OPERATION_TYPES} - later
    assert {s["engine"] for s in SESSIONS} == set(ENGINES)
    assert {s["pooled"] for s in SESSIONS} == {True, False}
    assert sum(len(s["steps"]) for s in SESSIONS) >= 3000


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_the_engine_decides_as_recorded(name: str) -> None:
    engine = ENGINES[name]()
    played = 0
    for n, session in enumerate(SESSIONS):
        if session["engine"] != name:
            continue
        for i, recorded, now in replay(session, engine):
            assert now == recorded, (n, i, session["steps"][i][1])
            played += 1
    assert played
