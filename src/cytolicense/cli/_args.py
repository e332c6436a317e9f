"""What a command line's words may be: argparse value types and the arguments that
several commands share.

A bad value is a usage error (exit 2) raised while argparse parses, in the language
argparse speaks then (see :func:`cytolicense.cli._main._argparse_in`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from collections.abc import Callable

from ..core._messages import language_of
from ..core._period import Period
from ..views._input import whole_number
from ..views._text import clean
from ..views._usage import month_of

__all__ = [
    "arg_error",
    "client_id",
    "counted",
    "day",
    "lang",
    "maintenance_arguments",
    "module",
    "modules_option",
    "month",
    "period",
    "seats",
    "usage",
]

_DAY_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def arg_error(template: str, **values: object) -> argparse.ArgumentTypeError:
    """A bad value on the command line, in the language argparse speaks while it parses."""
    words: Callable[[str], str] = getattr(argparse, "_")  # noqa: B009
    return argparse.ArgumentTypeError(words(template).format(**values))


def day(text: str) -> dt.date:
    """An ISO date, YYYY-MM-DD only (not 20261127 nor 2026-W48-5)."""
    try:
        if not _DAY_RE.fullmatch(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise arg_error("not a date (YYYY-MM-DD): '{text}'", text=text) from None


def seats(text: str) -> int:
    """A whole number in ASCII digits (not 1_0, not full-width digits)."""
    n = whole_number(text) if text == text.strip() else None
    if n is None:
        raise arg_error("not a whole number: '{text}'", text=text)
    return n


def month(text: str) -> str:
    """A month ``YYYY-MM`` (a typo is a usage error, exit 2)."""
    try:
        month_of(text)
    except ValueError:
        raise arg_error("not a month (YYYY-MM): '{text}'", text=text) from None
    return text


def period(text: str) -> str:
    """A period as the console writes it (``1y``, ``2y``, ``1m``): checked here, so a
    typo is a usage error (exit 2), not a refusal."""
    try:
        return str(Period.parse(text))
    except ValueError:
        raise arg_error(
            "not a period: '{text}' (expected e.g. 1y, 2y, 3y or 1m)", text=text
        ) from None


def counted(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from *low* (to *high*), else a usage error."""

    def parse(text: str) -> int:
        n = seats(text)
        if n < low or (high is not None and n > high):
            if high is None:
                raise arg_error("must be {low} or more, got {n}", low=low, n=n)
            raise arg_error("must be from {low} to {high}, got {n}", low=low, high=high, n=n)
        return n

    return parse


def usage(text: str) -> tuple[str, int]:
    """``ID=N``: devices in use of a product or module."""
    name, sep, count = text.partition("=")
    if not name or not sep:
        raise arg_error("expected ID=N (devices in use), got '{text}'", text=text)
    n = seats(count)
    if n < 0:
        raise arg_error("{name}: devices in use must be 0 or more, got {n}", name=name, n=n)
    return name, n


def client_id(text: str) -> str:
    """A client id as typed: not empty, no control characters, at most 200 characters."""
    if not text.strip():
        raise arg_error("a client id cannot be empty")
    if len(text) > 200 or not text.isprintable():
        raise arg_error(
            "a client id has at most 200 printable characters, got '{text}'", text=clean(text)
        )
    return text


def module(text: str) -> tuple[str, int | None]:
    """``MODULE`` or ``MODULE=SEATS``."""
    name, sep, count = text.partition("=")
    if not name:
        raise arg_error("expected MODULE or MODULE=SEATS, got '{text}'", text=text)
    return name, (seats(count) if sep else None)


def lang(text: str) -> str:
    """A language the interface speaks, as a language tag or locale (``es``, ``es-ES``,
    ``es_MX.UTF-8``)."""
    found = language_of(text)
    if found == "en" and not text.lower().startswith("en"):
        raise arg_error("not a language this tool speaks: '{text}' (en, es)", text=text)
    return found


# -- arguments several commands share ---------------------------------------------------


def modules_option(
    p: argparse.ArgumentParser,
    help: str = "the modules wanted (repeatable; default: the old maintenance's)",
    default: list[tuple[str, int | None]] | None = None,
) -> None:
    """``--module MODULE[=SEATS]``, repeatable, gathered in ``args.modules``."""
    p.add_argument(
        "--module",
        dest="modules",
        type=module,
        action="append",
        default=default,
        metavar="MODULE[=SEATS]",
        help=help,
    )


def maintenance_arguments(p: argparse.ArgumentParser) -> None:
    """The client and one of its maintenances: what an operation on a service names."""
    p.add_argument("client", help="the client's id")
    p.add_argument("maintenance", help="the maintenance id (m1, m2, ...; see `detail`)")
