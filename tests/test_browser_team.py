"""The console for a team as its people use it (issue 47): headless Chromium against
a real server on loopback that signs operators in, in English and in Spanish, as each
role: what the monitoring list and a client's page show and offer, one allowed change
(previewed, then confirmed), a request filed by one operator and approved by another in
another browser, the audit for total control only, and signing out.

Skipped, saying why, only where Chromium or its driver cannot be found (as
``test_browser.py``). Screenshots go to ``$CYTOLICENSE_SCREENSHOTS`` when set.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import cytolicense as cl

pytest.importorskip("starlette")
pytest.importorskip("argon2")
webdriver = pytest.importorskip("selenium.webdriver")

from selenium.webdriver.common.by import By  # noqa: E402

TODAY = dt.date(2026, 11, 27)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None
)
if CHROMIUM is None or DRIVER is None:
    pytest.skip(
        "headless Chromium and chromium-driver are not installed (Debian: apt-get install "
        "chromium chromium-driver; .ci/run installs them)",
        allow_module_level=True,
    )

# The clients, by group: an operator granted "north" (and its subgroups) sees the first
# two; one granted "north/retail" alone sees the second; total control sees them all.
CLIENTS = [
    ("n1", "Norte Uno", "north"),
    ("r1", "Tienda Centro", "north/retail"),
    ("s1", "Sur Uno", "south"),
]
OPERATORS = [
    cl.Operator(id="root", name="Marta", role="total_control"),
    cl.Operator(id="lic", name="Luis", role="license_admin", grants={cl.Grant(group="north")}),
    cl.Operator(id="sara", name="Sara", role="security_admin", grants={cl.Grant(group="north")}),
    cl.Operator(
        id="mon",
        name="Mónica",
        role="monitoring",
        grants={cl.Grant(group="north/retail", subgroups=False)},
    ),
]
SEES = {
    "root": {"n1", "r1", "s1"},
    "lic": {"n1", "r1"},
    "sara": {"n1", "r1"},
    "mon": {"r1"},
}

WORDS = {
    "en": {
        "monitoring": "Monitoring",
        "sign_in": "Sign in",
        "request_it": "Request it",
        "confirm": "Confirm",
        "modified": "now has 12 licences",
        "moved": "Moved to the group south/east",
        "requested": "Requested (r1)",
        "approved": "Request r1 approved",
        "forbidden": "forbidden",
        "applied": "applied",
    },
    "es": {
        "monitoring": "Monitorización",
        "sign_in": "Iniciar sesión",
        "request_it": "Solicitarlo",
        "confirm": "Confirmar",
        "modified": "tiene ahora 12 licencias",
        "moved": "Movido al grupo south/east",
        "requested": "Solicitado (r1)",
        "approved": "Solicitud r1 aprobada",
        "forbidden": "prohibido",
        "applied": "aplicado",
    },
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """A console that signs operators in, served on a free loopback port, over a
    SQLite store seeded with an operator of each role: ``(url, db, partner)``."""
    import uvicorn

    from cytolicense.web import create_app
    from cytolicense.web._auth import hash_password

    db = str(tmp_path / "team-browser.db")
    partner = f"t-{uuid.uuid4().hex[:8]}"
    store = cl.Store(db, partner)
    try:
        console = cl.Console(cl.Engine(cl.load_catalog()), store)
        for cid, name, group in CLIENTS:
            console.add_client(cid, name, TODAY, group=group)
            console.apply(
                cid,
                cl.AssignmentRequest(
                    product="cytomic-edr", license_type="commercial", quantity=10, period="1y"
                ),
                TODAY,
            )
        for op in OPERATORS:
            console.add_operator(op, TODAY)
            console.set_password_hash(op.id, hash_password(f"secret-{op.id}"), TODAY)
    finally:
        store.close()
    app = create_app(db, partner, today=TODAY, sign_in=True)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    yield f"http://127.0.0.1:{port}", db, partner
    srv.should_exit = True
    thread.join(10)
    app.state.consoles.close()


@pytest.fixture
def browsers() -> Iterator[Callable[[], Any]]:
    """Opens headless Chromiums (each its own session: its own cookies)."""
    from selenium.webdriver.chrome.service import Service

    opened: list[Any] = []

    def open_one() -> Any:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"):
            options.add_argument(arg)
        options.add_argument("--disable-dev-shm-usage")
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        driver.set_page_load_timeout(30)
        opened.append(driver)
        return driver

    yield open_one
    for driver in opened:
        driver.quit()


def _go(driver: Any, element: Any) -> None:
    """Click *element* and wait for the page it leads to (the old page goes stale)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    element.click()

    def gone(d: Any) -> bool:
        try:
            return bool(expected_conditions.staleness_of(page)(d))
        except WebDriverException:
            return True

    WebDriverWait(driver, 15).until(gone)


