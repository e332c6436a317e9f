"""``catalog``: the installed catalog, a release of it, or what changed between two."""

from __future__ import annotations

import argparse

from ...store._serialize import converter
from ...views._catalog_diff import catalog_diff
from ...views._text import tr
from .._args import day
from .._run import EXIT_OK, Command, Run, UsageError

__all__ = ["COMMANDS"]


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "action",
        nargs="*",
        metavar="diff OLD NEW",
        help="list what release NEW adds, removes and changes against release OLD",
    )
    p.add_argument(
        "--on",
        type=day,
        default=None,
        help="print the catalog release in force on this day (default: the newest)",
    )


def catalog(run: Run) -> int:
    action = list(getattr(run.args, "action", None) or ())
    if action:
        if action[0] != "diff" or len(action) != 3:
            raise UsageError(tr("expected `catalog` or `catalog diff OLD NEW`", run.lang))
        return diff(run, action[1], action[2])
    on = getattr(run.args, "on", None)
    release = run.catalog if on is None else run.catalog.at(on)
    if run.json:
        c = converter()
        run.emit(
            {
                "release": {
                    "version": release.version,
                    "effective": release.effective.isoformat(),
                },
                "releases": [
                    {"version": r.version, "effective": r.effective.isoformat()}
                    for r in run.catalog.releases
                ],
                "families": [c.unstructure(f) for f in release.families.values()],
                "modules": [c.unstructure(m) for m in release.modules.values()],
                "products": [c.unstructure(p) for p in release.products.values()],
            }
        )
    else:
        text = release.text(run.lang)
        if len(run.catalog.releases) > 1 and text:
            text = (
                tr(
                    "catalog release '{version}', in force from {day}",
                    run.lang,
                    version=release.version,
                    day=release.effective.isoformat(),
                )
                + "\n"
                + text
            )
        print(text or tr("no catalog plugin is installed", run.lang), file=run.out)
    return EXIT_OK


def diff(run: Run, old: str, new: str) -> int:
    """``catalog diff OLD NEW``: what release *new* changes against *old*."""
    before, after = run.catalog.release(old), run.catalog.release(new)
    changes = catalog_diff(before, after)
    if run.json:
        run.emit(
            {
                "from": old,
                "to": new,
                "changes": [
                    {
                        "kind": x.kind,
                        "record": x.record,
                        "id": x.id,
                        "fields": [{"field": f, "old": a, "new": b} for f, a, b in x.fields],
                    }
                    for x in changes
                ],
            }
        )
    elif not changes:
        print(tr("no difference between the two releases", run.lang), file=run.out)
    else:
        for x in changes:
            print(x.text(run.lang), file=run.out)
    return EXIT_OK


COMMANDS = (
    Command(
        "catalog",
        "print the installed catalog (`catalog`), or what changed between two of its "
        "releases (`catalog diff OLD NEW`)",
        catalog,
        _arguments,
        reads_only=True,
    ),
)
