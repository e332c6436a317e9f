"""Every error cytolicense raises: one base class and typed subclasses."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._findings import Decision

__all__ = [
    "CatalogError",
    "ClientExistsError",
    "ConflictError",
    "CytolicenseError",
    "DataError",
    "NotFoundError",
    "PluginRuleError",
    "RuleViolation",
    "StoreError",
    "UnknownIdError",
]


class CytolicenseError(Exception):
    """Base class of every error cytolicense raises on purpose."""


class CatalogError(CytolicenseError):
    """The plugins' declarations do not make one consistent catalog.

    Attributes:
        plugins: Names of the plugins involved.
        ids: Ids of the records involved.
    """

    def __init__(
        self, message: str, *, plugins: tuple[str, ...] = (), ids: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.plugins = plugins
        self.ids = ids


class UnknownIdError(CytolicenseError, KeyError):
    """A catalog or client lookup named an id that does not exist.

    Attributes:
        kind: What was looked up (``"product"``, ``"module"``, ``"family"``...).
        id: The id that was not found.
    """

    def __init__(self, kind: str, id: str) -> None:
        super().__init__(kind, id)
        self.kind = kind
        self.id = id

    def __str__(self) -> str:
        return f"unknown {self.kind} id {self.id!r}"


class RuleViolation(CytolicenseError):
    """An operation was refused; nothing was changed.

    Attributes:
        decision: The :class:`~cytolicense.Decision` whose errors refused it.
    """

    def __init__(self, decision: Decision, operation: str = "operation") -> None:
        self.decision = decision
        self.operation = operation
        lines = [f"{operation} refused:"]
        lines += [f"  [{f.code}] {f.message}" for f in decision.errors]
        super().__init__("\n".join(lines))


class PluginRuleError(CytolicenseError):
    """A rule contributed by a plugin raised instead of returning findings.

    Attributes:
        plugin: The plugin's name.
        rule: The rule's name.
    """

    def __init__(self, plugin: str, rule: str, cause: BaseException) -> None:
        try:
            shown = repr(cause)
        except BaseException:  # a hostile __repr__ must not hide which plugin failed
            shown = f"{type(cause).__name__}(<cannot be shown>)"
        super().__init__(f"rule {rule!r} of plugin {plugin!r} failed: {shown}")
        self.plugin = plugin
        self.rule = rule


class DataError(CytolicenseError, ValueError):
    """Serialized data could not be read.

    Attributes:
        path: Where in the document the bad value sits (``"$.maintenances[0].starts_on"``).
    """

    def __init__(self, message: str, path: str = "$") -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.reason = message


class StoreError(CytolicenseError):
    """The client store could not do what was asked (bad file, locked, corrupt row)."""


class NotFoundError(StoreError, KeyError):
    """No client with that id exists for this partner.

    Attributes:
        partner: The store handle's partner.
        client_id: The id asked for.
    """

    def __init__(self, partner: str, client_id: str) -> None:
        super().__init__(partner, client_id)
        self.partner = partner
        self.client_id = client_id

    def __str__(self) -> str:
        return f"partner {self.partner!r} has no client {self.client_id!r}"


class ConflictError(StoreError):
    """A write was based on a stale version of the client; nothing was written.

    Attributes:
        client_id: The client written.
        expected: The version the writer read.
        actual: The version now stored.
    """

    def __init__(self, client_id: str, expected: int, actual: int | None) -> None:
        super().__init__(
            f"client {client_id!r} changed underneath: expected version {expected}, "
            f"found {actual}; reload it and try again"
        )
        self.client_id = client_id
        self.expected = expected
        self.actual = actual


class ClientExistsError(ConflictError):
    """A client was added with an id this partner already uses; nothing was written.

    Attributes:
        client_id: The id.
        actual: The stored client's version.
    """

    def __init__(self, client_id: str, actual: int | None) -> None:
        super().__init__(client_id, 0, actual)
        self.args = (f"client {client_id!r} already exists",)

    def __str__(self) -> str:
        return str(self.args[0])
