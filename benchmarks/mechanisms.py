"""What each speed mechanism buys (issue R3 3/6): every workload timed with the
mechanism and without it, alternated round by round in one process; the ratio is
without / with (median of per-round ratios, with its spread).

Mechanisms measured (each turned off the way a reader could check by hand):

- generated assignment check: ``Engine.check`` of an assignment through the
  generated per-product function, against the general path (context + every rule);
- declared usual cases: the generated check with every rule's ``usual`` removed
  (each rule then runs on a context);
- usual cases copied into the check (``engine/_inline.py``): the generated check
  with each usual case called instead;
- rules copied into the check (the same module): the generated check with each rule
  called on a context instead;
- findings made as they are (``CodeSpec._found``): the built-in rules' findings
  made through ``CodeSpec.finding`` instead (params copied and checked);
- trusted construction (``core/_trusted.py`` ``builder``): the engine's new
  maintenance, module lines and event built without the validators, against the
  validated constructors;
- ``fast_init`` (products built with one inline test per field): ``Product(...)``
  against a subclass with attrs' own ``__init__`` and the same checks;
- the document reader (``store/_reader.py`` on parsed data): ``stored_client``
  against the strict converter;
- (the one-slot serializer cache measured 0.99x, the typed reader 1.17x and
  messages' printf forms 1.06-1.07x; all three were removed; see the performance
  page).

    python benchmarks/mechanisms.py [--quick]
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

import attrs

sys.path.insert(0, str(Path(__file__).parent))

import run as R

import cytolicense as cl
from cytolicense.core import _catalog_records
from cytolicense.core._findings import CodeSpec
from cytolicense.engine import _engine, _inline
from cytolicense.store import _serialize

ROWS: list[tuple[str, str, float, float, float, float]] = []


def compare(
    mechanism: str, workload: str, with_: Callable[[], object], without: Callable[[], object],
    number: int, rounds: int,
) -> None:  # fmt: skip
    ratios, w, wo = [], [], []
    for _ in range(rounds):
        a = timeit.timeit(with_, number=number) / number
        b = timeit.timeit(without, number=number) / number
        w.append(a)
        wo.append(b)
        ratios.append(b / a)
    ratio = statistics.median(ratios)
    ROWS.append((mechanism, workload, statistics.median(w), statistics.median(wo), ratio,
                 max(ratios) - min(ratios)))  # fmt: skip
    print(
        f"{mechanism:<28} {workload:<34} with {statistics.median(w) * 1e6:8.2f} us  "
        f"without {statistics.median(wo) * 1e6:8.2f} us  buys {ratio:5.2f}x "
        f"({min(ratios):.2f}..{max(ratios):.2f})",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n, rounds = (2_000, 5) if args.quick else (10_000, 11)
    catalog = cl.load_catalog(R.MatrixCatalog(), entry_points=False)
    engine = cl.Engine(catalog)
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

    req = cl.AssignmentRequest(
        product="epdr", license_type="commercial", quantity=20, period="1y",
        modules={"patch": None},
    )  # fmt: skip
    pool = cl.Pool((cl.PoolLine(item="epdr", period="1y", seats=100),))
    shapes = [
        ("new client", client_with(), None),
        ("another family in force", client_with(("mail", "commercial", day - dt.timedelta(10))),
         None),
        ("with a pool", client_with(), pool),
    ]  # fmt: skip

    # 1. The generated check against the general path.
    for name, c, p in shapes:
        compare(
            "generated assignment check", f"check: {name}",
            lambda c=c, p=p: engine.check(c, req, day, pool=p),
            lambda c=c, p=p: engine._decide(engine._context(c, req, day, p)),
            n, rounds,
        )  # fmt: skip

    def against(mechanism: str, other: cl.Engine) -> None:
        """*engine*'s check against *other*'s on every shape (same decisions)."""
        for name, c, p in shapes:
            assert other.check(c, req, day, pool=p) == engine.check(c, req, day, pool=p)
            compare(
                mechanism, f"check: {name}",
                lambda c=c, p=p: engine.check(c, req, day, pool=p),
                lambda c=c, p=p: other.check(c, req, day, pool=p),
                n, rounds,
            )  # fmt: skip

    # 2. The declared usual cases: the same generated check with none declared.
    plain = cl.Engine(catalog)
    plain._specs = tuple(attrs.evolve(s, usual=None) for s in plain._specs)
    against("declared usual cases", plain)

    # 2b. The usual cases copied into the check: the same check with them called.
    called = R.usual_cases_called(catalog, day, [(c, req, p) for _, c, p in shapes])

    def calls(e: cl.Engine) -> set[str]:
        """The usual cases *e*'s generated checks call (u0, u1, ...)."""
        return {
            k for row in e._assign for table in row for f in table.values()
            for k in f.__globals__ if k[:1] == "u" and k[1:].isdigit()
        }  # fmt: skip

    for _, c, p in shapes:
        engine.check(c, req, day, pool=p)
    assert calls(called)
    assert not calls(engine)
    against("usual cases copied", called)

    # 2c. Rules copied into the check (engine/_inline.py inline_rule): the same check
    # with every rule called on a context, on the shapes where rules run (a built-in
    # rule whose usual case fails; a vendor rule, which declares none).
    vendor_catalog = cl.load_catalog(R.MatrixCatalog(), R.VendorRule(), entry_points=False)
    copying, calling = cl.Engine(vendor_catalog), cl.Engine(vendor_catalog)
    rule_shapes = [
        ("a vendor rule", client_with(), req),
        ("another family in force", shapes[1][1], req),
        ("same family in force (refused)",
         client_with(("edr", "commercial", day - dt.timedelta(10))), req),
    ]  # fmt: skip

    def refuse(*args: object) -> Any:
        raise _inline.NotInlinable("measured without copied rules")

    copy_rule = _engine.inline_rule
    _engine.inline_rule = refuse
    try:
        for _, c, r in rule_shapes:
            calling.check(c, r, day)
    finally:
        _engine.inline_rule = copy_rule
    for name, c, r in rule_shapes:
        assert copying.check(c, r, day) == calling.check(c, r, day)
        compare(
            "rules copied", f"check: {name}",
            lambda c=c, r=r: copying.check(c, r, day),
            lambda c=c, r=r: calling.check(c, r, day),
            n, rounds,
        )  # fmt: skip

    # 2d. The built-in rules' findings made from their params as they are
    # (CodeSpec._found) against CodeSpec.finding (params copied and checked): on
    # refusals, their messages read as a console shows them.
    refusals = [
        ("same family in force (refused)", rule_shapes[2][1], req),
        ("refused with 4 findings", rule_shapes[2][1], cl.AssignmentRequest(
            product="epdr", license_type="commercial", quantity=20, period="5y",
            modules={"enc": None, "watch": None},
        )),
    ]  # fmt: skip
    found = CodeSpec._found

    def shown(c: cl.Client, r: cl.AssignmentRequest) -> list[str]:
        return [f.message for f in engine.check(c, r, day).errors]

    def checked(c: cl.Client, r: cl.AssignmentRequest) -> list[str]:
        CodeSpec._found = CodeSpec.finding  # type: ignore[method-assign, assignment]
        try:
            return shown(c, r)
        finally:
            CodeSpec._found = found  # type: ignore[method-assign]

    for name, c, r in refusals:
        assert checked(c, r) == shown(c, r)
        assert len(shown(c, r)) in (1, 4)
        compare("findings made as they are", f"check: {name}, messages",
                lambda c=c, r=r: shown(c, r), lambda c=c, r=r: checked(c, r),
                n, rounds)  # fmt: skip
    # 2e. Messages filled through printf forms made once per template ("%(name)s",
    # about half format_map's time per message) bought 1.06x and 1.07x on these two
    # refusals (messages read), under the 20% line: removed the day they were measured.

    # 3. Trusted construction of what an assignment creates.
    c0 = client_with()
    trusted = (_engine._build_maintenance, _engine._build_module, _engine._build_assigned)

    def validated() -> object:
        _engine._build_maintenance = lambda **kw: cl.Maintenance(**kw)
        _engine._build_module = lambda **kw: cl.ModuleLicense(**kw)
        _engine._build_assigned = lambda **kw: cl.ProductAssigned(**kw)
        try:
            return engine.apply(c0, req, day)
        finally:
            _engine._build_maintenance, _engine._build_module, _engine._build_assigned = trusted

    assert validated() == engine.apply(c0, req, day)
    compare("trusted construction", "apply: assign, new client",
            lambda: engine.apply(c0, req, day), validated, n // 2, rounds)  # fmt: skip

    # 4. fast_init: products built with inline field tests.
    @attrs.frozen(kw_only=True, slots=True)
    class CheckedProduct(cl.Product):
        """attrs' own __init__, and every field check (what fast_init replaces)."""

    fields: dict[str, Any] = {
        "id": "p", "name": "P", "family": "f", "modules": {"a", "b"},
        "periods": ("1y", "2y"), "max_quantity": 500, "grace_days": 7,
    }  # fmt: skip
    assert _catalog_records.Product(**fields).max_quantity == CheckedProduct(**fields).max_quantity
    compare("fast_init (products)", "Product(...) of 7 fields",
            lambda: cl.Product(**fields), lambda: CheckedProduct(**fields), n, rounds)  # fmt: skip

    # 5. The document reader against the strict converter.
    busy = engine.apply(client_with(("mail", "commercial", day - dt.timedelta(400))), req, day)
    text = cl.to_json(busy.client)
    data = _serialize.loads(text)
    assert _serialize.stored_client(text) == _serialize.converter().structure(
        data["data"], cl.Client
    )
    compare(
        "dict reader (store/_reader)", "read a client of 2 lines",
        lambda: _serialize.stored_client(text),
        lambda: _serialize.converter().structure(_serialize.loads(text)["data"], cl.Client),
        n // 2, rounds,
    )  # fmt: skip
    # The typed reader (msgspec typing the envelope's text in C, store/_typed_reader.py)
    # bought 1.17x (1.16..1.20) over the dict reader here, under R3 3/6's 20% line, and
    # was removed: the `fast` extra now only parses and encodes.

    # 6. The one-slot serializer cache (a maintenance's data kept for its client's
    # document right after its event) measured 0.99x (0.76..1.31) here and was removed.

    print("\n| mechanism | workload | with | without | buys (spread) |")
    print("|---|---|---:|---:|---:|")
    for mech, work, a, b, ratio, spread in ROWS:
        print(
            f"| {mech} | {work} | {a * 1e6:.2f} us | {b * 1e6:.2f} us | "
            f"{ratio:.2f}x ({spread:.2f}) |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
