"""The console a person sees (R4, issue 46): every change through a preview and a
confirmation, a message after it, the add dialog that keeps what was typed and
follows the product chosen, states and names in words, Unicode search, and odd
form values answered as pages (400/409), never 500."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import cytolicense as cl

pytest.importorskip("starlette")
pytest.importorskip("jinja2")
from starlette.testclient import TestClient

from cytolicense.web import create_app

TODAY = dt.date(2026, 11, 27)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "console.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def web(db: str) -> Iterator[TestClient]:
    """A console over a client ``acme`` holding a commercial EDR (m1, 5 seats, 1 month,
    Encryption with 2) and a trial of it (m2, 3 seats)."""
    partner = f"c-{uuid.uuid4().hex[:8]}"
    with cl.open_store(db, partner) as store:
        console = cl.Console(cl.Engine(cl.load_catalog()), store)
        console.add_client("acme", "ACME", TODAY)
        console.apply(
            "acme",
            cl.AssignmentRequest(
                product="cytomic-edr",
                license_type="commercial",
                quantity=5,
                period="1m",
                modules={"cytomic-encryption": 2},
            ),
            TODAY,
        )
        console.apply(
            "acme",
            cl.AssignmentRequest(product="cytomic-edr", license_type="trial", quantity=3),
            TODAY,
        )
    app = create_app(db, partner, today=TODAY)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as c:
        c.get("/")  # the session cookie
        yield c


def _hidden(page: str) -> dict[str, str]:
    return {
        m.group(1): html.unescape(m.group(2))
        for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    }


def _events(c: TestClient, cid: str = "acme") -> int:
    return len(c.get(f"/api/clients/{cid}/history").json()["events"])


def _text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(page)).split())


ACTIONS = [
    ("modify", "m1", {"seats": "7"}, "LicensesModified"),
    ("unmanage", "m1", {}, "ManagementChanged"),
    ("suspend", "m1", {}, "ServiceSuspended"),
    ("renew", "m1", {"period": "2y"}, "MaintenanceRenewed"),
    ("convert", "m2", {"period": "2y"}, "TrialConverted"),
    ("delete", "m1", {}, "ServiceDeleted"),
    ("delete_client", "", {}, "ClientDeleted"),
]


@pytest.mark.parametrize(("action", "line", "fields", "event"), ACTIONS)
def test_every_action_is_previewed_then_confirmed_once(
    web: TestClient, action: str, line: str, fields: dict[str, str], event: str
) -> None:
    before = _events(web)
    query = f"action={action}" + (f"&maintenance={line}" if line else "")
    preview = web.get(f"/clients/acme/actions?{query}&lang=es")
    assert preview.status_code == 200, _text(preview.text)
    if action == "modify":  # as the line is: nothing would change, nothing to confirm
        assert 'id="nothing"' in preview.text and 'id="confirm"' not in preview.text
    else:
        assert 'id="confirm"' in preview.text and 'id="changes"' in preview.text
    assert _events(web) == before  # a preview changes nothing
    form = {**_hidden(preview.text), **fields}
    # One click from the detail's old form (no confirmation) changes nothing either.
    old = web.post(
        "/clients/acme/actions",
        data={k: v for k, v in form.items() if k not in ("checked", "key")},
    )
    assert old.status_code == 200 and _events(web) == before
    if fields:  # a choice made on the preview: it is checked before it is confirmed
        checked = web.post("/clients/acme/actions?lang=es", data={**form, "step": "preview"})
        assert checked.status_code == 200
        form = {**_hidden(checked.text), **fields}
    done = web.post("/clients/acme/actions?lang=es", data={**form, "step": "confirm"})
    assert done.status_code == 303, _text(done.text)
    assert "done=" in done.headers["location"]
    # A double click: the same key answers as applied, and nothing applies twice.
    again = web.post("/clients/acme/actions?lang=es", data={**form, "step": "confirm"})
    assert again.status_code == 303 and again.headers["location"] == done.headers["location"]
    events = web.get("/api/clients/acme/history").json()["events"]
    assert len(events) == before + 1 and events[-1]["type"] == event
    after = web.get(done.headers["location"])
    assert after.status_code == 200 and 'id="flash"' in after.text


def test_every_row_of_the_action_table_has_its_spanish_and_makes_its_kind(
    tmp_path: Path,
) -> None:
    """The web action table: each action's title, button and message after it have
    their Spanish with the same placeholders (a message names only what the client's
    page fills in), and its form's fields, as the form first shows them, make an
    operation of the row's kind."""
    from cytolicense.core._messages import UI
    from cytolicense.web._actions import ACTIONS as TABLE
    from cytolicense.web._client_page import _DONE

    def placeholders(text: str) -> set[str]:
        return set(re.findall(r"{(\w+)}", text))

    texts = [(a.title, set()) for a in TABLE.values()]
    texts += [(a.name, set()) for a in TABLE.values() if a.on_line]  # the buttons
    texts += [
        (a.done, {"product", "seats", "day"} if a.on_line else {"group"}) for a in TABLE.values()
    ]
    texts += [(text, placeholders(text)) for text in _DONE.values()]
    for text, may in texts:
        assert text in UI["es"], text
        assert placeholders(UI["es"][text]) == placeholders(text) <= may, text
    assert not set(_DONE) & set(TABLE)  # an action's message is in its row

    with cl.open_store(str(tmp_path / "table.db"), "p-table") as store:
        console = cl.Console(cl.Engine(cl.load_catalog()), store)
        console.add_client("acme", "ACME", TODAY)
        for kind in ("commercial", "trial"):
            console.apply(
                "acme",
                cl.AssignmentRequest(
                    product="cytomic-edr",
                    license_type=kind,
                    quantity=5,
                    period="1y" if kind == "commercial" else None,
                    modules={"cytomic-encryption": 2},
                ),
                TODAY,
            )
        client = console.get("acme")
        commercial, trial = client.maintenances
        for action in TABLE.values():
            line = None if not action.on_line else commercial
            if action.name in ("convert", "extend"):
                line = trial
            fields: dict[str, list[str]] = {"action": [action.name]}
            if action.defaults is not None:
                action.defaults(fields, client, line, console.engine, TODAY)
            op = action.make(fields, line, console.engine, TODAY)
            assert op.kind == action.kind, action.name


