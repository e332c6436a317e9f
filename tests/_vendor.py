"""Vendor rules written as plain functions of their context (an ``assert``, a loop,
an early return, a module-level setting), kept out of test modules."""

from __future__ import annotations

import datetime as dt
import textwrap

import cytolicense as cl

LIMIT = 10
CAP = cl.CodeSpec(code="vendor.cap", messages={"en": "More than {max} seats."})
BAN = cl.CodeSpec(code="vendor.ban", messages={"en": "No {product} on {day}."})
BANNED_DAY = dt.date(2026, 6, 2)


def vendor_rules(ctx: cl.RuleContext) -> list[cl.Finding]:
    """A typed vendor rule: narrows with assert, loops, returns early, raises."""
    req = ctx.request
    assert req is not None
    found = []
    if ctx.today == BANNED_DAY and ctx.plan.id == "edr":
        found.append(cl.make_finding(BAN, "product", {"product": req.product, "day": "2"}))
    if req.quantity > LIMIT:
        found.append(cl.make_finding(CAP, "quantity", {"max": LIMIT}))
    for module in req.modules:
        if module == "zz-boom":
            raise ValueError(f"module {module} is not sold in {ctx.catalog.version}")
    if ctx.maintenance is not None or ctx.operation != "assign":
        return [cl.make_finding(CAP, "quantity", {"max": 0})]
    return found


def with_module_call(ctx: cl.RuleContext) -> list[cl.Finding]:
    """Reads a name of an imported module (``textwrap.dedent``)."""
    if textwrap.dedent(str(ctx.period)) == "2y":
        return [cl.make_finding(CAP, "period", {"max": 1})]
    return []


def first_big_module(ctx: cl.RuleContext) -> list[cl.Finding]:
    """Returns from a loop: the first module with more seats than LIMIT."""
    req = ctx.request
    if req is None:
        return []
    for module, seats in req.modules.items():
        if seats is not None and seats > LIMIT:
            return [cl.make_finding(CAP, "modules." + module, {"max": LIMIT})]
        if seats == 0:
            return []
    return []
