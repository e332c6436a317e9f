"""One document schema: the records' own attrs declarations, read and written.

A client document is its records' fields, and nothing else says what they are. From
each record class's fields (their types, converters, validators, defaults and the
``omit_if_default`` mark in their metadata) this module generates, once per class, a
**writer** (record to JSON data) and a **reader** (JSON data to record), and registers
their source in :mod:`linecache` as attrs does for the methods it generates, so a
debugger or a traceback shows them. A new field is written once, in its record.

The strict converter (:func:`~cytolicense.store._serialize.converter`) reads and writes
the same documents from the same declarations; these functions exist because the
stores read and write a client document on every change (the converter's reading cost
2.4x this reader's on the monitoring list of 5,000 clients, measured). Each reader
checks what the converter checks, in the same functions: a value's JSON type as the
converter's hooks do, then the field's own converter and validators, then the record's
``__attrs_post_init__``. At anything else (a field missing or unknown, a type it has no
code for) it gives up and the caller reads the document through the converter, which
says what is wrong; so a reader never words an error, and tests/test_serialize.py holds
it to the converter on fuzzed documents.

A field marked ``metadata={"omit_if_default": True}`` is written only when it holds
something other than its default (documents written before it existed stay as they
were); the converter honours the same mark.
"""

from __future__ import annotations

import datetime as dt
import enum
import linecache
import types
import typing
from collections.abc import Callable
from typing import Any

import attrs

from ..core._client_records import Client
from ..core._events import Event
from ..core._period import Period
from ..core._schema import KEEPS, OMIT_IF_DEFAULT, PASSES
from ..core._trusted import slot_setter

__all__ = ["FORMAT_VERSION", "client_data", "event_document", "read_client", "reader", "writer"]

FORMAT_VERSION = 2
"""The version written in every document; documents up to this version are read.
Version 2 (round 2) adds the lifecycle fields (grace, replacement, extension, the
last change, actor, reason, catalog); version 1 documents read with their defaults."""


class _Unusual(Exception):
    """Not a document this reader reads: the converter reads it (and words any error)."""


_DAYS: dict[str, dt.date] = {}
"""Days already read (a client's documents repeat a few); bounded."""

_PERIODS: dict[str, Period] = {text: Period.parse(text) for text in ("1m", "1y", "2y", "3y")}


def _day(value: Any) -> dt.date:
    day = _DAYS.get(value) if type(value) is str else None
    if day is not None:
        return day
    # The converter's rule: YYYY-MM-DD exactly, ASCII digits, a real day.
    if not (
        type(value) is str
        and len(value) == 10
        and value.isascii()
        and value[4] == "-"
        and value[7] == "-"
        and (value[:4] + value[5:7] + value[8:]).isdigit()
    ):
        raise _Unusual
    day = dt.date.fromisoformat(value)  # ValueError: not a real day
    if len(_DAYS) >= 4096:
        _DAYS.clear()
    _DAYS[value] = day
    return day


def _period(value: Any) -> Period:
    if type(value) is not str:
        raise _Unusual
    return _PERIODS.get(value) or Period.parse(value)


def _list(value: Any) -> list[Any]:
    if type(value) is not list:
        raise _Unusual
    return value


class _Unsupported(Exception):
    """A field of a type this module has no code for (the converter handles the class)."""


