"""schemathesis over /openapi.json: no server error, and every answer as the spec says.

Requests generated from the app's own document (valid ones and, in negative mode,
ones that break it) go to ``create_app`` over a fresh SQLite file seeded with a few
clients of the Cytomic catalog. Every answer must be a declared status with a
declared content type and a body that validates against the declared schema; none
may be a 5xx. Bounded: a few examples per operation, a fixed seed (derandomized),
well under a minute.

Not checked here: that every request the schema allows is accepted (a valid
operation may be refused by the rules: 422) and that every request it forbids is
refused (the app ignores unknown query parameters, as most do).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cytolicense as cl

pytest.importorskip("starlette")
pytest.importorskip("schemathesis")

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient

from cytolicense.web import create_app, openapi

TODAY = dt.date(2026, 11, 27)
SOAK = os.environ.get("CYTOLICENSE_PROFILE") == "soak"
MAX_EXAMPLES = 2000 if SOAK else 50
CLIENTS = ("acme", "bravo", "charlie", "delta")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def _seed(c: TestClient) -> None:
    """Clients with a commercial line (m1) and a trial (m2), so that operations on
    "m1"/"m2" reach the rules rather than ``maintenance.unknown``."""
    edr = cl.AssignmentRequest(
        product="cytomic-edr", license_type="commercial", quantity=5, period="1y"
    )
    trial = cl.AssignmentRequest(product="cytomic-edr", license_type="trial", quantity=3)
    for cid in CLIENTS:
        assert c.post("/api/clients", json={"id": cid, "name": cid.title()}).status_code == 201
        for op in (edr, trial):
            done = c.post(
                f"/api/clients/{cid}/operations",
                content=cl.to_json(op),
                headers={"Content-Type": "application/json"},
            )
            assert done.status_code == 200, done.text


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    db: Path = tmp_path_factory.mktemp("schemathesis") / "api.db"
    application = create_app(str(db), f"st-{uuid.uuid4().hex[:8]}", today=TODAY)
    with TestClient(application) as c:
        _seed(c)
    yield application
    consoles = getattr(application.state, "consoles", None)
    if consoles is not None:
        consoles.close()


@pytest.fixture(scope="module")
def api_schema(app: Any) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def _cases() -> Iterator[Any]:
    """(path, method, mode) for every operation of the document; negative cases only
    where there is something to break (a parameter or a body)."""
    for path, methods in openapi()["paths"].items():
        for method, spec in methods.items():
            yield pytest.param(path, method, "positive", id=f"{method.upper()} {path} +")
            if spec.get("parameters") or spec.get("requestBody"):
                yield pytest.param(path, method, "negative", id=f"{method.upper()} {path} -")


_counter = itertools.count()


def _aim(case: Any) -> None:
    """Half the valid cases go to a seeded client and its lines (random ids would
    mostly be answered 404 / ``maintenance.unknown``): deterministic, by a counter."""
    n = next(_counter)
    if n % 2:
        return
    if "client_id" in case.path_parameters:
        case.path_parameters["client_id"] = CLIENTS[(n // 2) % len(CLIENTS)]
    data = case.body.get("data") if isinstance(case.body, dict) else None
    if isinstance(data, dict):
        if "maintenance" in data:
            data["maintenance"] = ("m1", "m2")[(n // 4) % 2]
        if "product" in data:
            data["product"] = ("cytomic-edr", "cytomic-epdr")[(n // 4) % 2]


@pytest.mark.parametrize(("path", "method", "mode"), list(_cases()))
def test_the_api_answers_as_its_openapi_document_says(
    api_schema: Any, path: str, method: str, mode: str
) -> None:
    operation = api_schema[path][method.upper()]
    strategy = operation.as_strategy(generation_mode=schemathesis.GenerationMode(mode))

    @given(strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=not SOAK,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case: Any) -> None:
        if mode == "positive":
            _aim(case)
        case.call_and_validate(checks=CHECKS)

    run()
