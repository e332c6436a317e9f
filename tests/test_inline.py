"""engine/_inline.py: a rule's usual case copied into the generated check answers what
the function answers, and anything the copier cannot copy faithfully is called."""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
import linecache
import sys
import textwrap
import traceback
from pathlib import Path
from typing import Any

import attrs
import pytest

import cytolicense as cl
import cytolicense.engine._engine as engine_module
from cytolicense.engine._inline import (
    ARGS,
    CONTEXT,
    Inlined,
    NotInlinable,
    inline_rule,
    inline_usual,
)

from ._vendor import (
    BAN,
    BANNED_DAY,
    CAP,
    LIMIT,
    first_big_module,
    vendor_rules,
    with_module_call,
)
from .conftest import TestCatalog, request


class Plan:
    __slots__ = ("cap", "id")

    def __init__(self, cap: int | None, id: str = "p") -> None:
        self.cap, self.id = cap, id


class Req:
    def __init__(self, quantity: Any, items: tuple[Any, ...] = ()) -> None:
        self.quantity, self.items = quantity, items


def run(copied: Inlined, *args: Any) -> Any:
    """The copied lines in a function of their own: what the generated check runs."""
    source = "def usual(client, op, today, plan, pool):\n"
    source += "".join(f"    {line}\n" for line in copied.lines)
    source += f"    return {copied.result}\n"
    namespace: dict[str, Any] = {"plan": args[3], **copied.names}
    exec(compile(source, "<test>", "exec"), namespace)
    client, op, today, plan, pool = args
    return namespace["usual"](client, op, today, plan, pool)


def run_test(copied: Inlined, *args: Any) -> bool:
    """The copy's *body* then its *test*, in one try: what the usual client's path of
    the generated check runs."""
    source = "def usual(client, op, today, plan, pool):\n    try:\n"
    source += "".join(f"        {line}\n" for line in copied.body)
    source += f"        if {copied.test}:\n            return True\n"
    source += "    except Exception:\n        pass\n    return False\n"
    namespace: dict[str, Any] = {"plan": args[3], **copied.names}
    exec(compile(source, "<test>", "exec"), namespace)
    client, op, today, plan, pool = args
    answer: bool = namespace["usual"](client, op, today, plan, pool)
    return answer


def agree(func: Any, plan: Any, *cases: tuple[Any, Any, Any, Any]) -> None:
    copied = inline_usual(func, 3, plan)
    for client, req, today, pool in cases:
        try:
            expected = bool(func(client, req, today, plan, pool))
        except Exception:
            expected = False
        assert bool(run(copied, client, req, today, plan, pool)) is expected, (client, req)
        assert run_test(copied, client, req, today, plan, pool) is expected, (client, req)


# -- usual cases of the shapes the copier rewrites ----------------------------------------


