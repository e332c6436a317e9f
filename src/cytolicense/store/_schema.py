"""JSON Schema (draft 2020-12) of every document :func:`~cytolicense.to_json` writes.

One generator, read from the attrs classes themselves (their fields, types and
defaults), with the converter's conventions: an envelope ``{"cytolicense", "type",
"data"}``, dates as ISO strings, periods as ``"1y"``, enums as their values,
frozensets as arrays of distinct values, events inside a change tagged with their
``type``. A field without a default is required; no object takes unknown keys.
Nothing here validates: hosts hand the schemas to their own validator (and to
OpenAPI).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import types
import typing
from collections.abc import Mapping
from typing import Any, get_args, get_origin

import attrs

from ..core._events import EVENT_TYPES, Event
from ..core._operations import OPERATION_TYPES, Operation
from ..core._period import Period
from ._serialize import FORMAT_VERSION, SERIALIZABLE

__all__ = ["SCHEMA_NAMES", "json_schema"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"

_DATE = {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
_MOMENT = {"type": "string", "format": "date-time"}
_PERIOD = {
    "type": "string",
    "pattern": r"^(?=.)([0-9]{1,4}[yY])?([0-9]{1,4}[mM])?$",
    "description": "A period: '1y', '2y', '3y', '1m' or '1y6m'.",
}

SCHEMA_NAMES: tuple[str, ...] = tuple(sorted(SERIALIZABLE))
"""Every type name :func:`json_schema` knows (every record, operation and event)."""


class _Builder:
    """Collects the ``$defs`` one schema needs while walking the types."""

    def __init__(self) -> None:
        self.defs: dict[str, dict[str, Any]] = {}

    def of(self, tp: Any) -> dict[str, Any]:
        """The schema of a value of type *tp* as the converter writes it."""
        if tp is Any:
            return {}
        if tp is type(None) or tp is None:
            return {"type": "null"}
        if tp is bool:
            return {"type": "boolean"}
        if tp is int:
            return {"type": "integer"}
        if tp is str:
            return {"type": "string"}
        if tp is float:
            return {"type": "number"}
        if tp is dt.datetime:
            return dict(_MOMENT)
        if tp is dt.date:
            return dict(_DATE)
        if tp is Period:
            return dict(_PERIOD)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return {"type": "string", "enum": [m.value for m in tp]}
        if tp is Event:
            return {"oneOf": [self.tagged(cls) for cls in EVENT_TYPES]}
        if tp == Operation:
            return {"oneOf": [self.tagged(cls) for cls in OPERATION_TYPES]}
        if isinstance(tp, type) and attrs.has(tp):
            return self.ref(tp)
        origin, args = get_origin(tp), get_args(tp)
        if origin in (typing.Union, types.UnionType):
            return {"anyOf": [self.of(a) for a in args]}
        if origin is typing.Literal:
            return {"enum": list(args)}
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return {"type": "array", "items": self.of(args[0])}
            return {
                "type": "array",
                "prefixItems": [self.of(a) for a in args],
                "items": False,
                "minItems": len(args),
            }
        if origin in (frozenset, set):
            return {"type": "array", "items": self.of(args[0]), "uniqueItems": True}
        if origin in (list,):
            return {"type": "array", "items": self.of(args[0])}
        if origin in (dict, Mapping) or origin is getattr(typing, "Mapping", None):
            key, value = args or (str, Any)
            out: dict[str, Any] = {"type": "object", "additionalProperties": self.of(value)}
            if isinstance(key, type) and issubclass(key, enum.Enum):
                out["propertyNames"] = {"enum": [m.value for m in key]}
            return out
        raise TypeError(f"json_schema: no JSON form for the type {tp!r}")

    def ref(self, cls: type) -> dict[str, Any]:
        name = cls.__name__
        if name not in self.defs:
            self.defs[name] = {}  # placeholder: recursive types refer to it
            self.defs[name] = self.object(cls)
        return {"$ref": f"#/$defs/{name}"}

    def object(self, cls: type, tag: str | None = None) -> dict[str, Any]:
        """An attrs class as an object: its init fields, required when they have no
        default, no other key."""
        hints = _hints(cls)
        properties: dict[str, Any] = {}
        required: list[str] = []
        if tag is not None:
            properties["type"] = {"const": tag}
            required.append("type")
        for f in attrs.fields(cls):
            if not f.init:
                continue
            properties[f.name] = self.of(hints[f.name])
            if f.default is attrs.NOTHING:
                required.append(f.name)
        doc = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
        out: dict[str, Any] = {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        }
        if doc:
            out["description"] = doc
        return out

    def tagged(self, cls: type) -> dict[str, Any]:
        """An event inside a union (a change's events): tagged with its type."""
        name = f"{cls.__name__}.tagged"
        if name not in self.defs:
            self.defs[name] = self.object(cls, tag=cls.__name__)
        return {"$ref": f"#/$defs/{name}"}


def _hints(cls: type) -> dict[str, Any]:
    """*cls*'s field types, resolved (the modules use ``from __future__ import
    annotations``)."""
    namespace: dict[str, Any] = {"dt": dt}
    for klass in reversed(cls.__mro__):
        module = __import__(klass.__module__, fromlist=["_"])
        namespace.update(vars(module))
    return typing.get_type_hints(cls, globalns=namespace)


@functools.cache
def _schema(type_name: str) -> dict[str, Any]:
    cls = SERIALIZABLE[type_name]
    builder = _Builder()
    data = builder.ref(cls) if attrs.has(cls) else builder.of(cls)
    return {
        "$schema": DIALECT,
        "$id": f"https://cytolicense.invalid/schemas/{type_name}.json",
        "title": type_name,
        "description": f"A cytolicense {type_name} document, as to_json writes it "
        f"(format version {FORMAT_VERSION}; versions 1 to {FORMAT_VERSION} are read).",
        "type": "object",
        "properties": {
            "cytolicense": {"type": "integer", "minimum": 1, "maximum": FORMAT_VERSION},
            "type": {"const": type_name},
            "data": data,
        },
        "required": ["cytolicense", "type", "data"],
        "additionalProperties": False,
        "$defs": builder.defs,
    }


def json_schema(type_name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the document :func:`~cytolicense.to_json`
    writes for *type_name* (``"Client"``, ``"AssignmentRequest"``,
    ``"ProductAssigned"``, ...), envelope included.

    A fresh copy each call (callers may change it).

    Raises:
        KeyError: *type_name* is not a cytolicense document type.
    """
    if type_name not in SERIALIZABLE:
        raise KeyError(type_name)
    import copy

    return copy.deepcopy(_schema(type_name))
