"""The renewal day in the console (R4 3/5): auto-renewal on and off, a change scheduled
for the renewal and its cancellation, each through a preview and a confirmation."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import cytolicense as cl

pytest.importorskip("starlette")
from starlette.testclient import TestClient

from cytolicense.web import create_app

TODAY = dt.date(2026, 11, 27)


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    db = str(tmp_path / "day.db")
    console = cl.Console(cl.Engine(cl.load_catalog()), cl.open_store(db, "p"))
    console.add_client("acme", "ACME", TODAY)
    request = cl.AssignmentRequest(
        product="cytomic-edr", license_type="commercial", quantity=5, period="1y"
    )
    console.apply("acme", request, TODAY)
    console.store.close()
    app = create_app(db, "p", today=TODAY)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c, db


def _stored(db: str) -> cl.Maintenance:
    store = cl.open_store(db, "p")
    try:
        return store.get("acme").maintenances[0]
    finally:
        store.close()


def _confirm(c: TestClient, query: str, **fields: str) -> str:
    """Open the action's preview, then confirm it; the page after, which says what."""
    preview = c.get(f"/clients/acme/actions?{query}")
    assert preview.status_code == 200 and 'id="confirm"' in preview.text, preview.text
    form = {
        name: html.unescape(re.search(rf'name="{name}" value="([^"]*)"', preview.text)[1])  # type: ignore[index]
        for name in ("csrf", "key", "checked", "action", "maintenance")
    }
    done = c.post("/clients/acme/actions?lang=es", data={**form, **fields, "step": "confirm"})
    assert done.status_code == 200
    return done.text


def test_auto_renewal_and_a_scheduled_change_through_preview_and_confirm(
    web: tuple[TestClient, str],
) -> None:
    c, db = web
    assert "auto_renew_on-m1" in c.get("/clients/acme").text
    preview = c.get("/clients/acme/actions?action=auto_renew_on&maintenance=m1&lang=es")
    assert "renovación automática: desactivada → activada" in preview.text
    assert _stored(db).auto_renew is False  # a preview changes nothing
    page = _confirm(c, "action=auto_renew_on&maintenance=m1")
    assert "se renueva ahora solo el 27/11/2027" in page
    assert _stored(db).auto_renew is True

    preview = c.get("/clients/acme/actions?action=schedule&maintenance=m1&seats=3&period=1y")
    assert "at the renewal: - → 3 licences, 1 year" in preview.text
    page = _confirm(c, "action=schedule&maintenance=m1&seats=3&period=1y", seats="3", period="1y")
    assert "Programado" in page
    scheduled = _stored(db).scheduled
    assert scheduled is not None and scheduled.quantity == 3

    page = _confirm(c, "action=cancel_schedule&maintenance=m1")
    assert "no hay nada programado" in page
    assert _stored(db).scheduled is None

    page = _confirm(c, "action=auto_renew_off&maintenance=m1")
    assert "ya no se renueva solo" in page
    assert _stored(db).auto_renew is False


def test_a_schedule_without_auto_renewal_is_refused_in_words(web: tuple[TestClient, str]) -> None:
    c, db = web
    r = c.get("/clients/acme/actions?action=schedule&maintenance=m1&seats=3")
    assert r.status_code == 422 and 'id="confirm"' not in r.text
    assert "does not renew by itself: turn auto-renewal on" in r.text
    assert _stored(db).scheduled is None
