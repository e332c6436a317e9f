"""The console as a person uses it: headless Chromium (Debian's chromium and
chromium-driver, driven by Selenium) against a real server on loopback (R3 2/6).

Skipped, saying why, only where Chromium or its driver cannot be found; CI installs
both. Screenshots of every screen go to ``$CYTOLICENSE_SCREENSHOTS`` when set.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cytolicense as cl

pytest.importorskip("starlette")
webdriver = pytest.importorskip("selenium.webdriver")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """The console served on a free loopback port: ``(url, db, partner)``."""
    import uvicorn

    from cytolicense.web import create_app

    if request.param == "sqlite":
        db = str(tmp_path / "browser.db")
    else:
        db = request.getfixturevalue("postgres_url")
    partner = f"b-{uuid.uuid4().hex[:8]}"
    with cl.open_store(db, partner) as store:
        console = cl.Console(cl.Engine(cl.load_catalog()), store)
        console.add_client("acme", "ACME Señor & Cía", TODAY)
        console.add_client("globex", "Globex", TODAY - dt.timedelta(days=200))
    app = create_app(db, partner, today=TODAY)
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
def browser() -> Iterator[Any]:
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(arg)
    options.add_argument("--disable-dev-shm-usage")
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
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
            # chromedriver's "Node with given id does not belong to the document": the
            # old page went away while it was asked about, which is what is awaited.
            return True

    WebDriverWait(driver, 15).until(gone)


def _shot(driver: Any, name: str) -> None:
    folder = os.environ.get("CYTOLICENSE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def test_a_person_adds_modifies_and_deletes_a_product_in_spanish(
    server: tuple[str, str, str], browser: Any, request: pytest.FixtureRequest
) -> None:
    url, db, partner = server
    backend = request.node.callspec.params["server"]
    b = browser
    b.get(f"{url}/?lang=es")
    assert "Monitorización" in b.find_element(By.TAG_NAME, "h1").text
    rows = b.find_element(By.ID, "clients").text
    assert "ACME Señor & Cía" in rows and "Globex" not in rows  # Globex: 200 days, hidden
    _shot(b, f"{backend}-1-monitorizacion")
    _go(b, b.find_element(By.ID, "show-hidden"))
    assert "ya no se muestra (90 días sin servicio)" in b.find_element(By.ID, "clients").text
    b.get(f"{url}/?lang=es")
    _go(b, b.find_element(By.LINK_TEXT, "ACME Señor & Cía"))
    assert "ACME Señor & Cía" in b.find_element(By.TAG_NAME, "h1").text
    _shot(b, f"{backend}-2-detalle")
    _go(b, b.find_element(By.ID, "add-product"))
    # Añadir producto: every field.
    Select(b.find_element(By.ID, "product")).select_by_value("cytomic-edr")
    _go(b, b.find_element(By.ID, "choose"))
    b.find_element(By.ID, "type-commercial").click()
    seats = b.find_element(By.ID, "quantity")
    seats.clear()
    seats.send_keys("10")
    period = Select(b.find_element(By.ID, "period"))
    assert not b.find_element(By.ID, "period-warning").is_displayed()
    period.select_by_value("1m")  # sold, not enabled by the vendor: warns
    warning = b.find_element(By.ID, "period-warning")
    assert warning.is_displayed() and "no ha habilitado" in warning.text
    b.find_element(By.ID, "module-cytomic-patch").click()
    b.find_element(By.ID, "module-cytomic-encryption").click()
    b.find_element(By.ID, "seats-cytomic-encryption").send_keys("4")
    _shot(b, f"{backend}-3-anadir-producto")
    _go(b, b.find_element(By.ID, "add"))
    # The preview: the decision in Spanish, in words (no codes), then the management.
    findings = b.find_element(By.ID, "findings").text
    assert "aviso" in findings and "1 mes" in findings and "period.not_enabled" not in findings
    assert "Cytomic Advanced EDR" in b.find_element(By.ID, "changes").text
    b.find_element(By.ID, "management-unmanaged").click()
    _shot(b, f"{backend}-4-gestion")
    _go(b, b.find_element(By.ID, "confirm"))
    # Back in the detail: what was done, the line with its modules and expiry.
    assert "Añadido: Cytomic Advanced EDR, 10 licencias" in b.find_element(By.ID, "flash").text
    line = b.find_element(By.ID, "line-m1").text
    assert "Cytomic Advanced EDR" in line and "27/12/2026" in line
    assert "+ Cytomic Patch" in line and "+ Cytomic Encryption" in line
    assert "sin gestión" in line and "caduca pronto" in line
    _shot(b, f"{backend}-5-linea")
    # Modify its seats and Encryption's: a preview, then a confirmation.
    _go(b, b.find_element(By.ID, "modify-m1"))
    field = b.find_element(By.ID, "seats")
    field.clear()
    field.send_keys("12")
    own = b.find_element(By.ID, "seats-cytomic-encryption")
    own.clear()
    own.send_keys("6")
    _go(b, b.find_element(By.ID, "check"))
    changes = b.find_element(By.ID, "changes").text
    assert "licencias: 10 → 12" in changes and "Cytomic Encryption: 4 → 6" in changes
    _shot(b, f"{backend}-6-modificar")
    _go(b, b.find_element(By.ID, "confirm"))
    assert "tiene ahora 12 licencias" in b.find_element(By.ID, "flash").text
    assert "12 licencias" in b.find_element(By.ID, "line-m1").text
    # Delete it: one click shows what it will do; nothing is deleted before Confirm.
    _go(b, b.find_element(By.ID, "delete-m1"))
    assert "eliminado" in b.find_element(By.ID, "changes").text
    _shot(b, f"{backend}-7-eliminar")
    _go(b, b.find_element(By.ID, "confirm"))
    assert "Eliminado: Cytomic Advanced EDR" in b.find_element(By.ID, "flash").text
    assert "eliminado" in b.find_element(By.ID, "line-m1").text
    _shot(b, f"{backend}-8-eliminado")
    # The monitoring list still shows the client (90 days from the deletion).
    _go(b, b.find_element(By.ID, "nav-monitoring"))
    assert "ACME Señor & Cía" in b.find_element(By.ID, "clients").text
    with cl.open_store(db, partner) as store:
        kinds = [type(e).__name__ for e in store.history("acme")]
    assert kinds == [
        "ClientCreated",
        "ProductAssigned",
        "LicensesModified",
        "ServiceDeleted",
    ]


@pytest.mark.parametrize("width", [375, 1280])
def test_every_screen_fits_the_width_in_both_languages(
    server: tuple[str, str, str], browser: Any, request: pytest.FixtureRequest, width: int
) -> None:
    """At a phone's width (375 px) and a desktop's, in English and Spanish: no page
    scrolls sideways (a wide table scrolls inside its own box), every state is a word."""
    url, db, partner = server
    if request.node.callspec.params["server"] != "sqlite":
        pytest.skip("the layout does not depend on the store")
    with cl.open_store(db, partner) as store:
        console = cl.Console(cl.Engine(cl.load_catalog()), store)
        console.apply(
            "acme",
            cl.AssignmentRequest(
                product="cytomic-edr",
                license_type="commercial",
                quantity=12500,
                period="1m",
                modules={"cytomic-encryption": 40, "cytomic-patch": None},
            ),
            TODAY,
        )
        console.apply(
            "acme",
            cl.AssignmentRequest(product="cytomic-epdr", license_type="trial", quantity=1),
            TODAY,
        )
    b = browser
    b.set_window_size(width, 900)
    screens = [
        ("monitoring", "/"),
        ("hidden", "/?hidden=1"),
        ("detail", "/clients/acme"),
        ("add", "/clients/acme/add"),
        ("modify", "/clients/acme/actions?action=modify&maintenance=m1"),
        ("renew", "/clients/acme/actions?action=renew&maintenance=m1"),
        ("convert", "/clients/acme/actions?action=convert&maintenance=m2"),
        ("delete-client", "/clients/acme/actions?action=delete_client"),
        ("expiring", "/expiring"),
        ("forecast", "/forecast"),
        ("pool", "/pool"),
        ("history", "/clients/acme/history"),
    ]
    for lang in ("en", "es"):
        for name, path in screens:
            b.get(f"{url}{path}{'&' if '?' in path else '?'}lang={lang}")
            wide = b.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            _shot(b, f"width{width}-{lang}-{name}")
            assert wide <= 0, f"{name} ({lang}) scrolls sideways by {wide} px at {width} px"
            assert "Traceback" not in b.page_source
