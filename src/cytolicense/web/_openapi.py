"""The OpenAPI 3.1 document of the JSON API, built from the library's JSON Schemas.

Made for generators as much as for readers (openapi-python-client builds a working
client from it; schemathesis tests the app against it in the suite):

- every component has a title of its own (a document's schema is titled
  ``<Type>Document``, not after the record it wraps, so no two models collide);
- the unions (an operation document, an event document) carry a discriminator on
  the envelope's ``type``;
- every list answer is typed, every error body is the ``Error`` schema, and each
  path declares every status the API answers there;
- the inputs carry their bounds: a client id of 1 to 200 printable characters
  without ``/``, seats from 1 to :data:`~cytolicense.core._validation.MAX_SEATS`,
  an idempotency key of 1 to 200 printable characters.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from ..core._events import EVENT_TYPES
from ..core._operations import OPERATION_TYPES
from ..core._validation import MAX_SEATS
from ..store._schema import json_schema

__all__ = ["openapi"]

OPERATIONS = [cls.__name__ for cls in OPERATION_TYPES]
EVENTS = [cls.__name__ for cls in EVENT_TYPES]

MAX_ID = 200
"""The longest client id (and idempotency key) the API takes, in characters."""

# Characters a JSON Schema pattern can name without Unicode property classes: the
# controls, the format characters of the BMP, the spaces other than " " and the
# private use area (ids and names are "printable": str.isprintable, which no
# portable pattern spells exactly; the server's check is the last word).
_CONTROL = r"\x00-\x1f\x7f-\x9f"
_FORMAT = (
    r"\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    r"\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)
_SPACES = r"\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_PRIVATE = r"\ue000-\uf8ff"
_ID_CHAR = rf"[^/{_CONTROL}{_FORMAT}\u200d{_SPACES}{_PRIVATE}]"
CLIENT_ID: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_ID,
    # printable, not blank, no "/" (a path segment), not "." or ".." (which a URL
    # resolves away): every id the API creates is reachable at /api/clients/{id}
    "pattern": rf"^(?!\.\.?$)(?=.*[^ ]){_ID_CHAR}{{1,{MAX_ID}}}$",
    "description": "A client id: 1 to 200 printable characters, not blank, without '/'.",
}
NAME: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    # a name may hold any text but controls and format characters (a ZWJ joins emoji)
    "pattern": rf"^(?=.*\S)[^{_CONTROL}{_FORMAT}]+$",
    "description": "A name: text without control or format characters, not blank.",
}
KEY: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_ID,
    "pattern": r"^[\x21-\x7e]([\x20-\x7e]{0,198}[\x21-\x7e])?$",
    "description": (
        "An idempotency key: 1 to 200 printable characters. A repeated request with "
        "the same key and body answers as the first and applies nothing; the same key "
        "with another body is a 409."
    ),
}
SEATS: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": MAX_SEATS}
MAX_PAGE = 1000
"""The largest page ``GET /api/clients?limit=`` gives (the app refuses more, and the
document says so: one number for both)."""
MESSAGES: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string"},
    "description": (
        "Each finding's message, in order, in the language asked for (?lang= or "
        "Accept-Language); only when one is asked for."
    ),
}

ERROR: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "What was wrong, in a sentence."},
        "request_id": {
            "type": "string",
            "description": "The request's id in the server's log (a server error).",
        },
        "retry": {
            "type": "boolean",
            "description": "True when the same request may succeed if sent again (409).",
        },
    },
    "required": ["error"],
    "description": "Every error the API answers (never a traceback, path or URL).",
}


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the JSON API (schemas from :func:`json_schema`).

    A fresh copy each call.
    """
    return copy.deepcopy(_document())


def _components() -> dict[str, Any]:
    components: dict[str, Any] = {}
    for name in [*OPERATIONS, *EVENTS, "Client", "Decision", "ProductOffer", "Finding", "FeedItem"]:
        schema = json_schema(name)
        for key, sub in schema.pop("$defs", {}).items():
            components.setdefault(key.replace(".", "_"), _relink(sub))
        schema.pop("$schema", None)
        schema.pop("$id", None)
        schema["title"] = f"{name}Document"  # not the wrapped record's: no collision
        components[f"{name}Document"] = _relink(schema)
    for name in OPERATIONS:
        _bound_seats(components[name])
    for key, schema in components.items():
        schema.setdefault("title", key)
    return components