def test_the_preview_says_what_will_change_in_words(web: TestClient) -> None:
    page = _text(web.get("/clients/acme/actions?action=renew&maintenance=m1&lang=es").text)
    assert "Cytomic Advanced EDR" in page and "caducidad: 27/12/2026 → 27/01/2027" in page
    convert = web.get("/clients/acme/actions?action=convert&maintenance=m2&lang=es").text
    # Convert offers a choice of period (every period the product sells).
    assert re.findall(r'<option value="(\w+)"', convert) == ["1m", "1y", "2y", "3y"]
    delete = _text(web.get("/clients/acme/actions?action=delete&maintenance=m1").text)
    assert "status: expiring → deleted" in delete or "status: active → deleted" in delete
    client = _text(web.get("/clients/acme/actions?action=delete_client&lang=es").text)
    assert "se elimina el cliente" in client


def test_a_form_changed_after_its_preview_is_previewed_again_not_applied(
    web: TestClient,
) -> None:
    before = _events(web)
    preview = web.get("/clients/acme/actions?action=modify&maintenance=m1")
    form = {**_hidden(preview.text), "seats": "9", "step": "confirm"}
    r = web.post("/clients/acme/actions", data=form)
    assert r.status_code == 200 and 'id="note"' in r.text and "5 → 9" in _text(r.text)
    assert _events(web) == before
    r = web.post("/clients/acme/actions", data={**_hidden(r.text), "seats": "9", "step": "confirm"})
    assert r.status_code == 303 and _events(web) == before + 1


def test_modify_edits_modules_and_encryptions_own_seats(web: TestClient) -> None:
    preview = web.get("/clients/acme/actions?action=modify&maintenance=m1")
    form = {
        **_hidden(preview.text),
        "seats": "6",
        "module": ["cytomic-encryption", "cytomic-patch"],
        "seats_cytomic-encryption": "4",
        "step": "preview",
    }
    checked = web.post("/clients/acme/actions", data=form)
    text = _text(checked.text)
    assert "licences: 5 → 6" in text and "Cytomic Encryption: 2 → 4" in text
    assert "+ Cytomic Patch (6 licences)" in text
    done = web.post(
        "/clients/acme/actions", data={**form, **_hidden(checked.text), "step": "confirm"}
    )
    assert done.status_code == 303
    line = web.get("/api/clients/acme").json()["data"]["maintenances"][0]
    assert {m["module"]: m["quantity"] for m in line["modules"]} == {
        "cytomic-encryption": 4,
        "cytomic-patch": 6,
    }
    # Removing a module.
    preview = web.get("/clients/acme/actions?action=modify&maintenance=m1")
    form = {**_hidden(preview.text), "seats": "6", "module": ["cytomic-patch"]}
    checked = web.post("/clients/acme/actions", data={**form, "step": "preview"})
    assert "− Cytomic Encryption" in _text(checked.text)
    web.post("/clients/acme/actions", data={**form, **_hidden(checked.text), "step": "confirm"})
    line = web.get("/api/clients/acme").json()["data"]["maintenances"][0]
    assert [m["module"] for m in line["modules"]] == ["cytomic-patch"]


