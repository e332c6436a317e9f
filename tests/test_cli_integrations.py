"""The command line of issue 49: ``feed``, ``webhooks``, ``deliver [--watch] [--resend ID]``."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import cytolicense as cl

from .test_cli import Cli
from .test_webhooks import SECRET, Receiver


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    c = Cli(tmp_path)
    c.env["CYTOLICENSE_WEBHOOK_ALLOW_PRIVATE"] = "1"
    return c


def test_feed_webhooks_and_deliver(cli: Cli) -> None:
    receiver = Receiver(lambda n, i: (500, 0.0) if n == 0 else (200, 0.0))
    try:
        cli("add-client", "acme", "ACME")
        added = cli.json("webhooks", "add", receiver.url, "--events", "ClientCreated")
        assert added["data"]["events"] == ["ClientCreated"]
        assert added["secret"].startswith("whsec_")
        hook = added["data"]["id"]
        out = cli("webhooks", "add", receiver.url, "--secret", SECRET).stdout
        assert "added webhook" in out and SECRET not in out  # a secret given is not echoed
        second = out.split()[2]
        listed = cli("webhooks").stdout.splitlines()
        assert sorted(line.split("\t")[0] for line in listed) == sorted([hook, second])
        assert "\tClientCreated\tenabled" in cli("webhooks").stdout
        cli("add-client", "globex", "Globex")
        cli("assign", "globex", "--product", "cytomic-edr", "--seats", "5", "--period", "1y")
        feed = cli.json("feed", "--after", "1")
        assert [i["data"]["position"] for i in feed] == [2, 3]
        assert [i["data"]["event"]["type"] for i in feed] == ["ClientCreated", "ProductAssigned"]
        assert "\tglobex\tProductAssigned" in cli("feed").stdout
        # One pass: the first request fails (500), the others go through.
        assert "sent 3 request(s)" in cli("deliver").stdout
        assert len(receiver.got) == 3
        # Removing a webhook stops its deliveries.
        assert "removed webhook" in cli("webhooks", "remove", second).stdout
        cli("webhooks", "remove", second, code=3)
        es = cli("webhooks", "--lang", "es").stdout
        assert "activo" in es
    finally:
        receiver.close()


def test_resend_a_dead_delivery(cli: Cli) -> None:
    receiver = Receiver()
    try:
        hook = cli.json("webhooks", "add", receiver.url)["data"]["id"]
        cli("add-client", "acme", "ACME")
        cli("deliver")
        store = cl.Store(cli.db, "default")
        (done,) = cl.Console(cl.Engine(cl.load_catalog()), store).deliveries()
        store.close()
        assert done.webhook == hook and done.status == "delivered"
        out = cli("deliver", "--resend", done.id).stdout
        assert "is due again" in out and "sent 1 request(s)" in out
        assert receiver.ids() == [done.id, done.id]
    finally:
        receiver.close()


def test_deliver_watch_stops_on_sigterm(cli: Cli) -> None:
    receiver = Receiver()
    try:
        cli("webhooks", "add", receiver.url)
        cli("add-client", "acme", "ACME")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cytolicense",
                "deliver",
                "--watch",
                "--interval",
                "1",
                "--db",
                str(cli.db),
            ],
            stdout=subprocess.PIPE,
            text=True,
            cwd=cli.cwd,
            env={**cli.env},
        )
        deadline = time.monotonic() + 30
        while not receiver.got and time.monotonic() < deadline:
            time.sleep(0.05)
        cli("add-client", "globex", "Globex")  # picked up by the running worker
        while len(receiver.got) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0
        assert "stopped" in out
        assert [json.loads(b)["client"] for _, b in receiver.got] == ["acme", "globex"]
    finally:
        receiver.close()


def test_a_private_url_is_refused_without_the_switch(cli: Cli) -> None:
    env = {k: v for k, v in cli.env.items() if k != "CYTOLICENSE_WEBHOOK_ALLOW_PRIVATE"}
    cli.env = env
    result = cli("webhooks", "add", "http://127.0.0.1:9/x", code=3)
    assert "CYTOLICENSE_WEBHOOK_ALLOW_PRIVATE" in result.stderr
