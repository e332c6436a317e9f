"""The ``cytolicense`` command line: the global options, the parser built from the
commands' declarations (``cli/commands/``), and :func:`main`, which dispatches.

Exit status: 0 done (warnings included), 1 refused by the rules, 2 bad usage,
3 any other error (unknown client, store or catalog problem).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TextIO

from ..core._exceptions import CytolicenseError, ForbiddenError, RuleViolation
from ..core._findings import Decision
from ..core._messages import language_of
from ..views._text import tr
from ._args import day, lang
from ._run import (
    DB_ENV,
    DEFAULT_DB,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    LANG_ENV,
    PARTNER_ENV,
    Run,
    UsageError,
)
from .commands import COMMANDS

__all__ = ["main"]

_BY_NAME = {c.name: c for c in COMMANDS}


class _Help(argparse.HelpFormatter):
    """Help that shows an option's default when it has a real one."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            default not in (None, False, [], argparse.SUPPRESS)
            and "%(default)" not in text
            and "default" not in text
        ):
            words: Callable[[str], str] = getattr(argparse, "_")  # noqa: B009 (see _argparse_in)
            text += words(" (default: %(default)s)")
        return text


def _options(suppress: bool) -> argparse.ArgumentParser:
    """The global options; on subcommands they default to "not given" so that an
    option placed before the subcommand is not reset by the subcommand's parser."""
    common = argparse.ArgumentParser(add_help=False)
    none: Any = argparse.SUPPRESS if suppress else None
    common.add_argument(
        "--db",
        default=none,
        help=(
            "database: a file, sqlite:///PATH or postgresql://... "
            f"(default: ${DB_ENV} or ./{DEFAULT_DB})"
        ),
    )
    common.add_argument(
        "--partner",
        default=none,
        help=f"partner the data belongs to (default: ${PARTNER_ENV} or 'default')",
    )
    common.add_argument("--today", type=day, default=none, help="date to act on (default: today)")
    common.add_argument(
        "--lang",
        type=lang,
        metavar="{en,es}",
        default=none,
        help=f"language of messages (default: ${LANG_ENV} or en)",
    )
    common.add_argument("--actor", default=none, help="who acts (recorded in the events)")
    common.add_argument(
        "--operator",
        default=none,
        metavar="ID",
        help="act as this operator: its role and client groups are checked, and it is "
        "the actor (default: every right)",
    )
    common.add_argument("--reason", default=none, help="why (recorded in the events)")
    common.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="print JSON for scripts",
    )
    common.add_argument(
        "--key",
        default=none,
        help="an idempotency key: the same command run again with it applies nothing twice",
    )
    common.add_argument(
        "--dry-run",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="say whether a changing command would go through; change nothing",
    )
    return common


def _version() -> str:
    try:
        return version("cytolicense")
    except PackageNotFoundError:  # pragma: no cover - a source tree without metadata
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    """The whole command line: the global options, then one subcommand per command."""
    common = _options(suppress=True)
    parser = argparse.ArgumentParser(
        prog="cytolicense",
        description="Assign security products and modules to a partner's clients.",
        parents=[_options(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", help="what to do")
    for command in COMMANDS:
        command.arguments(
            sub.add_parser(
                command.name,
                help=command.help,
                description=command.help,
                parents=[common],
                formatter_class=_Help,
            )
        )
    return parser


def _language(argv: Sequence[str]) -> str:
    """The language asked for, found before parsing so that help and argparse's own
    messages come in it: ``--lang X``, ``--lang=X``, else ``$CYTOLICENSE_LANG``."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return language_of(argv[i + 1])
        if arg.startswith("--lang="):
            return language_of(arg.partition("=")[2])
    return language_of(os.environ.get(LANG_ENV, "en"))


@contextmanager
def _argparse_in(language: str) -> Iterator[None]:
    """argparse's own words (``usage:``, ``options``, its errors) in *language* while the
    command line is parsed: argparse looks them up through its module's ``_`` (gettext)
    each time, so that name is pointed at the interface table and restored after."""
    original = getattr(argparse, "_")  # noqa: B009
    if language != "en":
        setattr(argparse, "_", lambda text: tr(text, language))  # noqa: B010
    try:
        yield
    finally:
        setattr(argparse, "_", original)  # noqa: B010


def _translate(parser: argparse.ArgumentParser, language: str) -> None:
    """Every help text and description of *parser* and its subcommands in *language*."""
    if language == "en":
        return
    if parser.description:
        parser.description = tr(parser.description, language)
    for action in parser._actions:
        if action.help and action.help != argparse.SUPPRESS:
            action.help = tr(action.help, language)
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                choice.help = tr(choice.help or "", language)
            for subparser in dict.fromkeys(action.choices.values()):
                _translate(subparser, language)


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command line; returns the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    argv = list(sys.argv[1:] if argv is None else argv)
    language = _language(argv)
    with _argparse_in(language):
        parser = _parser()
        _translate(parser, language)
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:
            return int(exc.code or 0)
        if args.command is None:  # bare `cytolicense`: what it can do
            parser.print_help(out)
            return EXIT_OK
    command = _BY_NAME[args.command]
    run = Run(args, out, err, command)
    try:
        return command.handler(run)
    except RuleViolation as exc:
        return run.refused(exc.decision, exc.operation)
    except ForbiddenError as exc:  # the operator's role or scope: refused, not an error
        return run.refused(Decision((exc.finding,)), exc.action)
    except UsageError as exc:
        print(tr("error: {message}", run.lang, message=exc), file=err)
        return EXIT_USAGE
    except (CytolicenseError, ValueError, TypeError) as exc:
        message = exc.message_in(run.lang) if isinstance(exc, CytolicenseError) else str(exc)
        print(tr("error: {message}", run.lang, message=message), file=err)
        return EXIT_ERROR
    except KeyboardInterrupt:
        text = (
            "interrupted: the batches already written stay; run the same import again to resume"
            if args.command == "import"
            else "interrupted"
        )
        print(tr(text, run.lang), file=err)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`cytolicense monitoring | head`): nothing is wrong.
        # Point stdout at devnull so the interpreter's final flush does not fail too.
        if out is sys.stdout:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    finally:
        run.close()