def straight(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
    """A docstring, dropped."""
    q, cap = req.quantity, plan.cap
    return q >= 1 and (cap is None or q <= cap)


def early(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
    if pool is None:
        return True
    elif req.quantity > LIMIT:  # noqa: RET505 (an elif, rewritten as such)
        return False
    total = req.quantity + 1
    return total <= pool


def loop(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
    seen = 0
    for item in req.items:
        if item is None:
            continue
        seen += 1
        if item == plan.id:
            return False
    return seen < 3


def branches_in_loop(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
    for item in req.items:
        if item == "a":
            if req.quantity > 1:
                return False
        else:
            return item == "b"
    return True


def falls_off(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
    if req.quantity > 1:
        return True
    req.quantity.bit_length()  # an expression statement, kept
    return None  # type: ignore[return-value]


def half_returns(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
    note = 0
    if req.quantity == 0:
        note = 1
    elif req.quantity < 0:
        return False
    return note == 0


def comprehension(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
    return all(item != plan.id for item in req.items) and len(req.items) < LIMIT


def renamed(c: Any, r: Any, t: Any, p: Any, stock: Any) -> bool:
    """Parameters named otherwise: they are the check's by position."""
    if p.cap is not None:
        return bool(r.quantity <= p.cap)
    return stock is None or r.quantity != stock


def raises(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
    return req.quantity // 0 > 1


def unpacked(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
    """Four names from four values (made four assignments), then four that read the
    names they assign (kept one: the values are all read first)."""
    a, b, c, d = req.quantity, plan.cap, req.items, pool
    a, b, c, d = b, a, d, c
    if c is not None and len(d) > 1:
        e, f, g, h = c, a, len(d), b
        return bool(e > h and f is not None and g)
    return a is None or a >= b


def reads_before(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
    """A local read before its one assignment (an UnboundLocalError, so false): not
    read as what it is later given."""
    for item in req.items:
        if item == "a":
            return seen is None  # noqa: F821 (read before it is assigned, on purpose)
    seen = client
    return seen is None and pool is None


def narrowed(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
    """Names given the parameters again, and tests for None of what never is."""
    r, p, nothing = req, plan, None
    if r is None or p is None or nothing is not None:
        return False
    return pool is None or r.quantity <= pool


PLAN = Plan(cap=5)
CASES = [
    (None, Req(q, items), None, pool)
    for q in (-1, 0, 1, 5, 6, 11, "x")
    for items in ((), ("p",), (None, "q"), ("a", "b"), ("a",), ("q", "r", "s"), ("b", "a"))
    for pool in (None, 3, 20)
]


@pytest.mark.parametrize(
    "func",
    [
        straight,
        early,
        loop,
        branches_in_loop,
        falls_off,
        half_returns,
        comprehension,
        renamed,
        raises,
        unpacked,
        reads_before,
        narrowed,
    ],
)
def test_a_copied_usual_case_answers_as_the_function_does(func: Any) -> None:
    agree(func, PLAN, *CASES)
    agree(func, Plan(cap=None, id="q"), *CASES)


def test_a_function_a_decorator_returned_as_it_was_is_copied() -> None:
    assert run(inline_usual(decorated_usual, 0, PLAN), None, Req(1), None, PLAN, None) is True


def test_the_copy_is_straight_line_code_with_renamed_names() -> None:
    """Early returns become if/else and a loop's return a break with what follows in
    the loop's else: no flag, no wrapper; locals renamed per rule, globals and plan
    attributes bound once."""
    copied = inline_usual(loop, 7, PLAN)
    text = "\n".join(copied.lines)
    assert "return" not in text and "break" in text and "else:" in text
    assert "v7_seen" in text and "v7_item" in text
    assert copied.names == {"g7_plan_id": "p"}
    copied = inline_usual(comprehension, 2, PLAN)
    assert copied.names["g2_all"] is all and copied.names["g2_LIMIT"] == LIMIT
    assert [line for line in inline_usual(straight, 0, PLAN).lines if "docstring" in line] == []


def test_a_straight_usual_case_is_tested_by_its_answers_expression() -> None:
    """One that runs straight to its one answer is asked as ``if <answer>:`` on the
    usual client's path (no result stored); one that branches or loops sets its
    result and is asked by it. Four names from four values become four assignments
    unless a value reads a name the line assigns."""
    copied = inline_usual(straight, 4, PLAN)
    assert copied.test == "(v4_q >= 1 and (v4_cap is None or v4_q <= v4_cap))"
    assert copied.body == ["v4_q = op.quantity", "v4_cap = g4_plan_cap"]
    assert "s4" not in "\n".join(copied.body)
    for func in (loop, early, half_returns):
        branching = inline_usual(func, 4, PLAN)
        assert branching.test == branching.result == "s4"
        assert ["    " + line for line in branching.body] == branching.lines[1:-2]
    lines = inline_usual(unpacked, 1, PLAN).lines
    assert "    v1_a = op.quantity" in lines and "    v1_d = pool" in lines
    assert "    v1_a, v1_b, v1_c, v1_d = (v1_b, v1_a, v1_d, v1_c)" in lines
    assert "        v1_e = v1_c" in lines


def test_a_name_given_a_parameter_again_is_read_as_the_parameter() -> None:
    """``r = req`` assigned once and read after: ``r`` is read as ``op`` (no store);
    ``x is None`` of the request, client, day or plan (never None where a copy runs)
    or of the constant None is the constant it always is; a local read before it is
    assigned keeps its name (and its error)."""
    text = "\n".join(inline_usual(narrowed, 2, PLAN).lines)
    assert "v2_r" not in text and "v2_nothing" not in text and "op.quantity" in text
    # the if of a constant (False or False or False) is gone: straight to its answer
    assert inline_usual(narrowed, 2, PLAN).test == "(pool is None or op.quantity <= pool)"
    assert "v2_p" not in text  # a global read into a local, then never read: dropped
    before = "\n".join(inline_usual(reads_before, 2, PLAN).lines)
    assert "v2_seen = client" in before
    rule = "\n".join(inline_rule(vendor_rules, 0, PLAN).lines)
    assert "w0_req" not in rule and "op.product" in rule and "op.quantity" in rule
    # ctx.maintenance is not None or ctx.operation != 'assign': never, so gone
    assert "'assign'" not in rule and "h0_CAP, 'quantity', {'max': 0}" not in rule


def test_a_rules_tail_returns_the_decision_that_found_nothing() -> None:
    """The lines of a rule run last on the usual client's path: each empty answer is
    ``return none`` (a loop's break after it dropped); other answers set the result."""
    tail = "\n".join(inline_rule(with_module_call, 0, PLAN).tail)
    assert "return none" in tail and "f0 = ()" not in tail and "f0 = [" in tail
    looped = inline_rule(first_big_module, 1, PLAN)
    lines, tail = "\n".join(looped.lines), "\n".join(looped.tail)
    assert lines.count("break") == 2 and tail.count("break") == 1  # the finding's
    assert tail.count("return none") == 2 and "f1 = ()" not in tail
    assert "None" not in lines.replace("is not None", "")  # `if req is None` is gone
    assert inline_rule(vendor_rules, 0, PLAN).tail == inline_rule(vendor_rules, 0, PLAN).lines


def test_plan_attributes_are_read_when_the_check_is_built() -> None:
    plan = Plan(cap=5)
    copied = inline_usual(straight, 0, plan)
    plan.cap = 100  # a ProductPlan never changes once made; this one does, to show it
    assert not run(copied, None, Req(50), None, plan, None)
    assert straight(None, Req(50), None, plan, None)


# -- what is called instead --------------------------------------------------------------


def with_break(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
    for item in req.items:
        if item == "stop":
            break
        if item == plan.id:
            return False
    return True


def nested_loop(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
    for item in req.items:
        for part in item:
            if part == plan.id:
                return False
    return True


def with_while(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
    while req.quantity:
        return False
    return True


def assigns_a_parameter(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
    req = req.quantity
    return bool(req)


def with_lambda(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
    return min(req.items, key=lambda item: len(item)) != ""


def undefined(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
    return NOT_DEFINED_ANYWHERE > 1  # type: ignore[name-defined]  # noqa: F821


def four(client: Any, req: Any, today: Any, plan: Any) -> bool:
    return True


def with_default(client: Any, req: Any, today: Any, plan: Any, pool: Any = None) -> bool:
    return True


def closure() -> Any:
    cap = 3

    def inner(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
        return bool(req.quantity < cap)

    return inner


def decorated(func: Any) -> Any:
    return func


@decorated
def decorated_usual(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
    """A decorator that returns the function itself: copied (see below)."""
    return True


def wrapping(func: Any) -> Any:
    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        return not func(*args)

    return wrapper


@wrapping
def wrapped_usual(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
    """Its source is found (inspect follows __wrapped__), but it is the wrapper."""
    return True


exec("def from_text(client, req, today, plan, pool):\n    return True\n", globals())


LAMBDAS = [
    lambda client, req, today, plan, pool: True,
    (lambda client, req, today, plan, pool: req.quantity > 1),
]


@pytest.mark.parametrize(
    ("func", "why"),
    [
        (with_break, "a loop with break or else"),
        (nested_loop, "a return in a nested loop"),
        (with_while, "uses While"),
        (assigns_a_parameter, "assigns a parameter"),
        (with_lambda, "uses Lambda"),
        (undefined, "reads 'NOT_DEFINED_ANYWHERE'"),
        (four, "five positional parameters"),
        (with_default, "defaults"),
        (closure(), "a closure"),
        (wrapped_usual, "closure"),
        (globals()["from_text"], "source"),
        (LAMBDAS[0], "not one function"),
        (LAMBDAS[1], "not one function"),
        (functools.partial(straight, None), "not a Python function"),
        (len, "not a Python function"),
    ],
)
def test_what_the_copier_cannot_copy_faithfully_is_refused(func: Any, why: str) -> None:
    with pytest.raises(NotInlinable, match=why):
        inline_usual(func, 0, PLAN)


def test_a_file_changed_since_import_is_not_copied(tmp_path: Path) -> None:
    """The copy is made from the source file; when that no longer compiles to the code
    the function runs (edited since import), the function is called. A function
    copied before the edit keeps its copy: it was checked against this very code."""
    path = tmp_path / "edited_usual.py"
    body = (
        "def first(client, req, today, plan, pool):\n    return req.quantity < 10\n\n\n"
        "def second(client, req, today, plan, pool):\n    return req.quantity < {}\n"
    )
    path.write_text(body.format(10))
    spec = importlib.util.spec_from_file_location("edited_usual", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["edited_usual"] = module
    try:
        spec.loader.exec_module(module)
        assert inline_usual(module.first, 0, PLAN).lines
        path.write_text(body.format(99) + "\n# edited\n")
        linecache.checkcache(str(path))
        with pytest.raises(NotInlinable, match="not the code it runs"):
            inline_usual(module.second, 0, PLAN)
        assert inline_usual(module.first, 1, PLAN).lines
        module.first.__code__ = module.second.__code__  # its code replaced: read again
        with pytest.raises(NotInlinable, match="not the code it runs"):
            inline_usual(module.first, 0, PLAN)
    finally:
        del sys.modules["edited_usual"]


def test_the_copy_reads_globals_when_the_check_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    assert inline_usual(comprehension, 0, PLAN).names["g0_LIMIT"] == LIMIT
    monkeypatch.setitem(globals(), "LIMIT", 3)
    assert inline_usual(comprehension, 0, PLAN).names["g0_LIMIT"] == 3


def test_a_plan_without_an_attribute_the_case_reads_is_refused() -> None:
    with pytest.raises(NotInlinable, match="plan.cap"):
        inline_usual(straight, 0, object())
    with pytest.raises(NotInlinable, match="no.* plan|there is none"):
        inline_usual(straight, 0, None)  # a copy takes `plan is None` to be false


# -- in the engine -----------------------------------------------------------------------

TODAY = dt.date(2026, 6, 1)


def vendor_cap(ctx: cl.RuleContext) -> list[cl.Finding]:
    assert ctx.request is not None
    if ctx.request.quantity > LIMIT:
        return [cl.make_finding(CAP, "quantity", {"max": LIMIT})]
    return []


def under_vendor_cap(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
    return bool(req.quantity <= LIMIT)


def test_every_built_in_usual_case_of_an_assignment_is_copied_not_called() -> None:
    catalog = cl.load_catalog(TestCatalog(), entry_points=False)
    engine = cl.Engine(catalog)
    plan = engine._tables.plans["edr"]
    for spec in engine.rules:
        if spec.usual is not None and "assign" in spec.operations:
            assert inline_usual(spec.usual, 0, plan).lines, spec.name
    c = engine.create_client("a", "A", TODAY)
    for kind, period in (("commercial", "1y"), ("trial", None)):
        req = request(license_type=kind, quantity=5, period=period)
        assert engine.check(c, req, TODAY).ok
        check = engine._assign[False][kind == "trial"]["edr"]
        called = [k for k in check.__globals__ if k[0] == "u" and k[1:].isdigit()]
        assert called == [], kind


def test_a_vendor_rules_usual_case_is_copied_and_decides_alike() -> None:
    catalog = cl.load_catalog(TestCatalog(), entry_points=False)
    spec = cl.RuleSpec(check=vendor_cap, operations={"assign"}, codes=[CAP], usual=under_vendor_cap)
    engine = cl.Engine(catalog, rules=[spec])
    c = engine.create_client("a", "A", TODAY)
    for quantity, codes in ((5, []), (LIMIT + 1, ["vendor.cap"]), (0, ["quantity.invalid"])):
        req = request(quantity=quantity)
        decision = engine.check(c, req, TODAY)
        assert [f.code for f in decision.findings] == codes
        assert decision == engine._decide(engine._context(c, req, TODAY, None))
    check = engine._assign[False][False]["edr"]
    assert "under_vendor_cap" not in {
        getattr(v, "__name__", "") for v in check.__globals__.values()
    }


def under_cap_unless_seven(client: Any, req: Any, today: Any, plan: Any, pool: Any) -> bool:
    if req.quantity == 7:
        raise ValueError("seven")  # a usual case that raises counts as false
    return bool(req.quantity <= LIMIT)


def test_a_usual_case_that_raises_sends_the_check_down_the_general_path() -> None:
    """The generated check asks the usual cases one inside the other in one try, then
    (the first failing or raising) each in a try of its own: a raising one counts as
    false there, its rule runs, and the rules that declare no usual case run on both
    paths."""
    catalog = cl.load_catalog(TestCatalog(), entry_points=False)
    specs = [
        cl.RuleSpec(
            check=vendor_cap, operations={"assign"}, codes=[CAP], usual=under_cap_unless_seven
        ),
        cl.RuleSpec(check=vendor_rules, operations={"assign"}, codes=[CAP, BAN]),
    ]
    engine = cl.Engine(catalog, rules=specs)
    c = engine.create_client("a", "A", TODAY)
    for today in (TODAY, BANNED_DAY):
        for quantity in (5, 7, LIMIT + 1, 0):
            req = request(quantity=quantity)
            decision = engine.check(c, req, today)
            assert decision == engine._decide(engine._context(c, req, today, None))
            assert ("vendor.ban" in decision.codes) is (today == BANNED_DAY)
            assert decision.codes.count("vendor.cap") == (2 if quantity > LIMIT else 0)


def _general_lines_run(engine: cl.Engine, client: cl.Client, req: Any, today: Any) -> int:
    """How many lines of the general path (after the usual client's try) the generated
    check of *req* runs: its text caught as it is compiled, its lines traced."""
    seen: list[str] = []
    compile_ = compile

    def catch(source: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(source, str) and source.startswith("def check_assign"):
            seen.append(source)
        return compile_(source, *args, **kwargs)

    for by_type in engine._assign:
        for checks in by_type:
            checks.clear()  # built anew, its text caught
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(engine_module.__dict__, "compile", catch)
        engine.check(client, req, today)
    lines = seen[-1].splitlines()
    general = lines.index("    except (KeyboardInterrupt, GeneratorExit):") + 1
    ran: list[int] = []

    def trace(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_name != "check_assign":
            return None
        if event == "line" and frame.f_lineno > general:
            ran.append(frame.f_lineno)
        return trace

    sys.settrace(trace)
    try:
        engine.check(client, req, today)
    finally:
        sys.settrace(None)
    return len(ran)


def test_the_rules_without_a_usual_case_run_on_the_usual_clients_path() -> None:
    """A usual client's check runs the rules that declare no usual case inside the
    usual client's try, and returns there when they find nothing; a finding, or a
    usual case that raises, goes down the general path (which decides it all)."""
    catalog = cl.load_catalog(TestCatalog(), entry_points=False)
    specs = [
        cl.RuleSpec(
            check=vendor_cap, operations={"assign"}, codes=[CAP], usual=under_cap_unless_seven
        ),
        cl.RuleSpec(check=vendor_rules, operations={"assign"}, codes=[CAP, BAN]),
        cl.RuleSpec(check=with_module_call, operations={"assign"}, codes=[CAP]),
    ]
    engine = cl.Engine(catalog, rules=specs)
    c = engine.create_client("a", "A", TODAY)
    assert _general_lines_run(engine, c, request(quantity=5), TODAY) == 0
    assert _general_lines_run(engine, c, request(quantity=7), TODAY) > 0  # raises
    assert _general_lines_run(engine, c, request(quantity=5), BANNED_DAY) > 0  # finds
    assert _general_lines_run(engine, c, request(quantity=5, period="2y"), TODAY) > 0


def test_the_copies_names_are_the_generated_checks() -> None:
    assert ARGS == ("client", "op", "today", "plan", "pool")
    text = "\n".join(inline_usual(early, 1, PLAN).lines)
    assert "pool is None" in text and "op.quantity" in text and "req" not in text
    assert textwrap.dedent(text) == text


# -- a rule itself, copied --------------------------------------------------------------


def passes_ctx_on(ctx: cl.RuleContext) -> list[cl.Finding]:
    return vendor_rules(ctx)


def sets_a_field(ctx: Any) -> list[cl.Finding]:
    ctx.today = None
    return []


def reads_a_property(ctx: Any) -> list[cl.Finding]:
    return list(ctx.findings_so_far)


def two_params(ctx: Any, more: Any) -> list[cl.Finding]:
    return []


class RuleObject:
    """A callable rule whose repr raises: refused without showing it."""

    def __call__(self, ctx: Any) -> list[cl.Finding]:
        return []

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


@pytest.mark.parametrize(
    ("func", "why"),
    [
        (passes_ctx_on, "uses its context as a whole"),
        (sets_a_field, "sets ctx.today"),
        (reads_a_property, "reads ctx.findings_so_far, not a context field"),
        (two_params, "one parameter"),
        (RuleObject(), "a RuleObject is not a Python function"),
        (straight, "one parameter"),
    ],
)
def test_a_rule_the_copier_cannot_copy_faithfully_is_refused(func: Any, why: str) -> None:
    with pytest.raises(NotInlinable, match=why):
        inline_rule(func, 0, PLAN)


def test_the_context_the_copy_reads_is_the_one_a_call_is_given() -> None:
    assert list(CONTEXT) == [f.name for f in attrs.fields(cl.RuleContext)]


def test_a_rule_reading_an_imported_module_is_copied() -> None:
    copied = inline_rule(with_module_call, 2, PLAN)
    assert copied.result == "f2" and copied.names["h2_textwrap"] is textwrap
    assert "op.period" in "\n".join(copied.lines)


def vendor_engine(*checks: Any) -> cl.Engine:
    catalog = cl.load_catalog(TestCatalog(), entry_points=False)
    specs = [cl.RuleSpec(check=c, operations={"assign"}, codes=[CAP, BAN]) for c in checks]
    return cl.Engine(catalog, rules=specs)


def test_a_copied_vendor_rule_is_not_called_and_decides_as_the_call_does() -> None:
    engine = vendor_engine(vendor_rules, with_module_call)
    c = engine.create_client("a", "A", TODAY)
    seen, ran = set(), set()
    for today in (TODAY, BANNED_DAY):
        for quantity in (0, 5, LIMIT + 1):
            for period in ("1y", "2y"):
                req = request(quantity=quantity, period=period)
                sys.setprofile(lambda frame, event, arg: ran.add(frame.f_code))
                try:
                    decision = engine.check(c, req, today)
                finally:
                    sys.setprofile(None)
                assert decision == engine._decide(engine._context(c, req, today, None))
                seen.add(tuple(f.code for f in decision.findings))
    assert {(), ("vendor.cap",), ("vendor.ban",), ("vendor.ban", "vendor.cap")} <= seen
    assert vendor_rules.__code__ not in ran and with_module_call.__code__ not in ran


def test_a_copied_rule_that_raises_raises_its_own_error_through_the_call() -> None:
    engine = vendor_engine(vendor_rules)
    c = engine.create_client("a", "A", TODAY)
    before = engine.check(c, request(), TODAY)
    with pytest.raises(cl.PluginRuleError, match="vendor_rules") as info:
        engine.check(c, request(modules=["zz-boom"]), TODAY)
    cause = info.value.__cause__
    assert isinstance(cause, ValueError) and "zz-boom is not sold" in str(cause)
    frames = [frame.name for frame in traceback.extract_tb(cause.__traceback__)]
    assert frames[-1] == "vendor_rules"  # raised by the rule, not by its copy
    assert engine.check(c, request(), TODAY) == before


def test_a_rule_that_is_not_copied_is_called_in_the_check() -> None:
    engine = vendor_engine(passes_ctx_on)
    c = engine.create_client("a", "A", TODAY)
    req = request(quantity=LIMIT + 1)
    assert [f.code for f in engine.check(c, req, TODAY).findings] == ["vendor.cap"]
    check = engine._assign[False][False]["edr"]
    assert any(v is passes_ctx_on for v in check.__globals__.values())
    assert engine.check(c, request(quantity=5), TODAY).ok  # on the usual client's path
    with pytest.raises(cl.PluginRuleError, match="zz-boom") as info:
        engine.check(c, request(quantity=5, modules={"zz-boom": None}), TODAY)
    assert isinstance(info.value.__cause__, ValueError)


def junk_when_large(ctx: cl.RuleContext) -> list[Any]:
    if ctx.request is not None and ctx.request.quantity > LIMIT:
        return ["not a finding"]
    return []


def test_a_copy_answering_list_displays_has_its_empty_answer_taken_as_it_is() -> None:
    """A copied plugin rule whose every answer is a list or tuple display is known to
    answer a list or a tuple: an empty one is taken without the type test of a
    plugin's answer, a non-empty one is still checked finding by finding."""
    assert inline_rule(with_module_call, 0, PLAN).lists is True
    assert inline_rule(junk_when_large, 0, PLAN).lists is True
    assert inline_rule(vendor_rules, 0, PLAN).lists is False  # it answers a name
    engine = vendor_engine(junk_when_large)
    c = engine.create_client("a", "A", TODAY)
    assert engine.check(c, request(quantity=5), TODAY).ok
    with pytest.raises(cl.PluginRuleError, match="not a Finding"):
        engine.check(c, request(quantity=LIMIT + 1), TODAY)


def test_a_copied_rules_empty_list_is_the_empty_tuple() -> None:
    """The check only asks whether a copied rule's answer is empty, so ``return []``
    is copied as the constant ``()`` (nothing built); a list with findings in it is
    copied as written."""
    text = "\n".join(inline_rule(junk_when_large, 0, PLAN).lines)
    assert "f0 = ()" in text and "f0 = []" not in text
    assert "f0 = ['not a finding']" in text
