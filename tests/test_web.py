"""The web console's JSON API and pages, through Starlette's test client (R3 2/6)."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cytolicense as cl

pytest.importorskip("starlette")
pytest.importorskip("jinja2")
from starlette.testclient import TestClient

from cytolicense.web import Identity, create_app

TODAY = dt.date(2026, 11, 27)
EDR_1M = cl.to_json(
    cl.AssignmentRequest(product="cytomic-edr", license_type="commercial", quantity=5, period="1m")
)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "web.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def client(db: str) -> Iterator[TestClient]:
    app = create_app(db, f"web-{uuid.uuid4().hex[:8]}", today=TODAY)
    with TestClient(app) as c:
        yield c
    app.state.consoles.close()


def test_the_api_as_the_contract_says(client: TestClient) -> None:
    assert client.get("/api/health").json() == {"status": "ok"}
    added = client.post("/api/clients", json={"id": "acme", "name": "ACME"})
    assert added.status_code == 201 and added.json()["type"] == "Client"
    assert client.post("/api/clients", json={"id": "acme", "name": "Again"}).status_code == 409
    for bad in ({"id": "", "name": "x"}, {"id": "a"}, {"id": 5, "name": "x"}, [1]):
        assert client.post("/api/clients", json=bad).status_code == 400
    listed = client.get("/api/clients").json()["clients"]
    assert [(c["id"], c["name"], c["shown"]) for c in listed] == [("acme", "ACME", True)]
    assert client.get("/api/clients/acme").json()["data"]["id"] == "acme"
    assert client.get("/api/clients/nope").status_code == 404
    offer = client.get("/api/clients/acme/offer").json()["products"]
    assert [o["data"]["product"] for o in offer] == ["cytomic-edr", "cytomic-epdr"]
    # dry run: the decision, nothing changes
    dry = client.post("/api/clients/acme/operations?dry_run=true", content=EDR_1M)
    assert dry.status_code == 200
    assert [f["code"] for f in dry.json()["decision"]["data"]["findings"]] == ["period.not_enabled"]
    assert len(client.get("/api/clients/acme/history").json()["events"]) == 1
    # applied, with its key; the retry answers the same and applies nothing
    done = client.post(
        "/api/clients/acme/operations", content=EDR_1M, headers={"Idempotency-Key": "k-1"}
    )
    assert done.status_code == 200 and set(done.json()) == {"decision", "client"}
    again = client.post(
        "/api/clients/acme/operations", content=EDR_1M, headers={"Idempotency-Key": "k-1"}
    )
    assert again.json() == done.json()
    assert len(client.get("/api/clients/acme/history").json()["events"]) == 2
    other = cl.to_json(
        cl.AssignmentRequest(
            product="cytomic-edr", license_type="commercial", quantity=6, period="1y"
        )
    )
    assert (
        client.post(
            "/api/clients/acme/operations", content=other, headers={"Idempotency-Key": "k-1"}
        ).status_code
        == 409
    )
    # refused: 422 with the decision's errors, nothing changes
    epdr = cl.to_json(
        cl.AssignmentRequest(
            product="cytomic-epdr", license_type="commercial", quantity=1, period="1y"
        )
    )
    refused = client.post("/api/clients/acme/operations", content=epdr)
    assert refused.status_code == 422
    assert [f["code"] for f in refused.json()["decision"]["data"]["findings"]] == [
        "family.already_assigned"
    ]
    assert len(client.get("/api/clients/acme/history").json()["events"]) == 2
    # not JSON, not an operation: 400 with a sentence; unknown client: 404
    for body in ("{", "[]", json.dumps({"type": "Nope"}), cl.to_json(cl.Pool())):
        r = client.post("/api/clients/acme/operations", content=body)
        assert r.status_code == 400 and "error" in r.json(), body
    assert client.post("/api/clients/nope/operations", content=EDR_1M).status_code == 404
    # a body over the limit: 413
    assert client.post("/api/clients", content=b"x" * (2 << 20)).status_code == 413
    # the OpenAPI document names every path
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/health",
        "/api/clients",
        "/api/clients/{client_id}",
        "/api/clients/{client_id}/offer",
        "/api/clients/{client_id}/operations",
        "/api/clients/{client_id}/history",
    ):
        assert path in paths


def test_the_openapi_document_is_valid_and_its_schemas_resolve(client: TestClient) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    components = doc["components"]["schemas"]
    text = json.dumps(doc)
    for ref in set(re.findall(r'"#/components/schemas/([^"]+)"', text)):
        assert ref in components, ref
    # A document the library writes validates against its component.
    schema = {**components["AssignmentRequestDocument"], "components": doc["components"]}
    validator = jsonschema.Draft202012Validator(
        json.loads(json.dumps(schema).replace("#/components/", "#/components/"))
    )
    assert validator.is_valid(json.loads(EDR_1M))


def test_a_server_error_is_a_500_without_a_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(str(tmp_path / "x.db"), "p", today=TODAY)
    with TestClient(app, raise_server_exceptions=False) as c:
        c.post("/api/clients", json={"id": "acme", "name": "A"})

        def broken(*args: Any, **kw: Any) -> Any:
            raise RuntimeError("the disk is on fire")

        monkeypatch.setattr(cl.Console, "offer", broken)
        r = c.get("/api/clients/acme/offer")
    assert r.status_code == 500 and r.json() == {"error": "internal server error"}
    assert "disk is on fire" not in r.text and "Traceback" not in r.text
    assert "disk is on fire" in caplog.text  # in the server's log


def test_a_token_guards_every_request(tmp_path: Path) -> None:
    app = create_app(str(tmp_path / "t.db"), "p", today=TODAY, token="s3cret")
    with TestClient(app) as c:
        assert c.get("/api/clients").status_code == 401
        assert c.post("/api/clients", json={"id": "a", "name": "A"}).status_code == 401
        assert c.get("/").status_code == 401
        auth = {"Authorization": "Bearer s3cret"}
        assert (
            c.post("/api/clients", json={"id": "a", "name": "A"}, headers=auth).status_code == 201
        )
        assert c.get("/api/clients", headers={"Authorization": "Bearer wrong"}).status_code == 401
        c.get("/login?token=s3cret")  # a browser keeps it in a cookie
        assert c.get("/").status_code == 200


def test_the_hosts_authentication_names_the_actor_and_partner(tmp_path: Path) -> None:
    def login(request: Any) -> Identity | None:
        user = request.headers.get("x-user")
        return Identity(actor=user, partner=f"partner-of-{user}") if user else None

    app = create_app(str(tmp_path / "h.db"), "p", today=TODAY, authenticate=login)
    with TestClient(app) as c:
        assert c.get("/api/clients").status_code == 401
        ana = {"x-user": "ana"}
        c.post("/api/clients", json={"id": "acme", "name": "A"}, headers=ana)
        c.post("/api/clients/acme/operations", content=EDR_1M, headers=ana)
        events = c.get("/api/clients/acme/history", headers=ana).json()["events"]
        assert [e["data"]["actor"] for e in events] == ["ana", "ana"]
        # Bob's partner has no such client: the partner comes from the login, not the URL.
        assert c.get("/api/clients/acme", headers={"x-user": "bob"}).status_code == 404


def _hidden(html: str) -> dict[str, str]:
    """The hidden fields of a page's forms (the last of each name)."""
    import html as markup

    return {
        m.group(1): markup.unescape(m.group(2))
        for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    }


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_forms_need_their_csrf_token_and_names_are_escaped(tmp_path: Path) -> None:
    app = create_app(str(tmp_path / "f.db"), "p", today=TODAY)
    with TestClient(app, follow_redirects=False) as c:
        page = c.get("/")
        token = _csrf(page.text)
        refused = c.post("/clients", data={"id": "x", "name": "X"})  # no token
        assert refused.status_code == 403
        assert (
            c.post("/clients", data={"id": "x", "name": "X", "csrf": "forged"}).status_code == 403
        )
        evil = '<script>alert("pwned")</script>'
        ok = c.post("/clients", data={"id": "evil", "name": evil, "csrf": token})
        assert ok.status_code == 303
        assert ok.headers["location"] == "/clients/evil?done=add_client"
        for path in ("/", "/clients/evil"):
            html = c.get(path).text
            assert evil not in html and "&lt;script&gt;" in html
        # Another browser (no session cookie) cannot reuse the token.
        other = TestClient(app, follow_redirects=False)
        assert (
            other.post("/clients", data={"id": "y", "name": "Y", "csrf": token}).status_code == 403
        )


