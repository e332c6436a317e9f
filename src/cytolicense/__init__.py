"""cytolicense: decide and record which products and modules a partner's clients hold.

The public face of the package; the code lives in private modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .core._access import PERMISSIONS, AuditEntry, Grant, OperationRequest, Operator, Role
from .core._catalog import Catalog
from .core._catalog_checks import CatalogCheck, CatalogDraft, CatalogProblem
from .core._catalog_records import (
    DEFAULT_PERIODS,
    INITIAL_RELEASE,
    CatalogRelease,
    Module,
    Product,
    ProductFamily,
)
from .core._client_records import Client
from .core._dates import RETENTION_DAYS, commercial_expiry, trial_expiry
from .core._enums import LicenseType, ManagementMode, QuantityRule, Severity, Status, TermEnd
from .core._exceptions import (
    CatalogError,
    ClientExistsError,
    ClientIdError,
    ConflictError,
    ConnectionLostError,
    CytolicenseError,
    DataError,
    ForbiddenError,
    KeyConflictError,
    NotFoundError,
    OperatorExistsError,
    PluginRuleError,
    PoolCreditError,
    PoolShortageError,
    ReleaseMissingError,
    RetryableError,
    RuleViolation,
    StoreError,
    UnknownIdError,
)
from .core._feed import Delivery, FeedItem, Webhook
from .core._findings import CodeSpec, Decision, Finding, make_finding
from .core._line_records import NoticeState, ScheduledChange, SeatLot, Suspension
from .core._maintenance import Maintenance, ModuleLicense
from .core._messages import LANGUAGES
from .core._operations import (
    OPERATION_TYPES,
    AddSeats,
    AssignmentRequest,
    ChangeProduct,
    ConvertTrial,
    DeleteClient,
    DeleteService,
    ExtendTrial,
    GroupSets,
    Modify,
    Operation,
    Renew,
    Resume,
    ResumeClient,
    ScheduleChange,
    SetAutoRenew,
    SetGroup,
    SetManagement,
    Suspend,
    SuspendClient,
)
from .core._period import Period
from .core._pool import Pool, PoolChanged, PoolLine, replay_pool
from .core._rulespec import Rule, RuleContext, RuleSpec
from .plugins._hookspecs import hookimpl
from .plugins._plugins import (
    DISABLE_AUTOLOAD_ENV,
    DISABLE_PLUGINS_ENV,
    ENTRY_POINT_GROUP,
    load_catalog,
)
from .plugins._toml import TomlCatalog
from .rules._builtin import CODES

if TYPE_CHECKING:
    from .core._day_run import DayRun
    from .core._events import (
        EVENT_TYPES,
        AutoRenewChanged,
        ChangeScheduled,
        ClientCreated,
        ClientDeleted,
        ClientMoved,
        ClientRestored,
        Event,
        ExpiryNotice,
        LicensesModified,
        MaintenanceRenewed,
        ManagementChanged,
        ProductAssigned,
        ProductChanged,
        ScheduleCancelled,
        SeatsAdded,
        ServiceDeleted,
        ServiceResumed,
        ServiceSuspended,
        SetsGrouped,
        TrialConverted,
        TrialExtended,
        apply,
        replay,
    )
    from .engine._change import Change
    from .engine._engine import Engine
    from .store._console import Console, Retry
    from .store._open import open_store
    from .store._postgres import PostgresStore
    from .store._protocol import ClientRow, ClientStore, KeyRecord
    from .store._schema import json_schema
    from .store._serialize import FORMAT_VERSION, from_json, to_json
    from .store._sqlite import Store
    from .views._catalog_diff import CatalogChange, catalog_diff
    from .views._detail import ClientDetail, DetailLine, ModuleLine, MonitoringList
    from .views._lifecycle import Expiry, Forecast
    from .views._offer import ModuleOffer, ProductOffer
    from .views._usage import UsageBasis, UsageReport, UsageRow

# Imported on first use, to keep `import cytolicense` light: the views, JSON
# (cattrs) and the store (sqlite3) are not needed to decide, and loading a catalog
# needs neither the engine nor the events.
_LAZY = {
    "Engine": ".engine._engine",
    "Change": ".engine._change",
    "EVENT_TYPES": ".core._events",
    "AutoRenewChanged": ".core._events",
    "ChangeScheduled": ".core._events",
    "ScheduleCancelled": ".core._events",
    "ExpiryNotice": ".core._events",
    "DayRun": ".core._day_run",
    "ClientCreated": ".core._events",
    "ClientDeleted": ".core._events",
    "ClientMoved": ".core._events",
    "ClientRestored": ".core._events",
    "Event": ".core._events",
    "LicensesModified": ".core._events",
    "MaintenanceRenewed": ".core._events",
    "ManagementChanged": ".core._events",
    "ProductAssigned": ".core._events",
    "ProductChanged": ".core._events",
    "SeatsAdded": ".core._events",
    "ServiceDeleted": ".core._events",
    "ServiceResumed": ".core._events",
    "ServiceSuspended": ".core._events",
    "SetsGrouped": ".core._events",
    "TrialConverted": ".core._events",
    "TrialExtended": ".core._events",
    "apply": ".core._events",
    "replay": ".core._events",
    "ClientDetail": ".views._detail",
    "CatalogChange": ".views._catalog_diff",
    "UsageBasis": ".views._usage",
    "UsageReport": ".views._usage",
    "UsageRow": ".views._usage",
    "catalog_diff": ".views._catalog_diff",
    "ProductOffer": ".views._offer",
    "ModuleOffer": ".views._offer",
    "json_schema": ".store._schema",
    "DetailLine": ".views._detail",
    "ModuleLine": ".views._detail",
    "MonitoringList": ".views._detail",
    "FORMAT_VERSION": ".store._serialize",
    "from_json": ".store._serialize",
    "to_json": ".store._serialize",
    "Console": ".store._console",
    "Retry": ".store._console",
    "Store": ".store._sqlite",
    "ClientStore": ".store._protocol",
    "ClientRow": ".store._protocol",
    "KeyRecord": ".store._protocol",
    "open_store": ".store._open",
    "PostgresStore": ".store._postgres",
    "Expiry": ".views._lifecycle",
    "Forecast": ".views._lifecycle",
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
    "INITIAL_RELEASE",
    "LANGUAGES",
    "OPERATION_TYPES",
    "PERMISSIONS",
    "RETENTION_DAYS",
    "AddSeats",
    "AssignmentRequest",
    "AuditEntry",
    "AutoRenewChanged",
    "Catalog",
    "CatalogChange",
    "CatalogCheck",
    "CatalogDraft",
    "CatalogError",
    "CatalogProblem",
    "CatalogRelease",
    "Change",
    "ChangeProduct",
    "ChangeScheduled",
    "Client",
    "ClientCreated",
    "ClientDeleted",
    "ClientDetail",
    "ClientExistsError",
    "ClientIdError",
    "ClientMoved",
    "ClientRestored",
    "ClientRow",
    "ClientStore",
    "CodeSpec",
    "ConflictError",
    "ConnectionLostError",
    "Console",
    "ConvertTrial",
    "CytolicenseError",
    "DataError",
    "DayRun",
    "Decision",
    "DeleteClient",
    "DeleteService",
    "Delivery",
    "DetailLine",
    "Engine",
    "Event",
    "Expiry",
    "ExpiryNotice",
    "ExtendTrial",
    "FeedItem",
    "Finding",
    "ForbiddenError",
    "Forecast",
    "Grant",
    "GroupSets",
    "KeyConflictError",
    "KeyRecord",
    "LicenseType",
    "LicensesModified",
    "Maintenance",
    "MaintenanceRenewed",
    "ManagementChanged",
    "ManagementMode",
    "Modify",
    "Module",
    "ModuleLicense",
    "ModuleLine",
    "ModuleOffer",
    "MonitoringList",
    "NotFoundError",
    "NoticeState",
    "Operation",
    "OperationRequest",
    "Operator",
    "OperatorExistsError",
    "Period",
    "PluginRuleError",
    "Pool",
    "PoolChanged",
    "PoolCreditError",
    "PoolLine",
    "PoolShortageError",
    "PostgresStore",
    "Product",
    "ProductAssigned",
    "ProductChanged",
    "ProductFamily",
    "ProductOffer",
    "QuantityRule",
    "ReleaseMissingError",
    "Renew",
    "Resume",
    "ResumeClient",
    "Retry",
    "RetryableError",
    "Role",
    "Rule",
    "RuleContext",
    "RuleSpec",
    "RuleViolation",
    "ScheduleCancelled",
    "ScheduleChange",
    "ScheduledChange",
    "SeatLot",
    "SeatsAdded",
    "ServiceDeleted",
    "ServiceResumed",
    "ServiceSuspended",
    "SetAutoRenew",
    "SetGroup",
    "SetManagement",
    "SetsGrouped",
    "Severity",
    "Status",
    "Store",
    "StoreError",
    "Suspend",
    "SuspendClient",
    "Suspension",
    "TermEnd",
    "TomlCatalog",
    "TrialConverted",
    "TrialExtended",
    "UnknownIdError",
    "UsageBasis",
    "UsageReport",
    "UsageRow",
    "Webhook",
    "apply",
    "catalog_diff",
    "commercial_expiry",
    "from_json",
    "hookimpl",
    "json_schema",
    "load_catalog",
    "make_finding",
    "open_store",
    "replay",
    "replay_pool",
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
