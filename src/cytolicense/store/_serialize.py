"""JSON for every record and event, through one cattrs converter owned by the library.

Documents are wrapped in an envelope carrying the format version and the type::

    {"cytolicense": 1, "type": "Client", "data": {...}}

``from_json`` also reads a bare ``data`` object. Dates are ISO strings, enums
their values, periods strings like ``"2y"``.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast, get_args, get_origin

import attrs

from ..core._access import AuditEntry, Grant, OperationRequest, Operator
from ..core._catalog_records import Module, Product, ProductFamily
from ..core._client_records import Client
from ..core._day_run import DayRun
from ..core._events import EVENT_TYPES, Event
from ..core._exceptions import DataError
from ..core._feed import Delivery, FeedItem, Webhook
from ..core._findings import Decision, Finding
from ..core._line_records import NoticeState, ScheduledChange, SeatLot
from ..core._maintenance import Maintenance, ModuleLicense
from ..core._operations import OPERATION_TYPES, Operation
from ..core._period import Period
from ..core._pool import Pool, PoolChanged, PoolLine
from ..core._schema import OMIT_IF_DEFAULT
from ..engine._change import Change
from ..rules._builtin import CODE_SPECS
from ..views._lifecycle import Expiry
from ..views._offer import ModuleOffer, ProductOffer
from ._documents import FORMAT_VERSION, client_data, event_document, read_client

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "FORMAT_VERSION",
    "client_data",
    "compact",
    "converter",
    "event_data",
    "from_data",
    "from_json",
    "loads",
    "to_data",
    "to_json",
]

T = TypeVar("T")

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_fast: Callable[[str | bytes | bytearray], Any] | None
_fast_encode: Callable[[Any], bytes] | None
try:  # the optional accelerator: ``pip install cytolicense[fast]``
    from msgspec.json import Decoder as _Decoder
    from msgspec.json import Encoder as _Encoder
except ImportError:  # pragma: no cover - the tests install it and cover both ways
    _fast = _fast_encode = None
else:
    _fast = _Decoder().decode
    _fast_encode = _Encoder().encode

_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""One encoder for the stores' documents (``json.dumps`` with options builds one per call)."""


def loads(text: str | bytes | bytearray) -> Any:
    """``json.loads(text)``: the same value, or the same error.

    With the ``fast`` extra installed, msgspec's decoder parses first (2.4x faster on
    a client document, measured); at anything it refuses (a lone surrogate, ``NaN``,
    a number out of its range, text in UTF-16, malformed JSON) ``json.loads`` parses
    instead, so the value and every error are always ``json.loads``'s.
    """
    if _fast is not None:
        try:
            return _fast(text)
        except Exception:  # json.loads decides (and words any error)
            pass
    return json.loads(text)


def compact(data: Any) -> str:
    """``json.dumps(data, ensure_ascii=False, separators=(",", ":"))``, the stores'
    documents, for *data* without floats (clients, events and pool records hold none;
    the two encoders may write a float differently, ``1e+16`` against ``1e16``).

    With the ``fast`` extra, msgspec encodes (a client's document 8x faster,
    measured); at anything it refuses (a lone surrogate, an integer beyond 64 bits)
    the standard encoder writes it, or says what is wrong.
    """
    if _fast_encode is not None:
        try:
            return _fast_encode(data).decode()
        except Exception:  # the standard encoder decides
            pass
    return _ENCODE(data)


SERIALIZABLE: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        ProductFamily,
        Module,
        Product,
        ModuleLicense,
        Maintenance,
        Client,
        *OPERATION_TYPES,
        Pool,
        PoolLine,
        PoolChanged,
        Expiry,
        Finding,
        Decision,
        Change,
        Period,
        ModuleOffer,
        ProductOffer,
        *EVENT_TYPES,
        Grant,
        Operator,
        OperationRequest,
        AuditEntry,
        FeedItem,
        Webhook,
        Delivery,
        SeatLot,
        ScheduledChange,
        NoticeState,
        DayRun,
    )
}


def _structure_date(value: Any, _: type) -> dt.date:
    if type(value) is not str:
        raise ValueError(f"expected an ISO date 'YYYY-MM-DD', got {value!r}")
    return _iso_day(value)


@functools.lru_cache(maxsize=4096)  # a document repeats its days; only good ones are kept
def _iso_day(text: str) -> dt.date:
    if not _DATE_RE.match(text):
        raise ValueError(f"expected an ISO date 'YYYY-MM-DD', got {text!r}")
    return dt.date.fromisoformat(text)


