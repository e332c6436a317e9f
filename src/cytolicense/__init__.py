"""cytolicense: decide and record which products and modules a partner's clients hold.

The public face of the package; the code lives in private modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .core._catalog import Catalog
from .core._catalog_records import DEFAULT_PERIODS, Module, Product, ProductFamily
from .core._client_records import Client, Maintenance, ModuleLicense
from .core._dates import RETENTION_DAYS, commercial_expiry, trial_expiry
from .core._enums import LicenseType, ManagementMode, QuantityRule, Severity, Status
from .core._events import (
    EVENT_TYPES,
    ClientCreated,
    ClientDeleted,
    ClientRestored,
    Event,
    LicensesModified,
    ManagementChanged,
    ProductAssigned,
    ServiceDeleted,
    apply,
    replay,
)
from .core._exceptions import (
    CatalogError,
    ConflictError,
    CytolicenseError,
    DataError,
    NotFoundError,
    PluginRuleError,
    RuleViolation,
    StoreError,
    UnknownIdError,
)
from .core._findings import CODES, Decision, Finding, make_finding
from .core._messages import LANGUAGES
from .core._period import Period
from .core._request import AssignmentRequest
from .engine._engine import Change, Engine
from .plugins._hookspecs import hookimpl
from .plugins._plugins import (
    DISABLE_AUTOLOAD_ENV,
    DISABLE_PLUGINS_ENV,
    ENTRY_POINT_GROUP,
    load_catalog,
)
from .plugins._toml import TomlCatalog
from .rules._builtin import Rule, RuleContext

if TYPE_CHECKING:
    from .store._console import Console
    from .store._serialize import FORMAT_VERSION, from_json, to_json
    from .store._sqlite import Store
    from .views._detail import ClientDetail, DetailLine, ModuleLine, MonitoringList

# Imported on first use, to keep `import cytolicense` light: the views, JSON
# (cattrs) and the store (sqlite3) are not needed to decide.
_LAZY = {
    "ClientDetail": ".views._detail",
    "DetailLine": ".views._detail",
    "ModuleLine": ".views._detail",
    "MonitoringList": ".views._detail",
    "FORMAT_VERSION": ".store._serialize",
    "from_json": ".store._serialize",
    "to_json": ".store._serialize",
    "Console": ".store._console",
    "Store": ".store._sqlite",
}


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "CODES",
    "DEFAULT_PERIODS",
    "DISABLE_AUTOLOAD_ENV",
    "DISABLE_PLUGINS_ENV",
    "ENTRY_POINT_GROUP",
    "EVENT_TYPES",
    "FORMAT_VERSION",
    "LANGUAGES",
    "RETENTION_DAYS",
    "AssignmentRequest",
    "Catalog",
    "CatalogError",
    "Change",
    "Client",
    "ClientCreated",
    "ClientDeleted",
    "ClientDetail",
    "ClientRestored",
    "ConflictError",
    "Console",
    "CytolicenseError",
    "DataError",
    "Decision",
    "DetailLine",
    "Engine",
    "Event",
    "Finding",
    "LicenseType",
    "LicensesModified",
    "Maintenance",
    "ManagementChanged",
    "ManagementMode",
    "Module",
    "ModuleLicense",
    "ModuleLine",
    "MonitoringList",
    "NotFoundError",
    "Period",
    "PluginRuleError",
    "Product",
    "ProductAssigned",
    "ProductFamily",
    "QuantityRule",
    "Rule",
    "RuleContext",
    "RuleViolation",
    "ServiceDeleted",
    "Severity",
    "Status",
    "Store",
    "StoreError",
    "TomlCatalog",
    "UnknownIdError",
    "apply",
    "commercial_expiry",
    "from_json",
    "hookimpl",
    "load_catalog",
    "make_finding",
    "replay",
    "to_json",
    "trial_expiry",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("cytolicense")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            from ._version import __version__

            return __version__
    raise AttributeError(f"module 'cytolicense' has no attribute {name!r}")
