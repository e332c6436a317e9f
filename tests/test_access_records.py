"""The records of a console for a team: roles, grants, operators, requests, the audit."""

from __future__ import annotations

import datetime as dt
import json

import jsonschema
import pytest

import cytolicense as cl
from cytolicense import (
    CODES,
    PERMISSIONS,
    AuditEntry,
    ForbiddenError,
    Grant,
    Modify,
    OperationRequest,
    Operator,
    Role,
    from_json,
    json_schema,
    to_json,
)
from cytolicense.core._access import forbidden, reaches

RECORDS = [
    Grant(group="north"),
    Grant(group="north/retail", subgroups=False),
    Operator(
        id="ana",
        name="Ana",
        role=Role.LICENSE_ADMIN,
        grants={Grant(group="north"), Grant(group="south/x", subgroups=False)},
    ),
    Operator(id="root", name="Root", role="total_control", primary=True),
    OperationRequest(
        id="r1",
        client="c1",
        operation=Modify(maintenance="m1", quantity=3),
        requested_by="ana",
        requested_on=dt.date(2026, 4, 1),
    ),
    OperationRequest(
        id="r2",
        client="c1",
        operation=cl.DeleteClient(),
        requested_by=None,
        requested_on=dt.date(2026, 4, 1),
        status="rejected",
        decided_by="bob",
        decided_on=dt.date(2026, 4, 2),
        reason="no",
    ),
    AuditEntry(
        at=dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC),
        operator=None,
        client="c1",
        action="modify",
        outcome="refused",
        codes=("quantity.invalid",),
    ),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_documents_round_trip_and_validate(record: object) -> None:
    text = to_json(record)
    assert from_json(type(record), text) == record
    jsonschema.validate(json.loads(text), json_schema(type(record).__name__))


def test_schema_refuses_unknown_keys_and_wrong_types() -> None:
    doc = json.loads(to_json(RECORDS[2]))
    doc["data"]["role"] = "king"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, json_schema("Operator"))
    with pytest.raises(cl.DataError):
        from_json(Operator, json.dumps(doc))


def test_records_are_frozen_and_keyword_only() -> None:
    with pytest.raises(TypeError):
        Grant("north")  # type: ignore[misc]
    op = Operator(id="a", name="A", role="monitoring")
    with pytest.raises(AttributeError):
        op.role = Role.TOTAL_CONTROL  # type: ignore[misc]
    with pytest.raises(ValueError, match="unknown role"):
        Operator(id="a", name="A", role="king")
    with pytest.raises(ValueError):
        Grant(group="north//retail")
    with pytest.raises(TypeError):
        AuditEntry(
            at=dt.datetime(2026, 1, 1),  # naive
            operator=None,
            client=None,
            action="x",
            outcome="applied",
        )


def test_scope_follows_grants() -> None:
    later = [Grant(group="north")]
    assert reaches(later, "north")
    assert reaches(later, "north/retail/new")  # a subgroup created later
    assert not reaches(later, "northern")
    alone = [Grant(group="north", subgroups=False)]
    assert reaches(alone, "north") and not reaches(alone, "north/retail")
    assert reaches([Grant(group="")], "any/thing")
    assert not reaches([Grant(group="", subgroups=False)], "any")
    boss = Operator(id="b", name="B", role=Role.TOTAL_CONTROL)
    assert boss.reaches("anything")


def test_permissions_table() -> None:
    assert set(PERMISSIONS) == set(Role)
    assert {r.value for r in Role} == {
        "total_control",
        "license_admin",
        "security_admin",
        "monitoring",
    }
    assert not Operator(id="m", name="M", role="monitoring").may("apply")
    assert Operator(id="s", name="S", role="security_admin").may("request")


def test_forbidden_error_and_codes() -> None:
    exc = forbidden("ana", "delete_client")
    assert isinstance(exc, ForbiddenError) and isinstance(exc, cl.CytolicenseError)
    assert exc.finding.code == "auth.forbidden"
    assert exc.finding.field == "operator"
    assert dict(exc.finding.params) == {"operator": "ana", "action": "delete_client"}
    assert "ana" in exc.message_in("es") and exc.message_in("es") != str(exc)
    for code in ("auth.forbidden", "auth.primary_immutable", "auth.last_admin", "request.expired"):
        assert code in CODES
