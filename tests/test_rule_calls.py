"""Rules are plain functions, called (CONTRACT v4, change 1): each applicable rule is
called exactly once per ``check`` and once per ``apply`` (which decides once), a
refusal included, whatever its style (a generator, a list, a ``RuleSpec``); a rule
reads the module state it sees when it is called."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import cytolicense as cl

from .conftest import TestCatalog

TODAY = dt.date(2026, 11, 27)
CAP = cl.CodeSpec(code="vendor.cap", messages={"en": "More than {max} seats."})
LIMIT = 10  # a module-level setting a rule reads at each call
CALLS: list[str] = []


def as_generator(ctx: cl.RuleContext) -> Iterator[cl.Finding]:
    CALLS.append(ctx.operation)
    if ctx.request is not None and ctx.request.quantity > LIMIT:
        yield CAP.finding("quantity", {"max": LIMIT})


def as_list(ctx: cl.RuleContext) -> list[cl.Finding]:
    CALLS.append(ctx.operation)
    if ctx.request is not None and ctx.request.quantity > LIMIT:
        return [CAP.finding("quantity", {"max": LIMIT})]
    return []


def as_tuple(ctx: cl.RuleContext) -> tuple[cl.Finding, ...]:
    CALLS.append(ctx.operation)
    if ctx.request is not None and ctx.request.quantity > LIMIT:
        return (CAP.finding("quantity", {"max": LIMIT}),)
    return ()


STYLES: dict[str, Callable[[], Any]] = {
    "generator": lambda: as_generator,
    "list": lambda: as_list,
    "tuple": lambda: as_tuple,
    "RuleSpec": lambda: cl.RuleSpec(check=as_generator, codes=(CAP,)),
    "RuleSpec, every operation": lambda: cl.RuleSpec(
        check=as_list, operations={"assign", "modify", "renew", "delete_service"}, codes=(CAP,)
    ),
}


class Plugged:
    __name__ = "tests.rule_calls"

    def __init__(self, rule: Any) -> None:
        self.rule = rule

    @cl.hookimpl
    def cytolicense_rules(self) -> list[Any]:
        return [self.rule]


def engines(rule: Any) -> list[cl.Engine]:
    """The rule given to the engine, and from a catalog plugin."""
    catalog = cl.load_catalog(TestCatalog(), entry_points=False)
    plugged = cl.load_catalog(TestCatalog(), Plugged(rule), entry_points=False)
    return [cl.Engine(catalog, rules=[rule]), cl.Engine(plugged)]


def request(quantity: int = 5, **kw: Any) -> cl.AssignmentRequest:
    return cl.AssignmentRequest(
        product="edr", license_type="commercial", quantity=quantity, period="1y", **kw
    )


@pytest.fixture(autouse=True)
def _calls() -> Iterator[None]:
    CALLS.clear()
    yield
    CALLS.clear()


@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize("pool", [False, True])
def test_each_rule_is_called_once_per_check_and_once_per_apply(style: str, pool: bool) -> None:
    stock = cl.Pool((cl.PoolLine(item="edr", period="1y", seats=100),)) if pool else None
    for engine in engines(STYLES[style]()):
        client = engine.create_client("a", "A", TODAY)
        for req, ok in [
            (request(5), True),  # finds nothing
            (request(50), False),  # the rule refuses it
            (request(5, modules={"ghost": None}), False),  # a built-in rule refuses it
            (request(0), False),  # both
        ]:
            CALLS.clear()
            decision = engine.check(client, req, TODAY, pool=stock)
            assert decision.ok is ok and CALLS == ["assign"], (style, req)
            CALLS.clear()
            if ok:
                client = engine.apply(client, req, TODAY, pool=stock).client
            else:
                with pytest.raises(cl.RuleViolation) as info:
                    engine.apply(client, req, TODAY, pool=stock)
                assert info.value.decision == decision
            assert CALLS == ["assign"], (style, req)
        CALLS.clear()
        modify = cl.Modify(maintenance="m1", quantity=60)
        refused = engine.check(client, modify, TODAY, pool=stock)
        assert refused.codes == ("vendor.cap",) and CALLS == ["modify"]
        CALLS.clear()
        with pytest.raises(cl.RuleViolation):
            engine.apply(client, modify, TODAY, pool=stock)
        assert CALLS == ["modify"]


def test_a_rule_reads_a_module_setting_as_it_is_when_called() -> None:
    global LIMIT
    for style in sorted(STYLES):
        for engine in engines(STYLES[style]()):
            client = engine.create_client("a", "A", TODAY)
            assert engine.check(client, request(20), TODAY).codes == ("vendor.cap",)
            saved, LIMIT = LIMIT, 30
            try:
                assert engine.check(client, request(20), TODAY).ok, style
                assert engine.check(client, request(40), TODAY).findings[0].params == {"max": 30}
            finally:
                LIMIT = saved
            assert engine.check(client, request(20), TODAY).codes == ("vendor.cap",)


def test_a_rule_is_never_rewritten_the_engine_calls_the_function_itself() -> None:
    seen: list[object] = []

    def rule(ctx: cl.RuleContext) -> list[cl.Finding]:
        seen.append(ctx)
        return []

    engine = cl.Engine(cl.load_catalog(TestCatalog(), entry_points=False), rules=[rule])
    client = engine.create_client("a", "A", TODAY)
    for _ in range(3):
        engine.check(client, request(), TODAY)
    assert len(seen) == 3 and all(isinstance(c, cl.RuleContext) for c in seen)
    assert engine.rules[-1].check is rule