def _bound_seats(schema: dict[str, Any]) -> None:
    """Seats in an operation (its ``quantity`` and each module's) from 1 to MAX_SEATS.

    The documents themselves may hold any int (0 seats is a request ``check`` refuses
    with ``quantity.invalid``); through the API a request outside the bounds is
    refused (422 below 1, 400 above the maximum).
    """
    props = schema.get("properties", {})
    quantity = props.get("quantity")
    if quantity == {"type": "integer"}:
        props["quantity"] = dict(SEATS)
    elif quantity == {"anyOf": [{"type": "integer"}, {"type": "null"}]}:
        props["quantity"] = {"anyOf": [dict(SEATS), {"type": "null"}]}
    for modules in (props.get("modules"), *props.get("modules", {}).get("anyOf", ())):
        if isinstance(modules, dict) and modules.get("type") == "object":
            modules["additionalProperties"] = {"anyOf": [dict(SEATS), {"type": "null"}]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _union(names: list[str]) -> dict[str, Any]:
    """One of the documents *names*, told apart by the envelope's ``type``."""
    return {
        "oneOf": [_ref(f"{n}Document") for n in names],
        "discriminator": {
            "propertyName": "type",
            "mapping": {n: f"#/components/schemas/{n}Document" for n in names},
        },
    }


def _body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str, *, fault: bool = False) -> dict[str, Any]:
    out = _body(_ref("Error"), description)
    if fault:  # the server's faults carry the request id, in the body and a header
        out["headers"] = {
            "X-Request-Id": {
                "description": "The request's id in the server's log.",
                "required": False,
                "schema": {"type": "string"},
            }
        }
    return out


def _said(response: dict[str, Any]) -> dict[str, Any]:
    """A decision's answer: in the language asked for, when one is."""
    response["headers"] = {
        "Content-Language": {
            "description": "The language of the messages, when one was asked for.",
            "required": False,
            "schema": {"type": "string"},
        }
    }
    return response


def _object(title: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"title": title, "type": "object", "properties": properties, "required": required}


def _schemas() -> dict[str, Any]:
    date = {"type": "string", "format": "date"}
    return {
        "Error": ERROR,
        "Health": _object("Health", {"status": {"type": "string", "enum": ["ok"]}}, ["status"]),
        "ClientSummary": {
            **_object(
                "ClientSummary",
                {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "shown": {
                        "type": "boolean",
                        "description": "Whether the monitoring list shows it today.",
                    },
                    "ended_on": {**date, "description": "Its last day of service so far."},
                    "deleted_on": {"anyOf": [date, {"type": "null"}]},
                    "products": {"type": "array", "items": {"type": "string"}},
                },
                ["id", "name", "shown", "ended_on", "deleted_on", "products"],
            ),
            "description": "One client in the list: enough to show it in a table.",
        },
        "ClientList": _object(
            "ClientList",
            {
                "clients": {"type": "array", "items": _ref("ClientSummary")},
                "next": {
                    "anyOf": [{"type": "string"}, {"type": "null"}],
                    "description": (
                        "With ?limit: the id to pass as ?after= for the next page "
                        "(null: this was the last)."
                    ),
                },
            },
            ["clients"],
        ),
        "NewClient": {
            **_object("NewClient", {"id": CLIENT_ID, "name": NAME}, ["id", "name"]),
            "additionalProperties": False,
        },
        "Offer": _object(
            "Offer",
            {"products": {"type": "array", "items": _ref("ProductOfferDocument")}},
            ["products"],
        ),
        "EventDocument": {"title": "EventDocument", **_union(EVENTS)},
        "History": _object(
            "History",
            {"events": {"type": "array", "items": _ref("EventDocument")}},
            ["events"],
        ),
        "Feed": _object(
            "Feed",
            {
                "items": {"type": "array", "items": _ref("FeedItemDocument")},
                "next": {"type": ["integer", "null"], "minimum": 1},
            },
            ["items", "next"],
        ),
        "OperationDocument": {"title": "OperationDocument", **_union(OPERATIONS)},
        "OperationResult": {
            **_object(
                "OperationResult",
                {
                    "decision": _ref("DecisionDocument"),
                    "client": _ref("ClientDocument"),
                    "messages": MESSAGES,
                },
                ["decision"],
            ),
            "description": (
                "The decision (its warnings), and the client after the change unless it "
                "was a dry run."
            ),
        },
        "Refusal": {
            **_object(
                "Refusal",
                {"decision": _ref("DecisionDocument"), "messages": MESSAGES},
                ["decision"],
            ),
            "description": "Refused: the decision, with its errors. Nothing changed.",
        },
    }


