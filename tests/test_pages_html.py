"""The monitoring and detail pages' HTML, byte for byte (issue 46): the rows and lines
are built in Python before rendering, and the pages must read exactly as they did
when the template computed every cell. The reference pages in ``tests/data/pages/``
were rendered by the template-only code (commit 092f0d6) for the fixture below; only
the CSRF token differs between runs (a new session each time), and it is replaced
before comparing. Each page is compared by its own part, its title and ``<main>``
(the header of ``base.html`` around it is the same on every page).

Regenerate (only when a page is meant to change): ``CYTOLICENSE_WRITE_PAGES=1 pytest
tests/test_pages_html.py``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import cytolicense as cl

pytest.importorskip("starlette")
pytest.importorskip("jinja2")
from starlette.testclient import TestClient

from cytolicense.web import create_app

TODAY = dt.date(2026, 11, 27)
DATA = Path(__file__).parent / "data" / "pages"
EVIL = "<script>alert('x')</script> \"Q\" & <b>Co</b>"

# The pages compared: every state of a monitoring row, both languages, a search, both
# sorts each way, a group filter, the hidden clients, the next page; detail pages of a
# client with modules, a suspended line, a trial, a future line, a deleted one, a
# deleted client, a client with a name a person typed with markup and quotes.
PAGES = {
    "monitoring-en": "/",
    "monitoring-es": "/?lang=es",
    "monitoring-search": "/?q=co",
    "monitoring-search-evil": "/?q=%3Cscript%3E&lang=es",
    "monitoring-sort-name": "/?sort=name",
    "monitoring-sort-name-desc-es": "/?sort=-name&lang=es",
    "monitoring-sort-ended": "/?sort=ended_on",
    "monitoring-sort-ended-desc": "/?sort=-ended_on&lang=es",
    "monitoring-group": "/?group=north",
    "monitoring-group-es": "/?group=north%2Fretail&lang=es&sort=name",
    "monitoring-hidden": "/?hidden=1",
    "monitoring-hidden-es-group": "/?hidden=1&lang=es&group=north",
    "monitoring-empty": "/?q=nothing-matches-this",
    "monitoring-next": "/?after=bulk-030",
    "monitoring-next-sorted": "/?sort=name&after=bulk-030&after_key=bulk%20030",
    "detail-rich-en": "/clients/rich",
    "detail-rich-es": "/clients/rich?lang=es",
    "detail-evil": "/clients/evil%20%3Cid%3E",
    "detail-evil-es": "/clients/evil%20%3Cid%3E?lang=es",
    "detail-empty": "/clients/empty",
    "detail-deleted": "/clients/gone",
    "detail-deleted-es": "/clients/gone?lang=es",
    "detail-past": "/clients/past?lang=es",
    "detail-future": "/clients/future",
    "detail-trial": "/clients/trying",
    "detail-trial-es": "/clients/trying?lang=es",
    "detail-done": "/clients/rich?done=modify&line=m1",
    "detail-done-es": "/clients/rich?done=move&lang=es",
}


def _build(db: str, partner: str) -> None:
    with cl.open_store(db, partner) as store:
        console = cl.Console(cl.Engine(cl.load_catalog()), store)
        day = TODAY

        def add(cid: str, name: str, on: dt.date = day) -> None:
            console.add_client(cid, name, on)

        def edr(
            cid: str,
            on: dt.date,
            period: str | None = "1y",
            kind: str = "commercial",
            product: str = "cytomic-edr",
            quantity: int = 5,
            modules: dict[str, int | None] | None = None,
        ) -> None:
            console.apply(
                cid,
                cl.AssignmentRequest(
                    product=product,
                    license_type=kind,
                    quantity=quantity,
                    period=period if kind == "commercial" else None,
                    modules=modules or {},
                ),
                on,
            )

        # A client with everything: modules, a trial, a suspended line, two products.
        add("rich", "Rich & Co", day - dt.timedelta(days=40))
        edr(
            "rich",
            day - dt.timedelta(days=40),
            "1y",
            quantity=12500,
            modules={"cytomic-encryption": 2, "cytomic-patch": None},
        )
        edr("rich", day - dt.timedelta(days=30), kind="trial", product="cytomic-epdr")
        console.apply("rich", cl.Suspend(maintenance="m1"), day - dt.timedelta(days=3))
        console.apply("rich", cl.SetGroup(group="north/retail"), day)
        # A name and an id a person typed with markup and quotes.
        add("evil <id>", EVIL)
        edr("evil <id>", day, "1m", modules={"cytomic-data-watch": None})
        console.apply("evil <id>", cl.SetGroup(group="north"), day)
        # No product yet.
        add("empty", "Empty \"quoted\" 'name'")
        # Expiring (a one-month line).
        add("soon", "Soon Ltd", day - dt.timedelta(days=10))
        edr("soon", day - dt.timedelta(days=10), "1m")
        # No service (ended a few days ago), still shown.
        add("past", "Past SA", day - dt.timedelta(days=40))
        edr("past", day - dt.timedelta(days=40), "1m")
        # No longer shown (ended long ago).
        add("old", "Old <Corp>", day - dt.timedelta(days=400))
        edr("old", day - dt.timedelta(days=400), "1m")
        console.apply("old", cl.SetGroup(group="north"), day - dt.timedelta(days=300))
        # Deleted.
        add("gone", "Gone Inc", day - dt.timedelta(days=20))
        edr("gone", day - dt.timedelta(days=20), "1y")
        console.delete_client("gone", day - dt.timedelta(days=2))
        # A line starting later (a renewal scheduled ahead is not needed: the store
        # keeps the day the line was sold from).
        add("future", "Future GmbH", day)
        edr("future", day, "1y", kind="trial", quantity=1)
        console.apply("future", cl.Suspend(maintenance="m1"), day)
        # A trial in force (convert, extend).
        add("trying", "Trying", day - dt.timedelta(days=5))
        edr("trying", day - dt.timedelta(days=5), kind="trial", quantity=2)
        # Enough plain clients for a next page, ids and names in order.
        for i in range(60):
            cid = f"bulk-{i:03d}"
            add(cid, f"bulk {i:03d}", day - dt.timedelta(days=i * 7))
            if i % 3:
                edr(cid, day - dt.timedelta(days=i * 7), "1y", quantity=i + 1)
            if i % 10 == 0:
                console.apply(cid, cl.SetGroup(group="north"), day - dt.timedelta(days=i * 7))


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = str(tmp_path_factory.mktemp("pages") / "pages.db")
    _build(db, "p-pages")
    app = create_app(db, "p-pages", today=TODAY)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=True) as c:
        c.get("/")  # the session cookie
        yield c


def _normal(page: str) -> str:
    """The page's own part (its title and ``<main>``; ``base.html``'s header, the same
    on every page, changes on its own), the CSRF token replaced."""
    title = page[page.index("<title>") : page.index("</title>") + len("</title>")]
    main = page[page.index("<main>") : page.index("</main>") + len("</main>")]
    return re.sub(r'name="csrf" value="[^"]*"', 'name="csrf" value="CSRF"', f"{title}\n{main}\n")


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_page_reads_as_before(web: TestClient, name: str) -> None:
    response = web.get(PAGES[name])
    assert response.status_code == 200, response.text
    page = _normal(response.text)
    reference = DATA / f"{name}.html"
    if os.environ.get("CYTOLICENSE_WRITE_PAGES") == "1":
        DATA.mkdir(parents=True, exist_ok=True)
        reference.write_text(page, encoding="utf-8", newline="")
    assert page == reference.read_text(encoding="utf-8")


def test_what_a_person_typed_stays_escaped(web: TestClient) -> None:
    for path in ("/", "/?lang=es", "/clients/evil%20%3Cid%3E"):
        page = web.get(path).text
        assert "<script>" not in page and "<b>Co</b>" not in page
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &#34;Q&#34; &amp;" in page
    assert "evil &lt;id&gt;" in web.get("/").text
    search = web.get("/?q=%3Cscript%3E%22").text
    assert 'value="&lt;script&gt;&#34;"' in search