def test_the_pages_in_english_and_spanish(tmp_path: Path) -> None:
    app = create_app(str(tmp_path / "p.db"), "p", today=TODAY)
    with TestClient(app) as c:
        c.post("/api/clients", json={"id": "acme", "name": "ACME"})
        c.post("/api/clients/acme/operations", content=EDR_1M)
        es = c.get("/", headers={"Accept-Language": "es-ES,es;q=0.9"}).text
        assert "Monitorización" in es and "27/11/2026" in es
        assert "Monitoring" in c.get("/").text and "27 Nov 2026" in c.get("/").text
        detail = c.get("/clients/acme?lang=es").text
        assert "Añadir producto" in detail and "modificar" in detail and "27/12/2026" in detail
        add = c.get("/clients/acme/add?lang=es").text
        assert "Tipo de licencia" in add and "no habilitado por el fabricante: avisa" in add
        for path in ("/expiring", "/forecast?months=36", "/pool", "/clients/acme/history"):
            assert (
                c.get(path + "?lang=es" if "?" not in path else path + "&lang=es").status_code
                == 200
            )
        assert c.get("/clients/nope").status_code == 404


def test_serve_refuses_a_public_address_without_a_token(tmp_path: Path) -> None:
    from cytolicense.cli._cli import main

    assert main(["--db", str(tmp_path / "s.db"), "serve", "--host", "0.0.0.0"]) == 2