def _shot(driver: Any, name: str) -> None:
    folder = os.environ.get("CYTOLICENSE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"team-{name}.png"))


def _status(driver: Any, path: str) -> int:
    """The status the server answers *path* with, asked from the page (its cookies)."""
    return int(
        driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0], {credentials: 'same-origin', redirect: 'manual'})"
            ".then(r => done(r.status), () => done(0));",
            path,
        )
    )


def _has(driver: Any, element_id: str) -> bool:
    return bool(driver.find_elements(By.ID, element_id))


def _sign_in(driver: Any, url: str, lang: str, operator: str) -> None:
    driver.get(f"{url}/?lang={lang}")  # not signed in: the sign-in form
    assert driver.current_url.startswith(f"{url}/signin")
    assert WORDS[lang]["sign_in"] in driver.find_element(By.TAG_NAME, "h1").text
    driver.find_element(By.ID, "operator").send_keys(operator)
    driver.find_element(By.ID, "password").send_keys(f"secret-{operator}")
    _go(driver, driver.find_element(By.ID, "signin"))
    assert WORDS[lang]["monitoring"] in driver.find_element(By.TAG_NAME, "h1").text
    assert driver.find_element(By.ID, "operator").text == operator


def _sign_out(driver: Any, url: str, lang: str) -> None:
    _go(driver, driver.find_element(By.ID, "signout"))
    assert driver.current_url.startswith(f"{url}/signin")
    assert WORDS[lang]["sign_in"] in driver.find_element(By.TAG_NAME, "h1").text
    assert _status(driver, "/api/clients") == 401


def _monitoring(driver: Any, url: str, lang: str, operator: str) -> None:
    """The list shows the clients in scope and no other; one out of it is 404."""
    rows = driver.find_element(By.ID, "clients").text
    for cid, name, _ in CLIENTS:
        if cid in SEES[operator]:
            assert name in rows, f"{operator} should see {name}"
        else:
            assert name not in rows, f"{operator} should not see {name}"
            assert _status(driver, f"/clients/{cid}?lang={lang}") == 404
            assert _status(driver, f"/api/clients/{cid}") == 404
            driver.get(f"{url}/clients/{cid}?lang={lang}")
            assert _has(driver, "error") and name not in driver.page_source
            driver.get(f"{url}/?lang={lang}")


def _open_client(driver: Any, name: str) -> None:
    _go(driver, driver.find_element(By.LINK_TEXT, name))
    assert name in driver.find_element(By.TAG_NAME, "h1").text


def _action(driver: Any, element_id: str, *, seats: str | None = None) -> None:
    """Open the action *element_id*, change its licences to *seats*, check it."""
    _go(driver, driver.find_element(By.ID, element_id))
    if seats is not None:
        field = driver.find_element(By.ID, "seats")
        field.clear()
        field.send_keys(seats)
        _go(driver, driver.find_element(By.ID, "check"))


def _move(driver: Any, group: str) -> None:
    _go(driver, driver.find_element(By.ID, "move"))
    field = driver.find_element(By.ID, "group-field")
    field.clear()
    field.send_keys(group)
    _go(driver, driver.find_element(By.ID, "check"))


