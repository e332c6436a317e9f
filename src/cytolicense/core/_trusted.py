"""Trusted construction: records built from values the library made or checked itself.

The records' constructors validate every field, which is what user input needs. The
engine builds maintenances from a request its rules have just accepted, and the store
rebuilds clients from documents it wrote itself: both skip the validators (the values
are already known good) and only compute the kept derived values (``_derive``).
"""

from __future__ import annotations

from typing import Any, TypeVar

import attrs

__all__ = ["build", "unchecked"]

T = TypeVar("T")

_FIELDS: dict[type, tuple[tuple[str, Any, bool], ...]] = {}


def unchecked(cls: type[T], values: dict[str, Any], *, derive: bool = True) -> T:
    """A *cls* record holding exactly *values* (every field given), not validated; its
    kept values derived unless *derive* is false (the caller sets them)."""
    inst = object.__new__(cls)
    for name, value in values.items():
        object.__setattr__(inst, name, value)
    if derive and hasattr(inst, "_derive"):
        inst._derive()
    return inst


def _fields(cls: type) -> tuple[tuple[str, Any, bool], ...]:
    found = _FIELDS.get(cls)
    if found is None:
        found = _FIELDS[cls] = tuple(
            (
                f.name,
                f.default.factory if isinstance(f.default, attrs.Factory) else f.default,  # type: ignore[arg-type]
                isinstance(f.default, attrs.Factory),  # type: ignore[arg-type]
            )
            for f in attrs.fields(cls)
            if f.init
        )
    return found


def build(cls: type[T], /, **values: Any) -> T:
    """A *cls* record from *values*, the fields not given taking their defaults, not
    validated. A field without a default must be given."""
    # Set directly, not through a dict handed to unchecked: the engine builds every
    # maintenance and module with this (a second pass cost assign 7%, measured).
    inst = object.__new__(cls)
    for name, default, factory in _fields(cls):
        if name in values:
            value = values[name]
        elif default is attrs.NOTHING:
            raise TypeError(f"{cls.__name__}: {name} must be given")
        else:
            value = default() if factory else default
        object.__setattr__(inst, name, value)
    if hasattr(inst, "_derive"):
        inst._derive()
    return inst
