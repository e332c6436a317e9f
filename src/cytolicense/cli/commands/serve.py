"""``serve``: the web console and its JSON API (needs ``cytolicense[web]``)."""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets

from ...views._text import tr
from .._args import counted
from .._run import DB_ENV, DEFAULT_DB, EXIT_OK, PARTNER_ENV, TOKEN_ENV, Command, Run, UsageError

__all__ = ["COMMANDS"]


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    p.add_argument("--port", type=counted(1, 65535), default=8000, help="the port")
    p.add_argument(
        "--token",
        default=None,
        help=f"a token every request must carry (default: ${TOKEN_ENV}); required off loopback",
    )
    p.add_argument(
        "--public-name",
        action="append",
        default=[],
        metavar="HOST",
        help="a host name browsers reach the console by (repeatable); other Host headers "
        "are refused, as DNS rebinding would send them",
    )
    p.add_argument("--workers", type=counted(1, 64), default=1, help="server processes (default 1)")
    p.add_argument(
        "--sign-in",
        action="store_true",
        help="every request acts as an operator: signed in with its password, or named by "
        "--operator-header (the token still admits services)",
    )
    p.add_argument(
        "--operator-header",
        default=None,
        metavar="NAME",
        help="a header the reverse proxy in front sets to the signed-in operator's id "
        "(e.g. X-Forwarded-User); trusted only when given",
    )
    p.add_argument(
        "--session-hours",
        type=float,
        default=8.0,
        help="how long a password sign-in lasts (default 8)",
    )
    p.add_argument(
        "--create",
        action="store_true",
        help="start a new, empty SQLite database when --db names no file (else refused)",
    )


def _wildcard(host: str) -> bool:
    """Whether *host* is an address that listens on every interface."""
    return host in ("", "0.0.0.0", "::", "[::]")


def serve(run: Run) -> int:
    host = run.args.host
    token = run.args.token or os.environ.get(TOKEN_ENV) or None
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and token is None:
        raise UsageError(
            tr(
                "serving on {host} (not a loopback address) needs a token: give --token "
                "or set {env}",
                run.lang,
                host=host,
                env=TOKEN_ENV,
            )
        )
    try:  # the web extra is optional: imported only when serving
        import uvicorn

        from ...web import LOOPBACK_HOSTS, SERVE_ENV, ServeSettings, create_app
    except ImportError:
        raise UsageError(
            tr("the web console needs its extra: pip install 'cytolicense[web]'", run.lang)
        ) from None
    partner = run.args.partner or os.environ.get(PARTNER_ENV, "default")
    if not partner.strip():
        raise UsageError(tr("the partner is empty: give --partner NAME", run.lang))
    db = _served_db(run)
    hosts = [*LOOPBACK_HOSTS, *run.args.public_name]
    if not _wildcard(host):
        hosts.append(host)
    settings = ServeSettings(
        db=db,
        partner=partner,
        today=run.args.today,
        language=run.lang,
        token=token,
        allowed_hosts=tuple(hosts),
        secret=secrets.token_hex(32),
        sign_in=run.args.sign_in,
        operator_header=run.args.operator_header,
        session_hours=run.args.session_hours,
    )
    print(
        tr("the console is at http://{host}:{port}/", run.lang, host=host, port=run.args.port),
        file=run.err,
    )
    if run.args.workers == 1:
        uvicorn.run(
            create_app(**settings.app_args()),
            host=host,
            port=run.args.port,
            log_level="warning",
        )
    else:  # each worker process builds its app from the settings in its environment
        os.environ[SERVE_ENV] = settings.to_env()
        uvicorn.run(
            "cytolicense.web:app_from_environment",
            factory=True,
            host=host,
            port=run.args.port,
            workers=run.args.workers,
            log_level="warning",
        )
    return EXIT_OK


def _served_db(run: Run) -> str:
    """The database ``serve`` opens: a SQLite file must exist unless ``--create``
    (a mistyped ``--db`` never starts an empty console), and an empty ``--db``
    never falls back to another."""
    if run.args.db == "":
        raise UsageError(
            tr(
                "the database is empty: give --db PATH or URL (or set {env}); an "
                "empty --db never falls back to another",
                run.lang,
                env=DB_ENV,
            )
        )
    path = run.sqlite_path()
    if path is not None and not path.exists() and not run.args.create:
        raise UsageError(
            tr(
                "no database at {path} (check --db or ${env}); give --create to start "
                "a new, empty one",
                run.lang,
                path=path,
                env=DB_ENV,
            )
        )
    return str(run.args.db or os.environ.get(DB_ENV) or DEFAULT_DB)


COMMANDS = (
    Command(
        "serve",
        "serve the web console and its JSON API (needs cytolicense[web])",
        serve,
        _arguments,
    ),
)