def _structure_moment(value: Any, _: type) -> dt.datetime:
    """An ISO date and time with its offset (an aware moment, as UTC)."""
    if type(value) is not str:
        raise ValueError(f"expected an ISO date and time with an offset, got {value!r}")
    moment = dt.datetime.fromisoformat(value)
    if moment.utcoffset() is None:
        raise ValueError(f"expected an ISO date and time with an offset, got {value!r}")
    return moment.astimezone(dt.UTC)


def _sorted_items(values: list[Any]) -> list[Any]:
    """A set's items in a stable order: their own order, or (records) their JSON's."""
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=compact)


def _structure_period(value: Any, _: type) -> Period:
    if not isinstance(value, str):
        raise ValueError(f"expected a period string like '1y', got {value!r}")
    return Period.parse(value)


def _strict(kind: type) -> Any:
    def structure(value: Any, _: type) -> Any:
        if type(value) is not kind:
            raise ValueError(f"expected {kind.__name__}, got {value!r}")
        return value

    return structure


def _structure_any_mapping(value: Any, _: type) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ValueError(f"expected an object, got {value!r}")
    return dict(value)


def _is_homogeneous_tuple(type_: Any) -> bool:
    args = get_args(type_)
    return get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis


def _omits_defaults(cls: Any) -> bool:
    return attrs.has(cls) and any(f.metadata.get(OMIT_IF_DEFAULT) for f in attrs.fields(cls))


def make_converter() -> cattrs.Converter:
    """Build a converter configured like the library's (see :func:`converter`).

    cattrs is imported here, on first use, to keep ``import cytolicense`` light.
    """
    import cattrs
    import cattrs.gen
    from cattrs.cols import homogenous_tuple_structure_factory, is_frozenset
    from cattrs.strategies import configure_tagged_union

    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_unstructure_hook(dt.date, dt.date.isoformat)
    conv.register_structure_hook(dt.date, _structure_date)
    conv.register_unstructure_hook(dt.datetime, dt.datetime.isoformat)
    conv.register_structure_hook(dt.datetime, _structure_moment)
    conv.register_unstructure_hook(Period, str)
    conv.register_structure_hook(Period, _structure_period)
    for kind in (int, str, bool):
        conv.register_structure_hook(kind, _strict(kind))
    conv.register_structure_hook_func(lambda t: t == Mapping[str, Any], _structure_any_mapping)
    conv.register_unstructure_hook_func(
        is_frozenset, lambda s: _sorted_items([conv.unstructure(x) for x in s])
    )

    def arrays_only(type_: Any) -> Any:
        inner = homogenous_tuple_structure_factory(type_, conv)

        def structure(value: Any, t: Any) -> Any:
            if not isinstance(value, list):
                raise ValueError(f"expected an array, got {type(value).__name__}")
            return inner(value, t)

        return structure

    conv.register_structure_hook_factory(_is_homogeneous_tuple, arrays_only)

    # A field marked omit_if_default in its record is written only when it is not its
    # default (documents written before it existed stay as they were).
    def omitting(cls: Any) -> Any:
        omitted: dict[str, Any] = {
            f.name: cattrs.gen.override(omit_if_default=True)
            for f in attrs.fields(cls)
            if f.metadata.get(OMIT_IF_DEFAULT)
        }
        return cattrs.gen.make_dict_unstructure_fn(cls, conv, **omitted)

    conv.register_unstructure_hook_factory(_omits_defaults, omitting)
    configure_tagged_union(Event, conv, tag_name="type")
    # An operation inside a record (a request's) is tagged with its type, as in the
    # documents of the JSON API.
    configure_tagged_union(Operation, conv, tag_name="type")
    base_finding = cattrs.gen.make_dict_structure_fn(Finding, conv)

    def structure_finding(value: Any, t: type) -> Finding:
        finding = base_finding(value, t)
        return known_finding(finding)

    conv.register_structure_hook(Finding, structure_finding)
    return conv


def known_finding(finding: Finding) -> Finding:
    """*finding* with its declaration attached when it is a library code; refuses params
    that do not fit the code's messages (:class:`ValueError` naming the missing ones)."""
    spec = CODE_SPECS.get(finding.code)
    if spec is None:
        return finding
    missing = spec.missing(finding.params)
    if missing:
        raise ValueError(
            f"finding {finding.code!r}: params lack {', '.join(missing)} (its messages need them)"
        )
    object.__setattr__(finding, "spec", spec)
    return finding


@functools.cache
def converter() -> cattrs.Converter:
    """The converter :func:`to_json` and :func:`from_json` use (built on first use)."""
    return make_converter()


def _format(exc: BaseException, type_: type | None) -> str:
    if isinstance(exc, KeyError):
        return "required field missing"
    if type_ is not None and not isinstance(exc, ValueError | TypeError):
        return f"invalid value for {getattr(type_, '__name__', type_)}"
    return str(exc) or type(exc).__name__