def test_odd_form_values_are_pages_not_500(web: TestClient) -> None:
    token = _hidden(web.get("/").text)["csrf"]
    # A NUL (or any control character) in a client's name or id: 400 with a sentence.
    for fields in ({"id": "x", "name": "a\x00b"}, {"id": "a\x00", "name": "A"}):
        r = web.post("/clients", data={**fields, "csrf": token})
        assert r.status_code == 400 and "control characters" in r.text
    assert web.post("/clients", data={"id": "a/b", "name": "A", "csrf": token}).status_code == 400
    preview = web.get("/clients/acme/actions?action=suspend&maintenance=m1")
    form = {**_hidden(preview.text), "step": "confirm"}
    # A malformed key: 400.
    for key in ("", " k", "x" * 201, "a\x00b", "k\n"):
        r = web.post("/clients/acme/actions", data={**form, "key": key})
        assert r.status_code == 400 and "confirmation key" in r.text, repr(key)
    # A key reused for another change: 409, nothing applied.
    assert web.post("/clients/acme/actions", data=form).status_code == 303
    before = _events(web)
    other = _hidden(web.get("/clients/acme/actions?action=extend&maintenance=m2").text)
    r = web.post("/clients/acme/actions", data={**other, "key": form["key"], "step": "confirm"})
    assert r.status_code == 409 and "already used" in r.text and _events(web) == before
    # The add dialog: a reused key, a malformed one, a NUL anywhere.
    add = {
        "csrf": token,
        "product": "cytomic-edr",
        "license_type": "commercial",
        "quantity": "1",
        "period": "1y",
        "step": "preview",
    }
    preview = web.post("/clients/acme/add", data=add)
    confirm = {**_hidden(preview.text), "step": "confirm"}
    for key in ("", "x" * 201, "a\x00"):
        assert web.post("/clients/acme/add", data={**confirm, "key": key}).status_code == 400
    assert web.post("/clients/acme/add", data={**add, "quantity": "1\x00"}).status_code == 400
    assert web.post("/clients/acme/add", data={**confirm, "key": form["key"]}).status_code == 409
    # Odd values in every field of the action form: never a 500.
    for field in ("action", "maintenance", "seats", "period", "module", "seats_cytomic-encryption"):
        for value in ("", "\x00", "x" * 300, "9" * 40, "m9", "１", "-1"):
            for step in ("preview", "confirm"):
                data = {
                    **_hidden(web.get("/clients/acme/actions?action=modify&maintenance=m1").text)
                }
                data.update({field: value, "step": step, "modules_shown": "1"})
                r = web.post("/clients/acme/actions", data=data)
                assert r.status_code < 500, (field, value, step, r.text[:300])


def test_the_add_dialog_keeps_what_was_typed_and_follows_the_product(web: TestClient) -> None:
    token = _hidden(web.get("/").text)["csrf"]
    typed = {
        "csrf": token,
        "shown_product": "cytomic-edr",
        "product": "cytomic-edr",
        "license_type": "commercial",
        "quantity": "12",
        "period": "2y",
        "module": ["cytomic-encryption", "cytomic-patch"],
        "seats_cytomic-encryption": "3",
        "step": "preview",
    }
    preview = web.post("/clients/acme/add?lang=es", data=typed)
    back = re.search(r'id="back" href="([^"]+)"', preview.text)
    assert back is not None
    again = web.get(html.unescape(back.group(1))).text  # "Volver" keeps every value
    assert 'value="12"' in again and 'value="2y" data-enabled="yes" selected' in again
    assert re.search(r'id="module-cytomic-patch" checked', again)
    assert 'id="seats-cytomic-encryption" value="3"' in again
    # Another product picked without "Choose": its own dialog, nothing submitted.
    before = _events(web)
    switched = web.post("/clients/acme/add", data={**typed, "product": "cytomic-epdr"})
    assert switched.status_code == 200 and 'id="note"' in switched.text
    assert 'name="shown_product" value="cytomic-epdr"' in switched.text
    assert 'value="12"' in switched.text and _events(web) == before
    chosen = web.post("/clients/acme/add", data={**typed, "step": "choose"})
    assert chosen.status_code == 200 and 'id="confirm"' not in chosen.text


