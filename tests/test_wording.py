"""Each operation family words its own events and operations; the views only look
them up (issue 50: adding an operation touches no view)."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

import cytolicense as cl
from cytolicense.core import _events
from cytolicense.core._messages import UI
from cytolicense.operations import _table
from cytolicense.operations._family import EventWords
from cytolicense.views import _history, _input
from cytolicense.views._history import describe_history

D = dt.date
VIEWS = Path(_history.__file__).parent
_RECORDS = {
    c
    for n, c in vars(_events).items()
    if isinstance(c, type) and c.__module__ == _events.__name__ and not n.startswith("_")
}


def test_every_declared_word_has_its_spanish() -> None:
    names = [w.name for f in _table.FAMILIES for w in f.words]
    said = [text for k in _table.KINDS.values() if k.words for text in k.words]
    assert len(names) >= 15 and len(said) >= 17
    assert not [t for t in names + said if t not in UI["es"]]


def test_the_families_word_each_event_once_and_only_events() -> None:
    worded = [w.type for f in _table.FAMILIES for w in f.words]
    assert len(worded) == len(set(worded)) == len(_table.EVENT_WORDS)
    assert set(worded) <= _RECORDS


def test_the_views_name_no_event_and_no_operation_kind() -> None:
    events = {c.__name__ for c in _RECORDS}
    kinds = set(_table.KINDS)
    for module in ("_history.py", "_input.py"):
        tree = ast.parse((VIEWS / module).read_text(encoding="utf-8"))
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
        texts = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
        assert not names & events, module
        assert not texts & kinds, module
        assert "isinstance" not in names, module


def _moved() -> list[cl.Event]:
    return [
        _events.ClientCreated(client_id="a", on=D(2026, 1, 1), name="A"),
        _events.ClientMoved(client_id="a", on=D(2026, 1, 2), group="g2", previous_group=""),
    ]


def test_an_event_no_family_words_shows_its_name_alone() -> None:
    assert _events.ClientMoved not in _table.EVENT_WORDS
    assert describe_history(_moved()) == ["2026-01-01  client added: A", "2026-01-02  ClientMoved"]


def test_the_history_says_what_the_family_declares(monkeypatch: pytest.MonkeyPatch) -> None:
    words = EventWords(
        _events.ClientMoved,
        "client moved",
        lambda before, e, lang: f"{before.group if before else '?'} -> {e.group} ({lang})",
    )
    monkeypatch.setitem(_table.EVENT_WORDS, _events.ClientMoved, words)
    assert describe_history(_moved(), "es")[-1] == "2026-01-02  client moved:  -> g2 (es)"
    monkeypatch.setitem(
        _table.EVENT_WORDS, _events.ClientMoved, EventWords(_events.ClientMoved, "moved")
    )
    assert describe_history(_moved())[-1] == "2026-01-02  moved"


def test_an_operation_no_family_words_has_plain_words() -> None:
    assert _input.refusal_header("renew") == "cannot renew the maintenance"
    assert _input.dry_run_said("renew") == "the maintenance can be renewed"
    assert _input.refusal_header("teleport") == "teleport refused"
    assert _input.dry_run_said("teleport") == "teleport can be done"
    assert set(_input.ACTIONS) <= set(_table.KINDS)
