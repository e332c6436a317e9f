"""The web console for a team: signing in (password, sessions, sign-out, throttling),
a trusted proxy header, the host's authenticate, 403 and 404, what pages offer, groups
and the audit page."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import cytolicense as cl
from cytolicense.web import Identity, create_app
from cytolicense.web._auth import hash_password

T = dt.date(2026, 4, 1)
DELETE = {"cytolicense": 2, "type": "DeleteClient", "data": {}}


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "team.db")
    store = cl.Store(path, "default")
    console = cl.Console(cl.Engine(cl.load_catalog()), store)
    console.add_client("n1", "North One", T, group="north")
    console.add_client("r1", "Retail One", T, group="north/retail")
    console.add_client("s1", "South One", T, group="south")
    for op in (
        cl.Operator(id="root", name="Root", role="total_control"),
        cl.Operator(id="ana", name="Ana", role="monitoring", grants={cl.Grant(group="north")}),
        cl.Operator(id="lic", name="Lic", role="license_admin", grants={cl.Grant(group="north")}),
    ):
        console.add_operator(op, T)
        console.set_password_hash(op.id, hash_password(f"secret-{op.id}"), T)
    store.close()
    return path


def client(app: Any) -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1")


def csrf(c: TestClient, path: str = "/signin") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', c.get(path).text)
    assert found is not None
    return found.group(1)


def sign_in(c: TestClient, operator: str, password: str | None = None) -> Any:
    return c.post(
        "/signin",
        data={"csrf": csrf(c), "operator": operator, "password": password or f"secret-{operator}"},
        follow_redirects=False,
    )


def test_password_sign_in_session_and_sign_out(db: str) -> None:
    c = client(create_app(db, today=T, sign_in=True))
    assert c.get("/", follow_redirects=False).headers["location"] == "/signin"
    assert c.get("/api/clients").status_code == 401
    assert sign_in(c, "ana", "wrong").status_code == 401
    assert sign_in(c, "nobody", "whatever").status_code == 401
    answer = sign_in(c, "ana")
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = c.get("/")
    assert page.status_code == 200 and "North One" in page.text and "South One" not in page.text
    assert 'id="operator">ana<' in page.text and "nav-audit" not in page.text
    assert (
        c.post("/signout", data={"csrf": csrf(c, "/")}, follow_redirects=False).status_code == 303
    )
    assert c.get("/api/clients").status_code == 401


def test_a_session_expires_and_cannot_be_forged(db: str) -> None:
    c = client(create_app(db, today=T, sign_in=True, session_hours=2 / 3600))
    sign_in(c, "root")
    assert c.get("/api/clients").status_code == 200
    time.sleep(3.1)
    assert c.get("/api/clients").status_code == 401
    forged = client(create_app(db, today=T, sign_in=True))
    forged.cookies.set("cytolicense_signed_in", "ZGVmYXVsdA.cm9vdA.9999999999.x.00")
    assert forged.get("/api/clients").status_code == 401


def test_failed_sign_ins_are_rate_limited(db: str) -> None:
    c = client(create_app(db, today=T, sign_in=True, sign_in_attempts=3))
    for _ in range(3):
        assert sign_in(c, "root", "nope").status_code == 401
    # Blocked now, the right password too, in both languages.
    assert sign_in(c, "root").status_code == 429
    token = csrf(c, "/signin?lang=es")
    page = c.post(
        "/signin?lang=es", data={"csrf": token, "operator": "root", "password": "secret-root"}
    )
    assert page.status_code == 429 and "Demasiados" in page.text


def test_forbidden_is_403_and_out_of_scope_is_404(db: str) -> None:
    c = client(create_app(db, today=T, sign_in=True))
    sign_in(c, "ana")
    assert [x["id"] for x in c.get("/api/clients").json()["clients"]] == ["n1", "r1"]
    assert c.get("/api/clients/s1").status_code == 404
    assert c.get("/api/clients/s1/history").status_code == 404
    answer = c.post("/api/clients/n1/operations", json=DELETE)
    assert answer.status_code == 403 and "ana" in answer.json()["error"]
    assert c.post("/api/clients/s1/operations", json=DELETE).status_code == 404
    assert c.post("/api/clients", json={"id": "x", "name": "X"}).status_code == 403
    assert c.get("/audit").status_code == 403
    es = c.post("/api/clients/n1/operations?lang=es", json=DELETE)
    assert es.status_code == 403 and "no puede" in es.json()["error"]


def test_pages_offer_only_what_the_operator_may_do(db: str) -> None:
    c = client(create_app(db, today=T, sign_in=True))
    sign_in(c, "ana")
    detail = c.get("/clients/n1")
    assert 'id="group"' in detail.text and "north" in detail.text
    assert "add-product" not in detail.text and 'id="move"' not in detail.text
    assert c.get("/clients/s1").status_code == 404
    other = client(create_app(db, today=T, sign_in=True))
    sign_in(other, "lic")
    detail = other.get("/clients/n1?lang=es")
    assert "add-product" in detail.text and 'id="move"' in detail.text and "Grupo" in detail.text


def test_moving_a_client_is_previewed_then_confirmed(db: str) -> None:
    c = client(create_app(db, today=T, sign_in=True))
    sign_in(c, "lic")
    preview = c.get("/clients/n1/actions?action=move&group=north/new")
    assert (
        preview.status_code == 200
        and "north/new" in preview.text
        and 'id="confirm"' in preview.text
    )
    pattern = r'<input type="hidden" name="(\w+)" value="([^"]*)"'
    form = dict(re.findall(pattern, preview.text))
    form.update(group="north/new", step="confirm")
    form["checked"] = form["checked"].replace("&#34;", '"').replace("&quot;", '"')
    done = c.post("/clients/n1/actions", data=form, follow_redirects=True)
    assert done.status_code == 200 and "north/new" in done.text
    assert c.get("/clients/s1/actions?action=move&group=north").status_code == 404
    assert c.get("/clients/n1/actions?action=move&group=south").status_code == 403


def test_the_audit_page_and_the_trusted_header(db: str) -> None:
    app = create_app(db, today=T, sign_in=True, operator_header="X-Forwarded-User")
    c = client(app)
    assert c.get("/api/clients", headers={"X-Forwarded-User": "ana"}).status_code == 200
    c.post("/api/clients/n1/operations", json=DELETE, headers={"X-Forwarded-User": "ana"})
    page = c.get("/audit", headers={"X-Forwarded-User": "root"})
    assert page.status_code == 200 and "forbidden" in page.text and "auth.forbidden" in page.text
    assert "nav-audit" in page.text
    assert c.get("/audit?lang=es", headers={"X-Forwarded-User": "root"}).text.count("prohibido")
    # Without the option the header names nobody.
    plain = client(create_app(db, today=T, sign_in=True))
    assert plain.get("/api/clients", headers={"X-Forwarded-User": "root"}).status_code == 401
    # An operator who is not the partner's is refused.
    assert c.get("/api/clients", headers={"X-Forwarded-User": "ghost"}).status_code == 401


def test_the_hosts_authenticate_and_the_service_token(db: str) -> None:
    # A service with the shared token acts with every right, sign-in required or not.
    service = client(create_app(db, today=T, sign_in=True, token="t0ken"))
    bearer = {"Authorization": "Bearer t0ken"}
    assert len(service.get("/api/clients", headers=bearer).json()["clients"]) == 3
    assert service.get("/api/clients").status_code == 401
    # The host's authenticate names the operator.
    hosted = client(
        create_app(
            db, today=T, sign_in=True, authenticate=lambda r: Identity(actor="a", operator="ana")
        )
    )
    assert [x["id"] for x in hosted.get("/api/clients").json()["clients"]] == ["n1", "r1"]
    assert hosted.post("/api/clients/n1/operations", json=DELETE).status_code == 403
    # A host that names nobody to act as, when sign-in is required: 401.
    nobody = client(create_app(db, today=T, sign_in=True, authenticate=lambda r: "someone"))
    assert nobody.get("/api/clients").status_code == 401


def test_the_monitoring_list_filters_by_group(db: str) -> None:
    c = client(create_app(db, today=T))  # no sign-in: every client
    page = c.get("/?group=north")
    assert "North One" in page.text and "Retail One" in page.text and "South One" not in page.text
    page = c.get("/?group=north/retail&lang=es")
    assert "Retail One" in page.text and "North One" not in page.text
    assert 'name="group" value="north/retail"' in page.text
    assert c.get("/?group=a//b").status_code == 400
    signed = client(create_app(db, today=T, sign_in=True))
    sign_in(signed, "ana")
    # A group outside the scope shows nothing of it.
    assert "South One" not in signed.get("/?group=south").text


def test_a_request_filed_on_a_page_and_approved_by_another(db: str) -> None:
    sec = client(create_app(db, today=T, sign_in=True))
    # Sara may request, not apply: her confirmation files a request.
    store = cl.Store(db, "default")
    cl.Console(cl.Engine(cl.load_catalog()), store).add_operator(
        cl.Operator(
            id="sara", name="Sara", role="security_admin", grants={cl.Grant(group="north")}
        ),
        T,
    )
    cl.Console(cl.Engine(cl.load_catalog()), store).set_password_hash(
        "sara", hash_password("secret-sara"), T
    )
    store.close()
    sign_in(sec, "sara")
    preview = sec.get("/clients/n1/actions?action=move&group=north/x")
    assert "Request it" in preview.text
    pattern = r'<input type="hidden" name="(\w+)" value="([^"]*)"'
    form = dict(re.findall(pattern, preview.text))
    form.update(group="north/x", step="confirm")
    form["checked"] = form["checked"].replace("&#34;", '"').replace("&quot;", '"')
    done = sec.post("/clients/n1/actions", data=form)
    assert done.status_code == 200 and "r1" in done.text
    assert (
        "request-r1" in sec.get("/requests").text and "approve-r1" not in sec.get("/requests").text
    )
    lic = client(create_app(db, today=T, sign_in=True))
    sign_in(lic, "lic")
    page = lic.get("/requests?lang=es")
    assert "approve-r1" in page.text and "Solicitudes" in page.text
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    answer = lic.post("/requests/r1", data={"csrf": token.group(1), "decision": "approve"})
    assert answer.status_code == 200 and "r1" in answer.text
    assert "north/x" in lic.get("/clients/n1").text
    assert (
        lic.post("/requests/r1", data={"csrf": token.group(1), "decision": "approve"}).status_code
        == 404
    )


def test_the_add_client_form_follows_the_operators_rights(tmp_path: Path) -> None:
    """Only an operator who may add clients sees the form, and it adds into a group."""
    db = str(tmp_path / "addform.db")
    console = cl.Console(cl.Engine(cl.load_catalog()), cl.open_store(db, "p"))
    console.add_operator(cl.Operator(id="root", name="Root", role=cl.Role.TOTAL_CONTROL), T)
    console.add_operator(
        cl.Operator(
            id="lic",
            name="Lic",
            role=cl.Role.LICENSE_ADMIN,
            grants=frozenset({cl.Grant(group="north")}),
        ),
        T,
    )
    console.add_operator(
        cl.Operator(
            id="mon",
            name="Mon",
            role=cl.Role.MONITORING,
            grants=frozenset({cl.Grant(group="north")}),
        ),
        T,
    )
    console.store.close()
    app = create_app(db, "p", today=T, operator_header="X-Operator")
    with TestClient(app, base_url="http://127.0.0.1") as c:
        assert 'id="add-client"' not in c.get("/", headers={"X-Operator": "mon"}).text
        page = c.get("/?group=north", headers={"X-Operator": "lic"}).text
        assert 'id="add-client"' in page and 'name="group" maxlength="200" value="north"' in page
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]  # type: ignore[index]
        form = {"csrf": csrf, "id": "n9", "name": "North 9", "group": "north/shops"}
        r = c.post("/clients", data=form, headers={"X-Operator": "lic"})
        assert r.status_code == 200 and "North 9" in r.text
        outside = {**form, "id": "s9", "group": "south"}
        r = c.post("/clients", data=outside, headers={"X-Operator": "lic"})
        assert r.status_code == 403
    store = cl.open_store(db, "p")
    try:
        assert store.get("n9").group == "north/shops"
        assert [c.id for c in store.clients()] == ["n9"]
    finally:
        store.close()
