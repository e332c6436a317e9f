"""How close to its floor could ``Engine.check`` of an assignment get (issue R3 3/6)?

An experiment, not a mechanism. The six usual cases of a commercial assignment
without a pool are written out by hand in one function and timed beside the floor,
the engine's ``check``, its generated function called directly (no dispatch; it
copies the usual cases into its body, engine/_inline.py) and the same function
built with the usual cases called (one Python call each), interleaved round by
round; ratios are medians of per-round ratios against the floor. The hand-written
function is what the copier is measured against: the ceiling of copying.

The hand-inlined function is held to the engine: on every shape it must answer what
the rules' own usual cases answer, and its "usual" answer must be the engine's.

    python benchmarks/ceiling.py [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import run as R

import cytolicense as cl
from cytolicense.core._enums import QuantityRule
from cytolicense.rules import _client, _lifecycle

_LINKED = QuantityRule.LINKED
_SAFE_DAY = _lifecycle._SAFE_DAY
_SHOWN_DAYS = _client._SHOWN_DAYS


def inlined(plan: Any, none: Any, fallback: Callable[..., Any]) -> Callable[..., Any]:
    """The usual cases of the client, quantity, period, family, modules and calendar
    rules for *plan*'s commercial assignments, in one body (no call per rule); when
    one does not hold, *fallback* (the engine's generated check) decides."""
    maximum, enabled = plan.max_quantity, plan.enabled
    rivals, compatible = plan.rivals, plan.modules

    def check(client: Any, req: Any, today: Any, pool: Any) -> Any:
        end, last, q, period = client._end, client.changed_on, req.quantity, req.period
        if (
            client.deleted_on is None
            and last is not None
            and today >= last
            and (end >= today or (today - end).days < _SHOWN_DAYS)
            and q >= 1
            and (maximum is None or q <= maximum)
            and period is not None
            and period._id in enabled
            and today < _SAFE_DAY
            and period._months < 120
        ):
            ends = client._commercial_ends
            if ends is not None:
                if not isinstance(ends, tuple):
                    if ends.product in rivals and ends._until >= today:
                        return fallback(client, req, today, pool)
                else:
                    for m in ends:
                        if m.product in rivals and m._until >= today:
                            return fallback(client, req, today, pool)
            modules = req.modules
            for mid in modules:
                seats = modules[mid]
                qrule = compatible.get(mid)
                if qrule is _LINKED:
                    if seats is None or seats == q:
                        continue
                elif qrule is not None and seats is not None and 1 <= seats <= q:
                    continue
                return fallback(client, req, today, pool)
            return none
        return fallback(client, req, today, pool)

    return check


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n, rounds = (2_000, 5) if args.quick else (10_000, 15)
    catalog = cl.load_catalog(R.MatrixCatalog(), entry_points=False)
    engine = cl.Engine(catalog)
    tables, known = R.floor_tables(catalog), frozenset(catalog.modules)
    day = R.DAY

    def client_with(*lines: tuple[str, str, dt.date]) -> cl.Client:
        c = engine.create_client("acme", "ACME", min((d for *_, d in lines), default=day))
        for product, kind, start in lines:
            req = cl.AssignmentRequest(
                product=product, license_type=kind, quantity=10,
                period="1y" if kind == "commercial" else None,
            )  # fmt: skip
            c = engine.apply(c, req, start).client
        return c

    def history(count: int) -> cl.Client:
        start = day - dt.timedelta(days=2 * count + 400)
        c = engine.create_client("acme", "ACME", start)
        for _ in range(count):
            req = cl.AssignmentRequest(
                product="edr", license_type="commercial", quantity=10, period="1y"
            )
            c = engine.apply(c, req, start).client
            start += dt.timedelta(days=2)
        return c

    def request(product: str = "epdr", modules: tuple[str, ...] = ("patch",)) -> Any:
        mods = {m: (5 if m == "enc" else None) for m in modules}
        return cl.AssignmentRequest(
            product=product, license_type="commercial", quantity=20, period="1y",
            modules=mods,
        )  # fmt: skip

    shapes = [
        ("new client", client_with(), request()),
        ("another family in force", client_with(("mail", "commercial", day - dt.timedelta(10))),
         request()),
        ("an expired line of the same family",
         client_with(("edr", "commercial", day - dt.timedelta(400))), request()),
        ("100 lines of history", history(100), request()),
        ("0 modules", client_with(), request(modules=())),
        ("3 modules (EDR)", client_with(), request("edr", ("patch", "enc", "watch"))),
    ]  # fmt: skip
    # The engine's generated check copies the usual cases (engine/_inline.py); one
    # built with them called is timed beside it, and names them.
    called_engine = R.usual_cases_called(catalog, day, [(c, r, None) for _, c, r in shapes])
    heads = ("check", "generated", "called", "inlined")
    print(f"{'shape':<36} {'floor':>8} " + " ".join(f"{h:>15}" for h in heads))
    for name, client, req in shapes:
        decision = engine.check(client, req, day)
        generated = engine._assign[False][False][req.product]
        called = called_engine._assign[False][False][req.product]
        spec_usuals = [u for k, u in called.__globals__.items() if k[0] == "u" and k[1:].isdigit()]
        assert len(spec_usuals) == 6, (name, spec_usuals)
        plan = engine._tables.plans[req.product]
        fused = inlined(plan, decision if decision.ok else None, generated)
        assert all(u(client, req, day, plan, None) for u in spec_usuals), name
        assert fused(client, req, day, None) is decision, name
        fc, fr = R.floor_client(client), R.floor_request(req)
        sides: dict[str, Callable[[], object]] = {
            "floor": lambda fc=fc, fr=fr: R.floor_check(tables, known, fc, fr, day),
            "check": lambda c=client, r=req: engine.check(c, r, day, pool=None),
            "generated": lambda c=client, r=req, g=generated: g(c, r, day, None),
            "called": lambda c=client, r=req, g=called: g(c, r, day, None),
            "inlined": lambda c=client, r=req, f=fused: f(c, r, day, None),
        }
        times: dict[str, list[float]] = {k: [] for k in sides}
        for _ in range(rounds):
            for k, f in sides.items():
                times[k].append(timeit.timeit(f, number=n) / n)
        cells = [f"{statistics.median(times['floor']) * 1e6:6.2f}us"]
        for k in heads:
            ratios = [a / b for a, b in zip(times[k], times["floor"], strict=True)]
            cells.append(
                f"{statistics.median(times[k]) * 1e6:5.2f} {statistics.median(ratios):4.2f}x"
            )
        print(f"{name:<36} " + "  ".join(f"{c:>13}" for c in cells), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
