"""Catalogs declared as TOML data files: the loader every catalog author can use.

A file holds arrays of tables ``[[family]]``, ``[[module]]`` and ``[[product]]``
whose keys are the records' fields (periods as strings like ``"1y"``, enums as
their values), and optionally ``[[release]]`` tables for later catalog releases
(``version``, ``effective`` as a TOML date, ``existing_from`` as an inline table of
product id -> date, and the release's products as ``[[release.product]]``).
Errors name the file, the table and the field.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import attrs

from ..core._catalog_records import CatalogRelease, Module, Product, ProductFamily
from ..core._exceptions import CatalogError
from ._hookspecs import hookimpl

__all__ = ["TomlCatalog"]

_TABLES: dict[str, type[Any]] = {"family": ProductFamily, "module": Module, "product": Product}


class TomlCatalog:
    """A catalog plugin whose declarations come from a TOML file.

    Register the instance (``load_catalog(TomlCatalog(path))``) or point an entry
    point at it. The file is read once, when a hook is first called.

    Args:
        source: A path, an :mod:`importlib.resources` traversable, or TOML text
            (then pass ``name`` to say where it came from).
        name: How errors name the source (default: the file's path).
    """

    def __init__(self, source: str | Path | Traversable, *, name: str | None = None) -> None:
        self._source = source
        if name is not None:
            self.name = name
        elif isinstance(source, Path | Traversable):
            self.name = str(source)
        else:
            self.name = "<toml text>"
        self.__name__ = self.name
        self._records: dict[str, tuple[Any, ...]] | None = None

    def __repr__(self) -> str:
        return f"TomlCatalog({self.name!r})"

    def _text(self) -> str:
        source = self._source
        if isinstance(source, Path | Traversable):
            try:
                raw = source.read_bytes()
            except OSError as exc:
                raise CatalogError(f"{self.name}: cannot read catalog file: {exc}") from exc
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError as exc:  # TOML is UTF-8: say where it is not
                line = raw.count(b"\n", 0, exc.start) + 1
                column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
                raise CatalogError(
                    f"{self.name}: not UTF-8 text at line {line}, byte {column} of the "
                    f"line ({exc.reason}): save the catalog file as UTF-8"
                ) from exc
        return source

    def records(self) -> dict[str, tuple[Any, ...]]:
        """The declared records by table name (read and checked on first use)."""
        if self._records is None:
            try:
                doc = tomllib.loads(self._text())
            except tomllib.TOMLDecodeError as exc:
                raise CatalogError(f"{self.name}: not valid TOML: {exc}") from exc
            unknown = sorted(set(doc) - {*_TABLES, "release"})
            if unknown:
                raise CatalogError(
                    f"{self.name}: unknown table(s) {', '.join(unknown)} "
                    f"(expected [[family]], [[module]], [[product]], [[release]])"
                )
            records = {
                table: tuple(self._build(table, cls, doc.get(table, [])))
                for table, cls in _TABLES.items()
            }
            records["release"] = tuple(self._releases(doc.get("release", [])))
            self._records = records
        return self._records

    def _rows(
        self, table: str, rows: Any, known: set[str], key: str
    ) -> Iterable[tuple[str, dict[str, Any]]]:
        """Each table of the array *table*, with how errors name it (its *key* field
        when it has one); an array that is not one, a row that is not a table, or a
        field not *known* is a :class:`CatalogError`."""
        if not isinstance(rows, list):
            raise CatalogError(f"{self.name}: {table} must be an array of tables [[{table}]]")
        for i, row in enumerate(rows):
            where = f"{self.name}: {table}[{i}]"
            if not isinstance(row, dict):
                raise CatalogError(f"{where}: expected a table, got {row!r}")
            if key in row:
                where += f" ({key} {row[key]!r})"
            extra = sorted(set(row) - known)
            if extra:
                raise CatalogError(
                    f"{where}: unknown field(s) {', '.join(extra)} "
                    f"(known: {', '.join(sorted(known))})"
                )
            yield where, row

    def _releases(self, rows: Any) -> Iterable[CatalogRelease]:
        known = {"version", "effective", "existing_from", "product"}
        for i, (where, row) in enumerate(self._rows("release", rows, known, "version")):
            effective = row.get("effective")
            if type(effective) is not dt.date:
                raise CatalogError(f"{where}: effective must be a TOML date (2027-01-01)")
            products = tuple(self._build(f"release[{i}].product", Product, row.get("product", [])))
            try:
                yield CatalogRelease(
                    version=row.get("version", ""),
                    effective=effective,
                    products=products,
                    existing_from=row.get("existing_from", {}),
                )
            except (TypeError, ValueError) as exc:
                raise CatalogError(f"{where}: {exc}") from exc

    def _build(self, table: str, cls: type[Any], rows: Any) -> Iterable[Any]:
        fields = {a.alias for a in attrs.fields(cls) if a.init}
        for where, row in self._rows(table, rows, fields, "id"):
            try:
                yield cls(**row)
            except (TypeError, ValueError) as exc:
                raise CatalogError(f"{where}: {_field_of(cls, row)}{exc}") from exc

    @hookimpl
    def cytolicense_families(self) -> tuple[ProductFamily, ...]:
        """The ``[[family]]`` tables as :class:`ProductFamily` records."""
        return self.records()["family"]

    @hookimpl
    def cytolicense_modules(self) -> tuple[Module, ...]:
        """The ``[[module]]`` tables as :class:`Module` records."""
        return self.records()["module"]

    @hookimpl
    def cytolicense_products(self) -> tuple[Product, ...]:
        """The ``[[product]]`` tables as :class:`Product` records."""
        return self.records()["product"]

    @hookimpl
    def cytolicense_releases(self) -> tuple[CatalogRelease, ...]:
        """The ``[[release]]`` tables as :class:`CatalogRelease` records."""
        return self.records()["release"]


def _field_of(cls: type[Any], row: Mapping[str, Any]) -> str:
    """``"Class.field: "`` for the first field of *row* whose converter refuses its value
    (converters are plain functions that do not know their field), or ``""``."""
    for a in attrs.fields(cls):
        if a.converter is None or a.alias not in row:
            continue
        try:
            a.converter(row[a.alias])
        except (TypeError, ValueError):
            return f"{cls.__name__}.{a.name}: "
    return ""
