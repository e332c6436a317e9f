"""The Cytomic catalog for cytolicense, declared in ``catalog.toml``.

Registered through the ``cytolicense`` entry point ``cytomic``; load it with
``cytolicense.load_catalog()``.
"""

from __future__ import annotations

from importlib.resources import files

from cytolicense import TomlCatalog

__all__ = ["CATALOG_FILE", "plugin"]

CATALOG_FILE = files(__name__) / "catalog.toml"
"""The declarations: families, modules and products."""

plugin = TomlCatalog(CATALOG_FILE, name="cytolicense_cytomic/catalog.toml")
"""The plugin object the entry point names."""
