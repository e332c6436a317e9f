"""A client generated from /openapi.json drives the live API (R4 issue 46).

openapi-python-client builds a package from the app's own document; the test imports
it and calls every endpoint through it against ``uvicorn`` serving ``create_app`` over
a fresh SQLite file: the generator must find a model for every schema and a function
for every path (the operations endpoint included), and the generated parsers must
read every answer (``raise_on_unexpected_status``: an undeclared status fails).
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest

import cytolicense as cl

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("openapi_python_client", reason="openapi-python-client is not installed")
pytest.importorskip("httpx")  # the generated client's HTTP library

import uvicorn

from cytolicense.core._validation import MAX_SEATS
from cytolicense.web import create_app, openapi

TODAY = dt.date(2026, 11, 27)
PACKAGE = "cytolicense_api_client"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The generated package, imported."""
    root = tmp_path_factory.mktemp("generated")
    spec = root / "openapi.json"
    spec.write_text(json.dumps(openapi()), encoding="utf-8")
    config = root / "config.json"
    config.write_text(json.dumps({"post_hooks": []}), encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(spec),
            "--meta",
            "none",
            "--config",
            str(config),
            "--output-path",
            str(root / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    # Every schema and every path made it into the client: no warning at all.
    assert "Warning" not in output and "Unable" not in output, output
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """uvicorn serving the console over a new SQLite file, on a free local port."""
    db = tmp_path_factory.mktemp("db") / "api.db"
    app = create_app(str(db), f"gen-{uuid.uuid4().hex[:8]}", today=TODAY)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", ws="none", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        consoles = getattr(app.state, "consoles", None)
        if consoles is not None:
            consoles.close()


def _mod(api: Any, name: str) -> Any:
    return importlib.import_module(f"{api.__name__}.{name}")


def test_the_generated_client_calls_every_endpoint(api: Any, base_url: str) -> None:
    endpoints = _mod(api, "api.default")
    names = {p.name for p in Path(endpoints.__file__).parent.glob("*.py")} - {"__init__.py"}
    assert names == {
        f"{n}.py"
        for n in (
            "health",
            "list_clients",
            "add_client",
            "get_client",
            "get_offer",
            "apply_operation",
            "get_history",
            "get_feed",
            "openapi",
        )
    }
    m = _mod(api, "models")
    call = {n: _mod(api, f"api.default.{n.removesuffix('.py')}") for n in names}
    with api.Client(base_url=base_url, raise_on_unexpected_status=True, timeout=30) as c:
        health = call["health.py"].sync_detailed(client=c)
        assert health.status_code == HTTPStatus.OK
        assert health.parsed.status == m.HealthStatus.OK

        # add a client: the Client document, typed; the same id again: 409 Error
        added = call["add_client.py"].sync_detailed(
            client=c, body=m.NewClient(id="acme", name="ACME Ñandú")
        )
        assert added.status_code == HTTPStatus.CREATED, added.content
        assert isinstance(added.parsed, m.ClientDocument)
        assert added.parsed.data.id == "acme" and added.parsed.data.name == "ACME Ñandú"
        again = call["add_client.py"].sync_detailed(client=c, body=m.NewClient(id="acme", name="x"))
        assert again.status_code == HTTPStatus.CONFLICT
        assert isinstance(again.parsed, m.Error) and again.parsed.error

        call["add_client.py"].sync(client=c, body=m.NewClient(id="bravo", name="Bravo"))
        page = call["list_clients.py"].sync(client=c, limit=1)
        assert [r.id for r in page.clients] == ["acme"] and page.next_ == "acme"
        page = call["list_clients.py"].sync(client=c, limit=1, after=page.next_)
        assert [r.id for r in page.clients] == ["bravo"]
        listed = call["list_clients.py"].sync(client=c)
        assert isinstance(listed, m.ClientList)
        assert [(r.id, r.name, r.shown) for r in listed.clients] == [
            ("acme", "ACME Ñandú", True),
            ("bravo", "Bravo", True),
        ]
        assert isinstance(listed.clients[0], m.ClientSummary)

        one = call["get_client.py"].sync(client_id="acme", client=c)
        assert isinstance(one, m.ClientDocument) and one.data.maintenances == []
        missing = call["get_client.py"].sync_detailed(client_id="nope", client=c)
        assert missing.status_code == HTTPStatus.NOT_FOUND
        assert isinstance(missing.parsed, m.Error)

        offer = call["get_offer.py"].sync(client_id="acme", client=c)
        assert isinstance(offer, m.Offer)
        assert [o.data.product for o in offer.products] == ["cytomic-edr", "cytomic-epdr"]
        assert all(isinstance(o, m.ProductOfferDocument) for o in offer.products)

        # An AssignmentRequest built from the generated models, as a user would.
        edr = m.AssignmentRequestDocument(
            cytolicense=2,
            type_="AssignmentRequest",
            data=m.AssignmentRequest(
                product="cytomic-edr",
                license_type=m.AssignmentRequestLicenseType.COMMERCIAL,
                quantity=5,
                period="1y",
            ),
        )
        apply = call["apply_operation.py"]
        # a dry run: the decision, nothing changes
        dry = apply.sync_detailed(client_id="acme", client=c, body=edr, dry_run=True)
        assert dry.status_code == HTTPStatus.OK, dry.content
        assert isinstance(dry.parsed, m.OperationResult)
        assert isinstance(dry.parsed.decision, m.DecisionDocument)
        assert dry.parsed.decision.data.findings == []
        assert isinstance(dry.parsed.client, api.types.Unset)  # no client: nothing applied
        history = call["get_history.py"].sync(client_id="acme", client=c)
        assert [e.type_ for e in history.events] == ["ClientCreated"]
        feed = call["get_feed.py"].sync_detailed(client=c, after=0, limit=10)
        assert feed.status_code == HTTPStatus.OK, feed.content
        assert json.loads(feed.content)["next"] >= 1  # the clients added so far

        # applied, with an idempotency key; the same request again answers the same
        done = apply.sync_detailed(client_id="acme", client=c, body=edr, idempotency_key="k-1")
        assert done.status_code == HTTPStatus.OK, done.content
        assert isinstance(done.parsed.client, m.ClientDocument)
        [line] = done.parsed.client.data.maintenances
        assert (line.product, line.quantity) == ("cytomic-edr", 5)
        repeat = apply.sync_detailed(client_id="acme", client=c, body=edr, idempotency_key="k-1")
        assert repeat.status_code == HTTPStatus.OK and repeat.content == done.content

        # refused: 422, the decision's errors, typed; nothing changes
        epdr = m.AssignmentRequestDocument.from_dict(
            json.loads(
                cl.to_json(
                    cl.AssignmentRequest(
                        product="cytomic-epdr", license_type="commercial", quantity=1, period="1y"
                    )
                )
            )
        )
        refused = apply.sync_detailed(client_id="acme", client=c, body=epdr)
        assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, refused.content
        assert isinstance(refused.parsed, m.Refusal)
        assert [(f.code, f.severity) for f in refused.parsed.decision.data.findings] == [
            ("family.already_assigned", m.FindingSeverity.ERROR)
        ]
        assert isinstance(refused.parsed.messages, api.types.Unset)
        # in Spanish when asked: the messages, in order
        spanish = apply.sync_detailed(client_id="acme", client=c, body=epdr, lang="es")
        assert spanish.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
        [english] = [f.message for f in refused.parsed.decision.data.findings]
        [message] = spanish.parsed.messages
        assert message and message != english
        assert spanish.headers["content-language"] == "es"

        # another kind of operation through the same function: modify the seats
        modify = m.ModifyDocument(
            cytolicense=2,
            type_="Modify",
            data=m.Modify(maintenance=line.id, quantity=7),
        )
        modified = apply.sync(client_id="acme", client=c, body=modify)
        assert isinstance(modified, m.OperationResult)
        assert modified.client.data.maintenances[0].quantity == 7
        unknown = apply.sync_detailed(client_id="nope", client=c, body=modify)
        assert unknown.status_code == HTTPStatus.NOT_FOUND

        # the history: Event documents, typed by their own models
        history = call["get_history.py"].sync(client_id="acme", client=c)
        assert isinstance(history, m.History)
        assert [type(e).__name__ for e in history.events] == [
            "ClientCreatedDocument",
            "ProductAssignedDocument",
            "LicensesModifiedDocument",
        ]

        document = call["openapi.py"].sync(client=c)
        assert document.to_dict()["paths"].keys() == openapi()["paths"].keys()


def test_the_document_is_one_a_generator_can_use() -> None:
    """Unique titles, the bounds, the statuses (what the generated client relies on)."""
    from cytolicense.web import _api

    doc = openapi()
    schemas = doc["components"]["schemas"]
    titles = [s.get("title", name) for name, s in schemas.items()]
    assert len(titles) == len(set(titles))
    assert all(schemas[f"{n}Document"]["title"] == f"{n}Document" for n in ("Client", "Modify"))
    ops = doc["paths"]["/api/clients/{client_id}/operations"]["post"]
    assert {"400", "401", "403", "404", "409", "413", "415", "422", "503"} <= set(ops["responses"])
    params = {p["name"]: p["schema"] for p in ops["parameters"]}
    assert params["client_id"]["maxLength"] == 200 and params["dry_run"]["type"] == "boolean"
    assert params["Idempotency-Key"]["maxLength"] == 200
    assert schemas["AssignmentRequest"]["properties"]["quantity"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_SEATS,
    }
    limit = doc["paths"]["/api/clients"]["get"]["parameters"][0]
    assert limit["schema"]["maximum"] == _api.MAX_PAGE
    error = schemas["Error"]["properties"]
    assert set(error) == {"error", "request_id", "retry"}
    # a fresh copy each call
    doc["paths"].clear()
    assert openapi()["paths"]
