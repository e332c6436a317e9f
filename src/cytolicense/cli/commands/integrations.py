"""``feed``, ``webhooks`` and ``deliver``: the partner's event feed, its webhooks and
the worker that sends their deliveries (``deliver --watch``, stopped by SIGTERM)."""

from __future__ import annotations

import argparse
import signal
import threading

from ...store._delivery import new_secret, watch
from ...store._serialize import to_data
from ...views._text import tr
from .._args import counted
from .._run import EXIT_OK, Command, Run, UsageError

__all__ = ["COMMANDS"]


# -- feed -----------------------------------------------------------------------------------


def _feed_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--after", type=counted(0), default=0, help="only the items after this position")
    p.add_argument("--limit", type=counted(1, 10_000), default=100, help="at most this many items")


def feed(run: Run) -> int:
    items = run.console().feed(after=run.args.after, limit=run.args.limit)
    if run.json:
        run.emit([to_data(i) for i in items])
        return EXIT_OK
    for i in items:
        kind = type(i.event).__name__
        print(f"{i.position}\t{i.event.on.isoformat()}\t{i.client or '-'}\t{kind}", file=run.out)
    return EXIT_OK


# -- webhooks -------------------------------------------------------------------------------


def _webhooks_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "action",
        nargs="*",
        metavar="list | add URL | remove ID",
        help="list the webhooks (the default), add one, or remove one",
    )
    p.add_argument(
        "--secret",
        default=None,
        help="the signing secret (whsec_ and the key in base64); a new one when not given",
    )
    p.add_argument(
        "--events",
        default=None,
        help="only these event types, comma-separated (ClientCreated,ProductAssigned)",
    )


def _webhooks_read_only(args: argparse.Namespace) -> bool:
    return not args.action or args.action == ["list"]


def webhooks(run: Run) -> int:
    action = list(run.args.action) or ["list"]
    console = run.console()
    if action == ["list"]:
        hooks = console.webhooks()
        if run.json:
            run.emit([to_data(h) for h in hooks])
            return EXIT_OK
        for h in hooks:
            state = (
                tr("disabled on {day} (410 Gone)", run.lang, day=h.disabled_on.isoformat())
                if h.disabled_on is not None
                else tr("enabled", run.lang)
            )
            kinds = ",".join(sorted(h.events)) if h.events is not None else "*"
            print(f"{h.id}\t{h.url}\t{kinds}\t{state}", file=run.out)
        return EXIT_OK
    if action[0] == "add" and len(action) == 2:
        events = None
        if run.args.events is not None:
            events = [e.strip() for e in run.args.events.split(",") if e.strip()]
        secret = run.args.secret or new_secret()
        if run.args.dry_run:
            from ...store._delivery import check_url

            check_url(action[1])
            print(tr("ok: the webhook would be added (nothing changed)", run.lang), file=run.out)
            return EXIT_OK
        hook = console.add_webhook(action[1], secret, run.today, events=events)
        if run.json:
            run.emit({**to_data(hook), "secret": secret})
        else:
            print(tr("added webhook {id}", run.lang, id=hook.id), file=run.out)
            if run.args.secret is None:
                print(
                    tr("its secret (shown once, keep it): {secret}", run.lang, secret=secret),
                    file=run.out,
                )
        return EXIT_OK
    if action[0] == "remove" and len(action) == 2:
        if run.args.dry_run:
            if action[1] not in {h.id for h in console.webhooks()}:
                raise UsageError(tr("no webhook {id}", run.lang, id=action[1]))
            print(tr("ok: the webhook would be removed (nothing changed)", run.lang), file=run.out)
            return EXIT_OK
        console.remove_webhook(action[1], run.today)
        print(tr("removed webhook {id}", run.lang, id=action[1]), file=run.out)
        return EXIT_OK
    raise UsageError(
        tr("expected `webhooks`, `webhooks add URL` or `webhooks remove ID`", run.lang)
    )


# -- deliver --------------------------------------------------------------------------------


def _deliver_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--watch",
        action="store_true",
        help="keep delivering as a worker until stopped (SIGTERM or Ctrl-C)",
    )
    p.add_argument(
        "--resend",
        metavar="ID",
        default=None,
        help="send a dead delivery again (its webhook-id), then deliver",
    )
    p.add_argument(
        "--interval",
        type=counted(1, 3600),
        default=2,
        help="seconds a worker waits when nothing was due",
    )
    p.add_argument(
        "--timeout",
        type=counted(1, 120),
        default=10,
        help="seconds each request may take to connect, and each read",
    )


def deliver(run: Run) -> int:
    console = run.console()
    if run.args.resend is not None:
        again = console.resend(run.args.resend)
        print(tr("delivery {id} is due again", run.lang, id=again.id), file=run.out)
    if not run.args.watch:
        count = console.deliver(timeout=run.args.timeout)
        if run.json:
            run.emit({"sent": count})
        else:
            print(tr("sent {count} request(s)", run.lang, count=count), file=run.out)
        return EXIT_OK
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)
    }

    def said(count: int) -> None:
        if count:
            print(tr("sent {count} request(s)", run.lang, count=count), file=run.out, flush=True)

    try:
        watch(
            lambda s: console.deliver(timeout=run.args.timeout, stop=s),
            stop,
            interval=run.args.interval,
            on_pass=said,
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print(tr("stopped; the next worker resumes where this one was", run.lang), file=run.out)
    return EXIT_OK


COMMANDS = (
    Command(
        "feed",
        "the partner's event feed, from a position on (`feed --after N`)",
        feed,
        _feed_arguments,
        reads_only=True,
    ),
    Command(
        "webhooks",
        "the partner's webhooks: `webhooks`, `webhooks add URL`, `webhooks remove ID`",
        webhooks,
        _webhooks_arguments,
        reads_only=_webhooks_read_only,
    ),
    Command(
        "deliver",
        "send the feed's events to the webhooks (once, or `--watch` as a worker)",
        deliver,
        _deliver_arguments,
    ),
)
