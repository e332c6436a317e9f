"""What the document schema reads off the records' declarations, besides attrs' own.

- ``metadata=OMIT`` on a field: documents hold it only when it is not its default.
- :func:`passes` on a validator, :func:`keeps` on a converter: an expression true only
  of values the function would accept (or return unchanged), which the generated
  readers (store/_documents.py) test inline before calling the function at all. Both
  are optional: a function without one is called on every value.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any, TypeVar

__all__ = ["KEEPS", "OMIT", "OMIT_IF_DEFAULT", "PASSES", "keeps", "passes"]

F = TypeVar("F", bound=Callable[..., Any])

OMIT_IF_DEFAULT = "omit_if_default"
"""The metadata key of a field documents hold only when it is not its default."""

OMIT = MappingProxyType({OMIT_IF_DEFAULT: True})
"""``attrs.field(..., metadata=OMIT)``: documents hold the field only when it is not its
default, so that documents written before the field existed stay as they were."""

PASSES: dict[Callable[..., Any], tuple[str, dict[str, Any]]] = {}
"""Per validator, a Python expression of ``{v}`` true only of values it accepts, and
the names the expression reads."""

KEEPS: dict[Callable[..., Any], tuple[str, dict[str, Any]]] = {}
"""Per converter, a Python expression of ``{v}`` true only of values it returns as they
are, and the names the expression reads."""


def passes(expression: str, **names: Any) -> Callable[[F], F]:
    """Declare that the decorated validator accepts every value *expression* (of
    ``{v}``, reading *names*) is true of."""

    def declare(validator: F) -> F:
        PASSES[validator] = (expression, names)
        return validator

    return declare


def keeps(converter: Callable[..., Any], expression: str, **names: Any) -> None:
    """Declare that *converter* returns unchanged every value *expression* (of ``{v}``,
    reading *names*) is true of. (A call after the function, not a decorator: mypy's
    attrs plugin reads only undecorated functions as converters.)"""
    KEEPS[converter] = (expression, names)
