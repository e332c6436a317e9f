"""What a browser or a broken database can do to the console, refused or survived
(R4 0/5): forged cross-site writes, DNS rebinding, tokens, dry runs that applied,
oversized bodies, the router's errors, store faults in bodies, a restarted server."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cytolicense as cl

pytest.importorskip("starlette")
from starlette.testclient import TestClient

from cytolicense.web import create_app

TODAY = dt.date(2026, 11, 27)
EDR = json.loads(
    cl.to_json(
        cl.AssignmentRequest(
            product="cytomic-edr", license_type="commercial", quantity=5, period="1y"
        )
    )
)


@pytest.fixture
def app_db(tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    db = str(tmp_path / "sec.db")
    app = create_app(db, "p", today=TODAY)
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        assert c.post("/api/clients", json={"id": "acme", "name": "ACME"}).status_code == 201
        yield c, db


def _maintenances(db: str) -> int:
    store = cl.open_store(db, "p")
    try:
        return len(store.get("acme").maintenances)
    finally:
        store.close()


def test_a_cross_site_text_plain_post_changes_nothing(app_db: tuple[TestClient, str]) -> None:
    c, db = app_db
    path = "/api/clients/acme/operations"
    forged = c.post(path, content=json.dumps(EDR), headers={"Content-Type": "text/plain"})
    assert forged.status_code == 415 and "error" in forged.json()
    form = c.post(
        path, content="x=1", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert form.status_code == 415
    other = c.post(path, json=EDR, headers={"Origin": "https://evil.example"})
    assert other.status_code == 403 and "Origin" in other.json()["error"]
    fetch = c.post(path, json=EDR, headers={"Sec-Fetch-Site": "cross-site"})
    assert fetch.status_code == 403
    sibling = c.post(path, json=EDR, headers={"Sec-Fetch-Site": "same-site"})
    assert sibling.status_code == 403
    deleted = c.post(
        path,
        content=cl.to_json(cl.DeleteClient()),
        headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": "https://evil.example"},
    )
    assert deleted.status_code == 403
    assert _maintenances(db) == 0 and c.get("/api/clients/acme").status_code == 200
    # The same origin, a person's own tab, and a service without Content-Type are served.
    same = c.post(
        path,
        json=EDR,
        headers={"Origin": "http://127.0.0.1:8000", "Sec-Fetch-Site": "same-origin"},
    )
    assert same.status_code == 200
    assert _maintenances(db) == 1


def test_a_host_the_app_does_not_serve_is_refused(tmp_path: Path) -> None:
    app = create_app(str(tmp_path / "h.db"), "p", today=TODAY)
    with TestClient(app, base_url="http://rebound.evil.example") as c:
        r = c.get("/api/clients")
        assert r.status_code == 421 and "rebound.evil.example" in r.json()["error"]
    for host in ("localhost:8000", "127.0.0.1", "[::1]:8000"):
        with TestClient(app, base_url=f"http://{host}") as c:
            assert c.get("/api/clients").status_code == 200, host
    named = create_app(str(tmp_path / "h.db"), "p", today=TODAY, allowed_hosts=["licences.example"])
    with TestClient(named, base_url="https://licences.example") as c:
        assert c.get("/api/clients").status_code == 200
    with TestClient(named, base_url="http://127.0.0.1") as c:
        assert c.get("/api/clients").status_code == 421


def test_tokens_are_checked_as_documented(tmp_path: Path) -> None:
    app = create_app(str(tmp_path / "t.db"), "p", today=TODAY, token="s3cret")
    with TestClient(app, base_url="http://127.0.0.1") as c:
        assert c.get("/api/clients").status_code == 401
        assert c.get("/api/clients", headers={"Authorization": "s3cret"}).status_code == 401
        assert c.get("/api/clients", headers={"Authorization": "Basic s3cret"}).status_code == 401
        assert c.get("/api/clients", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert c.get("/api/clients", headers={"Authorization": "bearer s3cret"}).status_code == 200
        wrong = c.get("/login?token=anything", follow_redirects=False)
        assert wrong.status_code == 401 and "cytolicense_token" not in wrong.cookies
        assert c.get("/api/clients").status_code == 401
        right = c.get("/login?token=s3cret", follow_redirects=False)
        assert right.status_code == 303
        assert c.get("/api/clients").status_code == 200


@pytest.mark.parametrize("value", ["on", "y", "t", "2", " true", "yes", "TRUE"])
def test_a_dry_run_flag_not_understood_applies_nothing(
    app_db: tuple[TestClient, str], value: str
) -> None:
    c, db = app_db
    r = c.post("/api/clients/acme/operations", params={"dry_run": value}, json=EDR)
    assert r.status_code == 400 and "dry_run" in r.json()["error"]
    assert _maintenances(db) == 0
    for dry in ("true", "1"):
        r = c.post("/api/clients/acme/operations", params={"dry_run": dry}, json=EDR)
        assert r.status_code == 200 and set(r.json()) == {"decision"}
    assert _maintenances(db) == 0
    r = c.post("/api/clients/acme/operations", params={"dry_run": "false"}, json=EDR)
    assert r.status_code == 200 and _maintenances(db) == 1


def test_a_chunked_body_over_the_limit_is_413(app_db: tuple[TestClient, str]) -> None:
    c, db = app_db

    def chunks() -> Iterator[bytes]:
        yield b'{"type": "AssignmentRequest", "pad": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    r = c.post(
        "/api/clients/acme/operations",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413 and r.json() == {"error": "request body too large"}
    assert _maintenances(db) == 0


def test_the_routers_errors_are_json(app_db: tuple[TestClient, str]) -> None:
    c, _ = app_db
    r = c.get("/api/no-such-thing")
    assert r.status_code == 404 and "error" in r.json()
    r = c.delete("/api/clients/acme/operations")
    assert r.status_code == 405 and "error" in r.json()


def test_bodies_that_are_not_json_say_what_is_wrong(app_db: tuple[TestClient, str]) -> None:
    c, _ = app_db
    path = "/api/clients/acme/operations"
    big = '{"type": "Modify", "data": {"maintenance": "m1", "quantity": ' + "9" * 4301 + "}}"
    r = c.post(path, content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "digits" in r.json()["error"]
    r = c.post(path, content=b"\xff\xfe{", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "UTF-8" in r.json()["error"]
    r = c.post(path, content='{"type": NaN}', headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "NaN" in r.json()["error"]


def test_a_store_fault_is_5xx_naming_no_path_or_url(
    app_db: tuple[TestClient, str], monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    c, db = app_db

    def broken(*args: object, **kw: object) -> None:
        raise cl.StoreError(f"{db}: disk I/O error at postgresql://admin:pw@db:5432/prod")

    monkeypatch.setattr(cl.Console, "offer", broken)
    with caplog.at_level(logging.ERROR, logger="cytolicense.web"):
        r = c.get("/api/clients/acme/offer")
    assert r.status_code == 503
    assert db not in r.text and "postgresql" not in r.text and "pw" not in r.text
    rid = r.headers["x-request-id"]
    assert rid in caplog.text and db in caplog.text  # the detail is in the log


def test_a_write_that_keeps_losing_races_is_409_retry(
    app_db: tuple[TestClient, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    c, _ = app_db
    calls = []

    def raced(self: cl.Console, *args: object, **kw: object) -> None:
        calls.append(1)
        raise cl.ConflictError("acme", 1, 2)

    monkeypatch.setattr(cl.Console, "_apply", raced)
    r = c.post("/api/clients/acme/operations", json=EDR)
    assert r.status_code == 409 and r.json()["retry"] is True
    assert len(calls) > 1  # retried before giving up


def test_the_console_reconnects_after_postgresql_restarts(postgres_server: Any) -> None:
    server = postgres_server
    app = create_app(server.url, "p", today=TODAY)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        assert c.post("/api/clients", json={"id": "acme", "name": "ACME"}).status_code == 201
        assert c.get("/api/clients/acme").status_code == 200
        server.stop()
        down = c.get("/api/health")
        assert down.status_code == 503 and down.json()["retry"] is True
        assert "host=" not in down.text and server.url not in down.text
        r = c.get("/api/clients/acme")
        assert r.status_code == 503
        server.start()
        assert c.get("/api/health").status_code == 200
        assert c.get("/api/clients/acme").status_code == 200
        r = c.post("/api/clients/acme/operations", json=EDR)
        assert r.status_code == 200
    app.state.consoles.close()


def test_the_api_speaks_the_callers_language(app_db: tuple[TestClient, str]) -> None:
    c, _ = app_db
    too_many = json.loads(
        cl.to_json(
            cl.AssignmentRequest(
                product="cytomic-edr",
                license_type="commercial",
                quantity=5,
                period="1y",
                modules={"cytomic-encryption": 50},
            )
        )
    )
    path = "/api/clients/acme/operations"
    es = c.post(path, json=too_many, headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert es.status_code == 422 and es.headers["content-language"] == "es"
    assert "licencias" in es.json()["messages"][0].lower()
    en = c.post(path, params={"dry_run": "true", "lang": "en"}, json=too_many)
    assert en.status_code == 200 and "seats" in en.json()["messages"][0].lower()
    plain = c.post(path, json=too_many)  # a service that asks for no language
    assert set(plain.json()) == {"decision"}
    missing = c.get("/api/clients/nope", headers={"Accept-Language": "es"})
    assert missing.status_code == 404 and "no tiene ningún cliente" in missing.json()["error"]


def test_a_library_console_reconnects_after_postgresql_restarts(postgres_server: Any) -> None:
    """Unkeyed library calls (``add_client``) on a handle whose server restarted: the
    call that finds the connection lost fails, the next ones work."""
    server = postgres_server
    console = cl.Console(cl.Engine(cl.load_catalog()), cl.open_store(server.url, "p"))
    try:
        console.add_client("before", "Before", TODAY)
        server.stop()
        with pytest.raises(cl.ConnectionLostError):
            console.add_client("during", "During", TODAY)
        server.start()
        console.add_client("after", "After", TODAY)
        assert console.store.get("before").name == "Before"
        assert {c.id for c in console.store.clients()} == {"before", "after"}
    finally:
        console.store.close()


def test_the_client_list_comes_in_pages(app_db: tuple[TestClient, str]) -> None:
    c, _ = app_db
    for i in range(5):
        c.post("/api/clients", json={"id": f"c{i}", "name": f"Ñandú {i}"})
    seen, after = [], ""
    while True:
        page = c.get("/api/clients", params={"limit": 2, "after": after}).json()
        seen += [row["id"] for row in page["clients"]]
        if page["next"] is None:
            break
        after = page["next"]
    assert seen == sorted(["acme", *(f"c{i}" for i in range(5))])
    assert len(c.get("/api/clients").json()["clients"]) == 6  # no limit: every client
    for bad in ("0", "-1", "x", "1001"):
        r = c.get("/api/clients", params={"limit": bad})
        assert r.status_code == 400 and "limit" in r.json()["error"]


def test_whole_numbers_written_with_a_fraction_and_bad_keys_on_dry_runs(
    app_db: tuple[TestClient, str],
) -> None:
    c, db = app_db
    path = "/api/clients/acme/operations"
    body = json.dumps(EDR).replace('"quantity": 5', '"quantity": 5.0')
    body = body.replace('"cytolicense": 2', '"cytolicense": 2.0')
    assert "5.0" in body and "2.0" in body
    headers = {"Content-Type": "application/json"}
    r = c.post(path, params={"dry_run": "true"}, content=body, headers=headers)
    assert r.status_code == 200, r.text  # JSON Schema's integer: 5.0 is 5
    half = body.replace('"quantity": 5.0', '"quantity": 5.5')
    assert c.post(path, content=half, headers=headers).status_code == 400
    long_key = {"Idempotency-Key": "k" * 201}
    r = c.post(path, params={"dry_run": "true"}, json=EDR, headers=long_key)
    assert r.status_code == 400 and "key" in r.json()["error"]
    assert _maintenances(db) == 0


def test_a_caller_that_leaves_mid_body_is_no_server_fault(tmp_path: Path, caplog: Any) -> None:
    """wrk closing its connections while a POST body is read: no traceback, no 500."""
    import asyncio

    app = create_app(str(tmp_path / "gone.db"), "p", today=TODAY)
    sent: list[dict[str, Any]] = []

    async def run() -> None:
        messages = [
            {"type": "http.request", "body": b'{"type": "Del', "more_body": True},
            {"type": "http.disconnect"},
        ]

        async def receive() -> dict[str, Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/api/clients/acme/operations",
            "raw_path": b"/api/clients/acme/operations",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json")],
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000),
        }
        await app(scope, receive, send)

    with caplog.at_level(logging.DEBUG, logger="cytolicense.web"):
        asyncio.run(run())
    assert "Traceback" not in caplog.text and "error serving" not in caplog.text
    assert sent[0]["status"] != 500