def test_states_names_plurals_and_spanish(web: TestClient) -> None:
    detail = web.get("/clients/acme?lang=es").text
    assert 'class="badge active"' in detail or 'class="badge expiring"' in detail
    assert "5 licencias" in detail and "3 licencias" in detail
    listing = _text(web.get("/?lang=es").text)
    assert "visible" not in listing and "caduca pronto" in listing
    assert "Cytomic Advanced EDR" in listing and "cytomic-edr" not in listing
    # One seat is "1 licencia".
    token = _hidden(web.get("/").text)["csrf"]
    web.post("/clients", data={"id": "solo", "name": "Solo", "csrf": token})
    one = {
        "csrf": token,
        "product": "cytomic-edr",
        "license_type": "commercial",
        "quantity": "1",
        "period": "1y",
    }
    preview = web.post("/clients/solo/add?lang=es", data={**one, "step": "preview"})
    assert "1 licencia" in _text(preview.text) and "1 licencias" not in _text(preview.text)
    done = web.post("/clients/solo/add?lang=es", data={**_hidden(preview.text), "step": "confirm"})
    page = _text(web.get(done.headers["location"]).text)
    assert "Añadido: Cytomic Advanced EDR, 1 licencia, hasta el" in page
    # The forecast in Spanish: the title, the months, the products by name.
    chart = web.get("/forecast?lang=es").text
    assert "Licencias que caducan cada mes" in chart and ">nov<" in chart
    assert "Seats expiring" not in chart and ">Cytomic Advanced EDR<" in chart


def test_search_folds_case_for_every_script(web: TestClient) -> None:
    token = _hidden(web.get("/").text)["csrf"]
    for cid, name in (("n1", "Ñandú Servicios"), ("n2", "ÉCOLE Ñ"), ("n3", "Straße")):
        assert (
            web.post("/clients", data={"id": cid, "name": name, "csrf": token}).status_code == 303
        )
    for q, found in (
        ("ñandú", ["Ñandú Servicios"]),
        ("ÑANDÚ", ["Ñandú Servicios"]),
        ("école ñ", ["ÉCOLE Ñ"]),
        ("ñ", ["Ñandú Servicios", "ÉCOLE Ñ"]),
        ("acme", ["ACME"]),
        ("STRASSE", ["Straße"]),  # full case folding: ß is ss
        ("straße", ["Straße"]),
    ):
        page = web.get("/", params={"q": q}).text
        names = re.findall(r'<a href="/clients/[^"]+">([^<]+)</a>', page)
        assert sorted(html.unescape(n) for n in names) == sorted(found), q


def test_the_language_switch_of_a_posted_page_is_a_get_page(web: TestClient) -> None:
    token = _hidden(web.get("/").text)["csrf"]
    refused = web.post(
        "/clients/acme/actions?lang=es",
        data={"csrf": token, "action": "modify", "maintenance": "m1", "seats": "0"},
    )
    assert refused.status_code == 422
    switch = re.search(
        r'id="lang-en" hreflang="en" href="([^"]+)"|href="([^"]+)" id="lang-en"', refused.text
    )
    assert switch is not None
    url = html.unescape(switch.group(1) or switch.group(2))
    english = web.get(url)
    assert english.status_code == 422 and "cannot modify the licences" in english.text.lower()
    # Every GET twin answers (never 405).
    assert web.get("/clients/acme/actions").status_code == 303
    assert web.get("/clients?lang=es").status_code == 303


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("done=move&line=m1", "Moved to the group"),  # a client's message, a line named
        ("done=request&line=m1", "Requested ()"),
        ("done=modify", None),  # a line's message without its line: nothing said
        ("done=modify&line=nope", None),
        ("done=modify&line=m1", "Modified:"),
        ("done=delete_client", "The client was deleted"),
    ],
)
def test_the_message_after_a_change_never_fails_on_a_typed_address(
    web: TestClient, query: str, said: str | None
) -> None:
    """``?done=`` is read from the address: any combination a person may type shows the
    page, with the message its placeholders can be filled for, or none."""
    page = web.get(f"/clients/acme?{query}")
    assert page.status_code == 200
    if said is not None:
        assert said in html.unescape(page.text)
