"""The OpenAPI 3.1 document of the JSON API, built from the library's JSON Schemas."""

from __future__ import annotations

from typing import Any

from ..core._operations import OPERATION_TYPES
from ..store._schema import json_schema

__all__ = ["openapi"]

OPERATIONS = [cls.__name__ for cls in OPERATION_TYPES]


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the JSON API (schemas from :func:`json_schema`)."""
    names = [*OPERATIONS, "Client", "Decision", "ProductOffer", "Finding"]
    components: dict[str, Any] = {}
    for name in names:
        schema = json_schema(name)
        for key, sub in schema.pop("$defs", {}).items():
            components.setdefault(key.replace(".", "_"), _relink(sub))
        schema.pop("$schema", None)
        schema.pop("$id", None)
        components[f"{name}Document"] = _relink(schema)

    def ref(name: str) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{name}Document"}

    def body(schema: dict[str, Any], description: str) -> dict[str, Any]:
        return {"description": description, "content": {"application/json": {"schema": schema}}}

    error = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}
    client_id = {"name": "client_id", "in": "path", "required": True, "schema": {"type": "string"}}
    operation = {"oneOf": [ref(n) for n in OPERATIONS]}
    decision = {"type": "object", "properties": {"decision": ref("Decision")}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "cytolicense console API", "version": "3"},
        "paths": {
            "/api/health": {"get": {"responses": {"200": body({"type": "object"}, "alive")}}},
            "/api/clients": {
                "get": {"responses": {"200": body({"type": "object"}, "the clients")}},
                "post": {
                    "requestBody": body(
                        {
                            "type": "object",
                            "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                            "required": ["id", "name"],
                            "additionalProperties": False,
                        },
                        "the new client",
                    ),
                    "responses": {
                        "201": body(ref("Client"), "added"),
                        "400": body(error, "a bad id or name"),
                        "409": body(error, "the id is in use"),
                    },
                },
            },
            "/api/clients/{client_id}": {
                "get": {
                    "parameters": [client_id],
                    "responses": {
                        "200": body(ref("Client"), "the client"),
                        "404": body(error, "unknown"),
                    },
                }
            },
            "/api/clients/{client_id}/offer": {
                "get": {
                    "parameters": [client_id],
                    "responses": {
                        "200": body(
                            {
                                "type": "object",
                                "properties": {
                                    "products": {"type": "array", "items": ref("ProductOffer")}
                                },
                            },
                            "what the add-product dialog may offer",
                        )
                    },
                }
            },
            "/api/clients/{client_id}/operations": {
                "post": {
                    "parameters": [
                        client_id,
                        {"name": "dry_run", "in": "query", "schema": {"type": "boolean"}},
                        {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}},
                    ],
                    "requestBody": body(operation, "an operation document"),
                    "responses": {
                        "200": body(decision, "applied (or, with dry_run, checked)"),
                        "400": body(error, "not an operation document"),
                        "404": body(error, "unknown client"),
                        "409": body(error, "a conflict, or a key used for another body"),
                        "413": body(error, "body too large"),
                        "422": body(decision, "refused: the decision's errors"),
                    },
                }
            },
            "/api/clients/{client_id}/history": {
                "get": {
                    "parameters": [client_id],
                    "responses": {"200": body({"type": "object"}, "the client's events")},
                }
            },
            "/openapi.json": {"get": {"responses": {"200": body({"type": "object"}, "this")}}},
        },
        "components": {"schemas": components},
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