def _nav(driver: Any) -> set[str]:
    found = driver.find_elements(By.CSS_SELECTOR, "header nav a")
    return {str(a.get_attribute("id")) for a in found}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_each_role_in_the_browser(
    server: tuple[str, str, str], browsers: Callable[[], Any], lang: str
) -> None:
    url, db, partner = server
    w = WORDS[lang]
    b = browsers()

    # -- License admin (north and its subgroups): every action on its clients.
    _sign_in(b, url, lang, "lic")
    _monitoring(b, url, lang, "lic")
    assert _nav(b).isdisjoint({"nav-audit", "nav-webhooks"}) and "nav-requests" in _nav(b)
    assert _status(b, f"/audit?lang={lang}") == 403
    _shot(b, f"{lang}-lic-monitoring")
    _open_client(b, "Tienda Centro")
    _shot(b, f"{lang}-lic-detail")
    for offered in ("add-product", "move", "modify-m1", "delete-client"):
        assert _has(b, offered), offered
    _action(b, "modify-m1", seats="12")
    assert "10 → 12" in b.find_element(By.ID, "changes").text
    assert w["confirm"] in b.find_element(By.ID, "confirm").text
    _go(b, b.find_element(By.ID, "confirm"))
    assert w["modified"] in b.find_element(By.ID, "flash").text
    assert "12" in b.find_element(By.ID, "line-m1").text
    # A group out of its scope: refused, not moved.
    _move(b, "south")
    _shot(b, f"{lang}-lic-move-refused")
    assert not _has(b, "confirm") and _has(b, "error")
    b.get(f"{url}/clients/r1?lang={lang}")
    assert "north/retail" in b.find_element(By.ID, "group").text
    _sign_out(b, url, lang)

    # -- Security admin (north): sees what license admin sees, but files requests.
    _sign_in(b, url, lang, "sara")
    _monitoring(b, url, lang, "sara")
    assert _nav(b).isdisjoint({"nav-audit", "nav-webhooks"}) and "nav-requests" in _nav(b)
    _shot(b, f"{lang}-sara-monitoring")
    _open_client(b, "Norte Uno")
    _shot(b, f"{lang}-sara-detail")
    assert not _has(b, "add-product")
    assert _has(b, "move") and _has(b, "modify-m1")
    _action(b, "modify-m1", seats="12")
    confirm = b.find_element(By.ID, "confirm")
    assert w["request_it"] in confirm.text
    _go(b, confirm)
    assert w["requested"] in b.find_element(By.ID, "flash").text
    assert "10" in b.find_element(By.ID, "line-m1").text  # not applied
    b.get(f"{url}/requests?lang={lang}")
    assert _has(b, "request-r1") and not _has(b, "approve-r1")  # not its own
    _shot(b, f"{lang}-sara-requests")

    # ... and, in another browser, license admin approves it.
    other = browsers()
    _sign_in(other, url, lang, "lic")
    _go(other, other.find_element(By.ID, "nav-requests"))
    pending = other.find_element(By.ID, "request-r1").text
    assert "Norte Uno" in pending and "10 → 12" in pending and "sara" in pending
    _shot(other, f"{lang}-lic-requests")
    _go(other, other.find_element(By.ID, "approve-r1"))
    assert w["approved"] in other.find_element(By.ID, "flash").text
    assert not _has(other, "request-r1")
    other.get(f"{url}/clients/n1?lang={lang}")
    assert w["modified"].split()[-2] in other.find_element(By.ID, "line-m1").text  # "12"
    _sign_out(other, url, lang)
    b.refresh()
    assert not _has(b, "request-r1")
    _sign_out(b, url, lang)

    # -- Monitoring (north/retail alone): reads, offers nothing.
    _sign_in(b, url, lang, "mon")
    _monitoring(b, url, lang, "mon")
    assert _nav(b).isdisjoint({"nav-audit", "nav-requests", "nav-webhooks"})
    assert _status(b, f"/webhooks?lang={lang}") == 403
    _shot(b, f"{lang}-mon-monitoring")
    _open_client(b, "Tienda Centro")
    for absent in ("add-product", "move", "menu-m1", "modify-m1", "delete-client"):
        assert not _has(b, absent), absent
    _shot(b, f"{lang}-mon-detail")
    b.get(f"{url}/clients/r1/actions?action=modify&maintenance=m1&lang={lang}")
    assert not _has(b, "confirm")
    assert _status(b, f"/audit?lang={lang}") == 403
    b.get(f"{url}/?lang={lang}")
    _sign_out(b, url, lang)

    # -- Total control (the primary operator): every client, the audit.
    _sign_in(b, url, lang, "root")
    _monitoring(b, url, lang, "root")
    assert {"nav-audit", "nav-requests", "nav-webhooks"} <= _nav(b)
    _shot(b, f"{lang}-root-monitoring")
    _open_client(b, "Sur Uno")
    for offered in ("add-product", "move", "modify-m1", "delete-client"):
        assert _has(b, offered), offered
    _shot(b, f"{lang}-root-detail")
    _move(b, "south/east")
    assert "south/east" in b.find_element(By.ID, "changes").text
    _go(b, b.find_element(By.ID, "confirm"))
    assert w["moved"] in b.find_element(By.ID, "flash").text
    _go(b, b.find_element(By.ID, "nav-audit"))
    audit = b.find_element(By.ID, "audit").text
    for who, outcome in (("root", "applied"), ("lic", "applied"), ("sara", "applied")):
        assert any(who in row and w[outcome] in row for row in audit.splitlines()), (who, outcome)
    _shot(b, f"{lang}-root-audit")
    _sign_out(b, url, lang)

    store = cl.Store(db, partner)
    try:
        console = cl.Console(cl.Engine(cl.load_catalog()), store)
        assert console.get("s1").group == "south/east"
        assert [m.quantity for m in console.get("n1").maintenances] == [12]
        assert [m.quantity for m in console.get("r1").maintenances] == [12]
        assert console.get("r1").group == "north/retail"
    finally:
        store.close()