def test_every_string_of_the_templates_has_its_spanish() -> None:
    from cytolicense.core._messages import UI

    folder = Path(cl.__file__).parent / "web" / "templates"
    found = set()
    for page in folder.glob("*.html"):
        for m in re.finditer(
            r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""", page.read_text()
        ):
            found.add(m.group(1) or m.group(2))
    assert len(found) > 40
    missing = sorted(t for t in found if t not in UI["es"])
    assert not missing


def test_a_refused_dialog_and_action_show_the_refusal_and_every_finding(tmp_path: Path) -> None:
    app = create_app(str(tmp_path / "r.db"), "p", today=TODAY)
    with TestClient(app) as c:
        c.post("/api/clients", json={"id": "acme", "name": "ACME"})
        c.post("/api/clients/acme/operations", content=EDR_1M)
        token = _csrf(c.get("/clients/acme/add?product=cytomic-epdr").text)
        fields = {"csrf": token, "product": "cytomic-epdr", "license_type": "commercial"}
        r = c.post("/clients/acme/add?lang=es", data={**fields, "quantity": "3", "period": "1y"})
        assert r.status_code == 422
        assert "No se puede asignar el producto:" in r.text
        assert 'data-code="family.already_assigned"' in r.text and 'id="confirm"' not in r.text
        # A person reads names, not codes or ids.
        assert "Cytomic Advanced EDR" in r.text and "[family.already_assigned]" not in r.text
        assert "'cytomic-edr'" not in r.text
        bad = c.post("/clients/acme/add", data={**fields, "quantity": "1_0", "period": "1y"})
        assert bad.status_code == 400
        # A refused action in the context menu: its preview with the refusal, no Confirm.
        r = c.post(
            "/clients/acme/actions?lang=es",
            data={"csrf": token, "action": "modify", "maintenance": "m1", "seats": "0"},
        )
        assert r.status_code == 422 and "No se pueden modificar las licencias:" in r.text
        assert 'data-code="quantity.invalid"' in r.text and 'id="confirm"' not in r.text


def test_a_language_is_one_catalog_file(tmp_path: Path) -> None:
    """R3 2/6: the interface strings are gettext catalogs; a folder with one more
    catalog is one more language, and a broken catalog says its line."""
    import shutil

    from cytolicense.core._messages import CATALOGS, UI, _catalogs
    from cytolicense.core._po import parse_po

    source = Path(cl.__file__).parent / "locale" / "es.po"
    shutil.copy(source, tmp_path / "es.po")
    (tmp_path / "xx.po").write_text(
        'msgctxt "ui"\nmsgid "Monitoring"\nmsgstr "Xonitoring"\n\n'
        'msgctxt "ui"\nmsgid "no client to show"\nmsgstr ""\n"nothing "\n"here"\n',
        encoding="utf-8",
    )
    found = _catalogs(tmp_path)
    assert sorted(found) == ["es", "xx"]
    assert found["es"] == CATALOGS["es"] and found["es"]["ui"] == UI["es"]
    assert found["xx"]["ui"] == {"Monitoring": "Xonitoring", "no client to show": "nothing here"}
    with pytest.raises(ValueError, match="line 2"):
        parse_po('msgid "a"\nmsgstr unquoted\n')


def test_suspend_and_resume_through_the_api_and_the_context_menu(client: TestClient) -> None:
    client.post("/api/clients", json={"id": "acme", "name": "ACME"})
    assert client.post("/api/clients/acme/operations", content=EDR_1M).status_code == 200
    suspend = cl.to_json(cl.Suspend(maintenance="m1"))
    done = client.post("/api/clients/acme/operations", content=suspend)
    assert done.status_code == 200
    line = done.json()["client"]["data"]["maintenances"][0]
    assert line["suspensions"] == [{"on": "2026-11-27", "resumed_on": None, "by_client": False}]
    again = client.post("/api/clients/acme/operations", content=suspend)
    assert again.status_code == 422 and "maintenance.suspended" in again.text
    page = client.get("/clients/acme?lang=es").text
    assert 'id="resume-m1"' in page and "reanudar" in page and "suspendido" in page
    preview = client.get("/clients/acme/actions?action=resume&maintenance=m1&lang=es")
    assert preview.status_code == 200 and 'id="confirm"' in preview.text
    r = client.post(
        "/clients/acme/actions?lang=es",
        data={**_hidden(preview.text), "step": "confirm"},
        follow_redirects=True,
    )
    assert r.status_code == 200 and 'id="suspend-m1"' in r.text
    assert "Reanudado: Cytomic Advanced EDR vuelve a estar en servicio." in r.text
