"""The web console's webhooks page and the feed in the JSON API (issue 49)."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette")
from starlette.testclient import TestClient

import cytolicense as cl
from cytolicense.web import create_app

from .test_webhooks import Receiver

TODAY = dt.date(2026, 11, 27)


@pytest.fixture(autouse=True)
def _private_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CYTOLICENSE_WEBHOOK_ALLOW_PRIVATE", "1")


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "web.db")


@pytest.fixture
def web(db: str) -> Iterator[TestClient]:
    app = create_app(db, "p", today=TODAY)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as c:
        yield c


def _hidden(page: str) -> dict[str, str]:
    return {
        m.group(1): html.unescape(m.group(2))
        for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    }


def _text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(page)).split())


def test_the_feed_in_the_json_api(web: TestClient) -> None:
    for cid in ("acme", "globex", "initech"):
        assert web.post("/api/clients", json={"id": cid, "name": cid.title()}).status_code == 201
    first = web.get("/api/feed?limit=2").json()
    assert [i["data"]["position"] for i in first["items"]] == [1, 2] and first["next"] == 2
    assert first["items"][0]["type"] == "FeedItem"
    assert first["items"][0]["data"]["event"]["type"] == "ClientCreated"
    rest = web.get(f"/api/feed?after={first['next']}").json()
    assert [i["data"]["client"] for i in rest["items"]] == ["initech"]
    assert web.get("/api/feed?after=3").json() == {"items": [], "next": None}
    for bad in ("after=-1", "limit=0", "limit=1001", "after=x"):
        r = web.get(f"/api/feed?{bad}")
        assert r.status_code == 400 and "error" in r.json()
    assert "/api/feed" in web.get("/openapi.json").json()["paths"]


def test_add_and_remove_a_webhook_with_a_preview_and_a_confirmation(
    web: TestClient, db: str
) -> None:
    receiver = Receiver()
    try:
        page = web.get("/webhooks")
        assert page.status_code == 200 and "No webhooks yet." in _text(page.text)
        form = {
            "csrf": _hidden(page.text)["csrf"],
            "url": receiver.url,
            "events": "",
            "step": "preview",
        }
        preview = web.post("/webhooks", data=form)
        assert preview.status_code == 200
        fields = _hidden(preview.text)
        assert fields["secret"].startswith("whsec_") and fields["secret"] in preview.text
        store = cl.Store(db, "p")
        console = cl.Console(cl.Engine(cl.load_catalog()), store)
        assert console.webhooks() == ()  # a preview changes nothing
        done = web.post("/webhooks", data={**fields, "step": "confirm"})
        assert done.status_code == 303
        (hook,) = console.webhooks()
        after = web.get(done.headers["location"])
        assert f"Webhook {hook.id} added" in _text(after.text)
        # The same URL again is refused (a double click adds one).
        again = web.post("/webhooks", data={**fields, "step": "confirm"})
        assert again.status_code == 400 and len(console.webhooks()) == 1
        # A delivery shows with its state, tries and next try.
        console.add_client("acme", "ACME", TODAY)
        assert console.deliver() == 1
        listed = _text(web.get("/webhooks").text)
        assert "ClientCreated" in listed and "delivered" in listed and "200" in listed
        assert "entregada" in _text(web.get("/webhooks?lang=es").text)
        # Remove: a preview, then the confirmation.
        removing = web.get(f"/webhooks/{hook.id}/remove")
        assert removing.status_code == 200 and receiver.url in removing.text
        assert len(console.webhooks()) == 1
        gone = web.post(f"/webhooks/{hook.id}/remove", data=_hidden(removing.text))
        assert gone.status_code == 303 and console.webhooks() == ()
        assert web.get(f"/webhooks/{hook.id}/remove").status_code == 404
        store.close()
    finally:
        receiver.close()


def test_bad_input_and_forged_forms_are_refused(
    web: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = web.get("/webhooks")
    csrf = _hidden(page.text)["csrf"]
    for url in ("ftp://example.com/x", "not a url"):
        r = web.post("/webhooks", data={"csrf": csrf, "url": url, "step": "preview"})
        assert r.status_code == 400
    r = web.post(
        "/webhooks",
        data={"csrf": csrf, "url": "http://127.0.0.1:9/x", "events": "Nope", "step": "preview"},
    )
    assert r.status_code == 400 and "unknown event type" in _text(r.text)
    monkeypatch.delenv("CYTOLICENSE_WEBHOOK_ALLOW_PRIVATE")
    r = web.post("/webhooks", data={"csrf": csrf, "url": "http://127.0.0.1:9/x", "step": "preview"})
    assert r.status_code == 400 and "CYTOLICENSE_WEBHOOK_ALLOW_PRIVATE" in _text(r.text)
    forged = web.post("/webhooks", data={"csrf": "forged", "url": "http://127.0.0.1:9/x"})
    assert forged.status_code == 403