def _optional(tp: Any) -> Any | None:
    """``X`` for ``X | None``; ``None`` for any other type."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0]
    return None


_PLAIN = (str, int, bool)


class _Code:
    """The namespace and source lines of one generated function."""

    def __init__(self) -> None:
        self.names: dict[str, Any] = {
            "Unusual": _Unusual,
            "day": _day,
            "days": _DAYS,
            "period": _period,
        }
        self.locals = 0

    def unless(self, known: tuple[str, dict[str, Any]] | None, v: str, call: str) -> list[str]:
        """*call*, made only when the declared expression *known* (of ``{v}``) is false
        of *v*: the usual value costs no call."""
        if known is None:
            return [call]
        expression, names = known
        for key, value in names.items():
            if self.names.setdefault(key, value) is not value:
                raise TypeError(f"two declarations give {key!r} different values")
        return [f"if not ({expression.format(v=v)}):", f"    {call}"]

    def local(self) -> str:
        """A name for a local variable of the generated function, not used before."""
        self.locals += 1
        return f"x{self.locals}"

    def name(self, prefix: str, value: Any) -> str:
        key = f"{prefix}{len(self.names)}"
        self.names[key] = value
        return key


def _read_lines(tp: Any, v: str, code: _Code) -> list[str]:
    """Statements checking the JSON value in local *v* as a *tp* and leaving the value
    of that type in *v* (raising ``Unusual`` otherwise)."""
    inner = _optional(tp)
    if inner is not None:
        return [f"if {v} is not None:", *("    " + line for line in _read_lines(inner, v, code))]
    if tp in _PLAIN:
        return [f"if type({v}) is not {tp.__name__}:", "    raise Unusual"]
    if tp is dt.date:
        return [f"{v} = days.get({v}) or day({v})"]  # a day read before, or read it now
    if tp is Period:
        return [f"{v} = period({v})"]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        members = code.name("e", {m.value: m for m in tp})
        return [f"{v} = {members}[{v}]"]
    if attrs.has(tp):
        return [f"{v} = {code.name('r', reader(tp))}({v})"]
    args = typing.get_args(tp)
    if typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = args[0]
        if attrs.has(item):
            read = code.name("r", reader(item))
            return [f"{v} = tuple([{read}(x) for x in list_({v})])"]
        x, items = code.local(), code.local()  # a plain item: each read in a loop
        return [
            f"{items} = []",
            f"for {x} in list_({v}):",
            *("    " + line for line in _read_lines(item, x, code)),
            f"    {items}.append({x})",
            f"{v} = tuple({items})",
        ]
    raise _Unsupported(tp)


def _write_expr(tp: Any, v: str, code: _Code) -> str:
    """An expression of the JSON value of *v*, a *tp*."""
    inner = _optional(tp)
    if inner is not None:
        written = _write_expr(inner, v, code)
        return v if written == v else f"None if {v} is None else {written}"
    if tp in _PLAIN:
        return v
    if tp is dt.date:
        return f"{v}.isoformat()"
    if tp is Period:
        return f"str({v})"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return f"{v}.value"
    if attrs.has(tp):
        write = writer(tp)
        if write is None:
            raise _Unsupported(tp)
        return f"{code.name('w', write)}({v})"
    args = typing.get_args(tp)
    if typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis:
        return f"[{_write_expr(args[0], 'x', code)} for x in {v}]"
    raise _Unsupported(tp)


def _compile(source: str, what: str, namespace: dict[str, Any]) -> Any:
    filename = f"<cytolicense {what}>"
    exec(compile(source, filename, "exec"), namespace)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return namespace["generated"]


_READERS: dict[type, Callable[[Any], Any]] = {}
_WRITERS: dict[type, Callable[[Any], dict[str, Any]] | None] = {}


def reader(cls: type) -> Callable[[Any], Any]:
    """``read(data)``: the *cls* record a document's *data* describes, checked as the
    constructor checks it; raises at anything the converter should read instead."""
    found = _READERS.get(cls)
    if found is not None:
        return found
    try:
        read = _generate_reader(cls)
    except (_Unsupported, NameError):  # a field this module has no code for
        read = _unread
    _READERS[cls] = read
    return read


def _unread(data: Any) -> Any:
    """The reader of a record with a field of a type this module does not read."""
    raise _Unusual


def _generate_reader(cls: type) -> Callable[[Any], Any]:
    code = _Code()
    code.names.update(new=object.__new__, cls=cls, list_=_list)
    hints = typing.get_type_hints(cls)
    fields = [f for f in attrs.fields(cls) if f.init]
    required = [f for f in fields if not f.metadata.get(OMIT_IF_DEFAULT)]
    body = ["if type(d) is not dict:", "    raise Unusual"]
    body += [f"v{k} = d[{f.name!r}]" for k, f in enumerate(fields) if f in required]
    body.append(f"n = {len(required)}")
    for k, f in enumerate(fields):
        lines = _read_lines(hints[f.name], f"v{k}", code)
        if f in required:
            body += lines
        else:
            default = _default(f, code)
            body += [f"if {f.name!r} in d:", "    n += 1", f"    v{k} = d[{f.name!r}]"]
            body += ["    " + line for line in lines]
            body += ["else:", f"    v{k} = {default}"]
    body += ["if len(d) != n:", "    raise Unusual"]  # a key the record does not have
    for k, f in enumerate(fields):
        if f.converter is not None:
            convert = f"v{k} = {code.name('c', f.converter)}(v{k})"
            body += code.unless(KEEPS.get(f.converter), f"v{k}", convert)
    body.append("inst = new(cls)")
    for k, f in enumerate(fields):
        body.append(f"{code.name('s', slot_setter(cls, f.name))}(inst, v{k})")
    for k, f in enumerate(fields):
        if f.validator is not None:
            check, field = code.name("check", f.validator), code.name("field", f)
            body += code.unless(PASSES.get(f.validator), f"v{k}", f"{check}(inst, {field}, v{k})")
    if hasattr(cls, "__attrs_post_init__"):
        body.append("inst.__attrs_post_init__()")
    body.append("return inst")
    source = "def generated(d):\n" + "".join(f"    {line}\n" for line in body)
    read: Callable[[Any], Any] = _compile(source, f"reader {cls.__qualname__}", code.names)
    return read


def writer(cls: type) -> Callable[[Any], dict[str, Any]] | None:
    """``write(record)``: the JSON data of a *cls* record, as the converter writes it;
    ``None`` when a field is of a type this module has no code for."""
    if cls in _WRITERS:
        return _WRITERS[cls]
    _WRITERS[cls] = None  # a class holding itself: the converter writes it
    code = _Code()
    fields = [f for f in attrs.fields(cls) if f.init]
    try:
        hints = typing.get_type_hints(cls)
        items = [
            f"{f.name!r}: {_write_expr(hints[f.name], 'o.' + f.name, code)}"
            for f in fields
            if not f.metadata.get(OMIT_IF_DEFAULT)
        ]
        omitted = []
        for f in fields:
            if f.metadata.get(OMIT_IF_DEFAULT):
                default = _default(f, code)
                value = _write_expr(hints[f.name], "o." + f.name, code)
                omitted += [f"if o.{f.name} != {default}:", f"    d[{f.name!r}] = {value}"]
    except (_Unsupported, NameError):  # NameError: an annotation names a type not imported
        return None
    body = [f"d = {{{', '.join(items)}}}", *omitted, "return d"]
    source = "def generated(o):\n" + "".join(f"    {line}\n" for line in body)
    found: Callable[[Any], dict[str, Any]] = _compile(
        source, f"writer {cls.__qualname__}", code.names
    )
    _WRITERS[cls] = found
    return found


def _default(f: attrs.Attribute[Any], code: _Code) -> str:
    """An expression of field *f*'s default value."""
    default: Any = f.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return f"{code.name('factory', default.factory)}()"
    return code.name("default", default)


def read_client(data: Any) -> Client | None:
    """The client *data* (a document's ``data`` object) describes, checked as the strict
    converter checks it; ``None`` when this reader does not read it (the caller then
    reads it through the converter, which says what is wrong, if anything)."""
    try:
        found: Client = _read_client(data)
    except Exception:  # anything unexpected: the converter decides
        return None
    return found


def client_data(client: Client) -> dict[str, Any]:
    """The document of *client* (the converter's, written from its declarations)."""
    return {"cytolicense": FORMAT_VERSION, "type": "Client", "data": _write_client(client)}


def event_document(event: Event) -> dict[str, Any] | None:
    """The document of *event*; ``None`` when its record has a field of a type the
    generated writers do not write (the converter writes it)."""
    write = writer(type(event))
    if write is None:
        return None
    return {"cytolicense": FORMAT_VERSION, "type": type(event).__name__, "data": write(event)}


_read_client = reader(Client)
_write_client = typing.cast(Callable[[Client], dict[str, Any]], writer(Client))