def _paths() -> dict[str, Any]:
    client_id = {
        "name": "client_id",
        "in": "path",
        "required": True,
        "schema": CLIENT_ID,
        "example": "acme",
    }
    lang = {
        "name": "lang",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "example": "es",
        "description": (
            "The language of the messages (en, es; else English), as an Accept-Language "
            "header would ask."
        ),
    }
    # What any request may be answered, besides its own statuses.
    anywhere = {
        "421": _error("the Host is not a name this app answers for"),
        "500": _error("a fault of the server (the detail is in its log)", fault=True),
    }
    unavailable = _error("the database is unreachable: try again shortly", fault=True)
    common = {
        **anywhere,
        "401": _error("a token or a login is required (when the host configures one)"),
        "503": unavailable,
    }
    read = {
        **common,
        "403": _error("the operator may not do this"),
        "404": _error("no such client (or out of the operator's scope)"),
    }
    write = {
        **read,
        "400": _error("a body that is not JSON, or not what this path takes"),
        "409": _error(
            "a conflict: another write to the client won the race (retry: true), or the "
            "idempotency key is in use for another request"
        ),
        "403": _error("the operator may not do this, or a write from another site"),
        "413": _error("the body is over the limit (1 MiB by default)"),
        "415": _error("the body is not sent as application/json"),
    }

    def get(op_id: str, summary: str, ok: dict[str, Any], errors: dict[str, Any]) -> Any:
        return {
            "get": {
                "operationId": op_id,
                "summary": summary,
                "parameters": [client_id, lang],
                "responses": {"200": ok, **errors},
            }
        }

    clients_read = {k: v for k, v in read.items() if k != "404"}
    clients_write = {k: v for k, v in write.items() if k != "404"}
    return {
        "/api/health": {
            "get": {
                "operationId": "health",
                "summary": "Whether the app and its database answer",
                "responses": {
                    "200": _body(_ref("Health"), "the app and its database answer"),
                    **anywhere,
                    "503": unavailable,
                },
            }
        },
        "/api/clients": {
            "get": {
                "operationId": "list_clients",
                "summary": "The partner's clients (every one, or a page of them)",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                        "description": "At most this many clients, in id order (a page).",
                    },
                    {
                        "name": "after",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "The page starts after this id (the last page's next).",
                    },
                    lang,
                ],
                "responses": {
                    "200": _body(_ref("ClientList"), "the clients"),
                    **clients_read,
                    "400": _error("a limit that is not a whole number from 1 to 1000"),
                },
            },
            "post": {
                "operationId": "add_client",
                "summary": "Add a client",
                "parameters": [lang],
                "requestBody": {
                    "required": True,
                    **_body(_ref("NewClient"), "the new client's id and name"),
                },
                "responses": {
                    "201": _body(_ref("ClientDocument"), "added: the Client document"),
                    **clients_write,
                    "400": _error("not JSON, or a bad id or name"),
                    "409": _error("the id is in use"),
                },
            },
        },
        "/api/clients/{client_id}": get(
            "get_client",
            "One client, every maintenance it ever had",
            _body(_ref("ClientDocument"), "the Client document"),
            read,
        ),
        "/api/clients/{client_id}/offer": get(
            "get_offer",
            "What the add-product dialog may offer the client today",
            _body(_ref("Offer"), "one ProductOffer document per product"),
            read,
        ),
        "/api/clients/{client_id}/operations": {
            "post": {
                "operationId": "apply_operation",
                "summary": "Apply an operation to the client (or check it: dry_run)",
                "parameters": [
                    client_id,
                    {
                        "name": "dry_run",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "boolean", "default": False},
                        "description": (
                            "true: only check the operation (the decision; nothing "
                            "changes). Written true or false (or 1 or 0); any other value "
                            "is a 400."
                        ),
                    },
                    {"name": "Idempotency-Key", "in": "header", "required": False, "schema": KEY},
                    lang,
                ],
                "requestBody": {
                    "required": True,
                    **_body(_ref("OperationDocument"), "an operation document"),
                },
                "responses": {
                    "200": _said(
                        _body(
                            _ref("OperationResult"),
                            "applied: the decision and the client; with dry_run: the decision",
                        )
                    ),
                    **write,
                    "400": _error("not JSON, not an operation document, or a bad parameter"),
                    "422": _said(_body(_ref("Refusal"), "refused: the decision's errors")),
                },
            }
        },
        "/api/clients/{client_id}/history": get(
            "get_history",
            "The client's events, oldest first",
            _body(_ref("History"), "the events"),
            read,
        ),
        "/api/feed": {
            "get": {
                "operationId": "get_feed",
                "summary": "The partner's event feed after a position, in commit order",
                "parameters": [
                    {
                        "name": "after",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "type": "integer",
                            "minimum": 0,
                            "maximum": 2**63 - 1,
                            "default": 0,
                        },
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                    },
                ],
                "responses": {
                    "200": _body(_ref("Feed"), "the items, and the position to ask after next"),
                    "400": _error("after or limit is not a whole number in its range"),
                    **clients_read,
                },
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {
                    "200": _body({"type": "object"}, "the OpenAPI document"),
                    **anywhere,
                },
            }
        },
    }


@functools.cache
def _document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "cytolicense console API",
            "version": "4",
            "description": (
                "The JSON API of the cytolicense web console. Bodies are JSON; records "
                "are the library's documents as to_json writes them, envelope included."
            ),
        },
        "paths": _paths(),
        "components": {
            "schemas": {**_components(), **_schemas()},
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The shared token, when the app is given one.",
                }
            },
        },
        # the token is needed only when the host configures one
        "security": [{}, {"token": []}],
    }


def _relink(node: Any) -> Any:
    """A schema with its ``#/$defs/X`` references pointing at OpenAPI's components."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith("#/$defs/"):
                out[k] = "#/components/schemas/" + v.removeprefix("#/$defs/").replace(".", "_")
            else:
                out[k] = _relink(v)
        return out
    if isinstance(node, list):
        return [_relink(x) for x in node]
    return node