def _data_error(exc: Exception, root: str) -> DataError:
    import cattrs

    if isinstance(exc, cattrs.BaseValidationError):
        messages = cattrs.transform_error(exc, path=root, format_exception=_format)
        first = messages[0] if messages else str(exc)
        reason, _, path = first.rpartition(" @ ")
        return DataError("; ".join(messages) if len(messages) > 1 else reason, path or root)
    return DataError(str(exc) or type(exc).__name__, root)


def to_data(obj: Any) -> dict[str, Any]:
    """The envelope ``{"cytolicense": 1, "type": ..., "data": ...}`` of *obj* as Python data."""
    name = type(obj).__name__
    if SERIALIZABLE.get(name) is not type(obj):
        raise TypeError(f"cannot serialize {type(obj).__name__}")
    return {"cytolicense": FORMAT_VERSION, "type": name, "data": converter().unstructure(obj)}


def to_json(obj: Any, *, indent: int | None = None) -> str:
    """*obj* (any record, request, decision, change or event) as a JSON document."""
    return json.dumps(to_data(obj), ensure_ascii=False, indent=indent, sort_keys=True)


def from_data(cls: type[T], doc: Any) -> T:
    """Read *doc* (an envelope or bare data) as *cls*; :class:`DataError` on bad input."""
    if cls is Client and type(doc) is dict and len(doc) == 3 and doc.get("type") == "Client":
        # The usual document: this version's envelope of a client, read by the checked
        # fast reader; anything it does not expect takes the full path below.
        version = doc.get("cytolicense")
        if type(version) is int and version == FORMAT_VERSION:
            fast = read_client(doc.get("data"))
            if fast is not None:
                return fast  # type: ignore[return-value]  # cls is Client
    if cls is not cast(Any, Event) and SERIALIZABLE.get(getattr(cls, "__name__", "")) is not cls:
        raise TypeError(f"cannot read {cls!r}: not a cytolicense record, request or event")
    data = doc
    root = "$"
    if isinstance(doc, dict) and "cytolicense" in doc:
        version = doc.get("cytolicense")
        if type(version) is not int or not 1 <= version <= FORMAT_VERSION:
            raise DataError(
                f"unsupported format version {version!r} (this release reads 1..{FORMAT_VERSION})",
                "$.cytolicense",
            )
        kind = doc.get("type")
        expected = _names(cls)
        if kind not in expected:
            raise DataError(f"expected type {' or '.join(expected)}, got {kind!r}", "$.type")
        if "data" not in doc:
            raise DataError("required field missing", "$.data")
        extra = set(doc) - {"cytolicense", "type", "data"}
        if extra:
            raise DataError(f"unknown field(s) {', '.join(sorted(extra))}", "$")
        data = doc["data"]
        root = "$.data"
        if cls is cast(Any, Event):
            data = {**data, "type": kind} if isinstance(data, dict) else data
    if cls is Client and root == "$":  # bare data (an envelope was tried above)
        fast = read_client(data)
        if fast is not None:
            return fast  # type: ignore[return-value]  # cls is Client
    try:
        return converter().structure(data, cls)
    except DataError:
        raise
    except Exception as exc:
        raise _data_error(exc, root) from exc


def _names(cls: Any) -> tuple[str, ...]:
    if cls is Event:
        return tuple(t.__name__ for t in EVENT_TYPES)
    return (getattr(cls, "__name__", str(cls)),)


def from_json(cls: type[T], text: str | bytes) -> T:
    """Read a JSON document written by :func:`to_json` as *cls*.

    Every value is checked. With the ``fast`` extra installed (msgspec), the text is
    parsed in C first; the answer, and any error, is the same without it.

    Raises:
        DataError: the text is not JSON, or the data does not make a valid *cls*;
            the error's ``path`` says where (``$.data.maintenances[0].quantity``).
    """
    if not isinstance(text, str | bytes | bytearray):
        raise DataError(f"expected JSON text, got {type(text).__name__}")
    try:
        doc = loads(text)
    except (ValueError, RecursionError) as exc:
        raise DataError(f"not JSON: {exc}") from exc
    return from_data(cls, doc)


# -- the store's read path ---------------------------------------------------------------


def stored_client(text: str | bytes) -> Client:
    """Rebuild a client from a document the store wrote, as :func:`from_json` reads
    it: this version's documents through the checked fast readers (faster than the
    unchecked rebuilding they replaced), older ones through the strict converter.

    Raises:
        DataError: the document is not a valid client (a corrupt row).
        ValueError, RecursionError: the text is not JSON.
    """
    return from_data(Client, loads(text))


def event_data(event: Event) -> dict[str, Any]:
    """:func:`to_data` of an event (the store writes every event): written by the
    generated writer of its record, or by the converter for a field it does not write."""
    return event_document(event) or to_data(event)
