"""Every error cytolicense raises: one base class and typed subclasses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeVar

from ._messages import ERRORS, render

if TYPE_CHECKING:
    from ._findings import Decision, Finding

__all__ = [
    "CatalogError",
    "ClientExistsError",
    "ConflictError",
    "CytolicenseError",
    "DataError",
    "ForbiddenError",
    "NotFoundError",
    "OperatorExistsError",
    "PluginRuleError",
    "ReleaseMissingError",
    "RuleViolation",
    "StoreError",
    "UnknownIdError",
    "said",
]

_NO_VALUES: Mapping[str, object] = MappingProxyType({})


class CytolicenseError(Exception):
    """Base class of every error cytolicense raises on purpose.

    An error a person reads carries its message as an English template and the
    values that fill it (:attr:`template`, :attr:`values`), so that
    :meth:`message_in` can give it in another language (the command line's
    ``--lang es``).
    """

    template: str | None = None
    values: Mapping[str, object] = _NO_VALUES

    def message_in(self, language: str) -> str:
        """The message in *language*: the translation of :attr:`template` filled with
        :attr:`values`, or ``str(self)`` when there is none."""
        if self.template is not None:
            translated = ERRORS.get(language, {}).get(self.template)
            if translated is not None:
                return render(translated, self.values, language)
        return str(self)


E = TypeVar("E", bound=CytolicenseError)


def said(error: type[E], template: str, /, **values: object) -> E:
    """An *error* whose message is *template* (English) filled with *values*, which
    :meth:`CytolicenseError.message_in` can give in another language."""
    exc = error(render(template, values, "en"))
    exc.template = template
    exc.values = values
    return exc


class CatalogError(CytolicenseError):
    """The plugins' declarations do not make one consistent catalog.

    Attributes:
        plugins: Names of the plugins involved.
        ids: Ids of the records involved.
    """

    def __init__(
        self,
        message: str,
        *,
        plugins: tuple[str, ...] = (),
        ids: tuple[str, ...] = (),
        words: Callable[[str], str] | None = None,
    ) -> None:
        super().__init__(message)
        self.plugins = plugins
        self.ids = ids
        self._words = words

    def message_in(self, language: str) -> str:
        """The message in *language* (a catalog check's problems each translated)."""
        if self._words is not None:
            return self._words(language)
        return super().message_in(language)


class UnknownIdError(CytolicenseError, KeyError):
    """A catalog or client lookup named an id that does not exist.

    Attributes:
        kind: What was looked up (``"product"``, ``"module"``, ``"family"``...).
        id: The id that was not found.
    """

    template = "unknown {kind} id '{id}'"

    def __init__(self, kind: str, id: str) -> None:
        super().__init__(kind, id)
        self.kind = kind
        self.id = id
        self.values = {"kind": kind, "id": id}

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


class ForbiddenError(CytolicenseError):
    """An operator tried an action its role does not allow (or a request of its own
    to decide); nothing was changed.

    Attributes:
        finding: The ``auth.forbidden`` finding (field ``"operator"``, params
            ``operator`` and ``action``).
        operator: The operator's id.
        action: What it tried (an operation's kind, ``add_client``, ``approve``, ...).
    """

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding
        self.operator = str(finding.params.get("operator", ""))
        self.action = str(finding.params.get("action", ""))

    def message_in(self, language: str) -> str:
        """The finding's message in *language*."""
        return self.finding.message_in(language)


class OperatorExistsError(CytolicenseError, ValueError):
    """:meth:`Console.add_operator` of an id the partner already has; nothing was
    written."""


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


class ClientIdError(CytolicenseError, ValueError):
    """A new client's id that its address could not hold: the web console and the
    JSON API name a client with one segment of a URL path (``/clients/ID``), so an id
    may not contain ``/`` nor be ``.`` or ``..`` (which URLs drop). Refused when the
    client is created (:meth:`Engine.new_client`, :meth:`Console.add_client`, every
    path that adds a client); nothing was created. Clients stored earlier keep their
    ids.

    Attributes:
        client_id: The id refused.
    """

    client_id: str = ""


class PoolCreditError(CytolicenseError, ValueError):
    """A credit to the pool that :meth:`Console.credit_pool` refuses: a period not
    sold for the item, or a correction that would take the pool below zero. Nothing
    was written."""


class StoreError(CytolicenseError):
    """The client store could not do what was asked (bad file, locked, corrupt row)."""


class RetryableError(StoreError):
    """The database could not do it this time, and may the next: a deadlock, a
    serialization failure, a lock timeout, a lost connection or a server that is
    going away (a failover).

    Attributes:
        outcome_known: ``True`` when nothing was written (the database said so);
            ``False`` when the connection was lost while the change may have been
            committing: retry only an operation that carries an idempotency key
            (:meth:`Console.apply` with ``key=``), never blindly.
    """

    outcome_known: bool = True


class ConnectionLostError(RetryableError):
    """The connection to the database server was lost (or could not be made): the
    server stopped, restarted or failed over. Whether a write in flight committed is
    not known (:attr:`outcome_known` is ``False``)."""

    outcome_known = False


class NotFoundError(StoreError, KeyError):
    """No client with that id exists for this partner.

    Attributes:
        partner: The store handle's partner.
        client_id: The id asked for.
    """

    template = "partner '{partner}' has no client '{client_id}'"

    def __init__(self, partner: str, client_id: str) -> None:
        super().__init__(partner, client_id)
        self.partner = partner
        self.client_id = client_id
        self.values = {"partner": partner, "client_id": client_id}

    def __str__(self) -> str:
        return f"partner {self.partner!r} has no client {self.client_id!r}"


class ReleaseMissingError(StoreError):
    """A stored maintenance names a catalog release the catalog in use does not hold
    (the store was written with another catalog): it is not judged by other terms.

    Attributes:
        client_id: The client.
        maintenance_id: The maintenance.
        release: The release it names.
        known: The releases the catalog holds.
    """

    template = (
        "client '{client_id}': maintenance {maintenance_id} was sold under catalog "
        "release '{release}', which the catalog in use does not hold (it holds "
        "{known}); load the catalog that has it"
    )

    def __init__(
        self, client_id: str, maintenance_id: str, release: str, known: tuple[str, ...]
    ) -> None:
        self.values = {
            "client_id": client_id,
            "maintenance_id": maintenance_id,
            "release": release,
            "known": ", ".join(known),
        }
        super().__init__(render(self.template, self.values, "en"))
        self.client_id = client_id
        self.maintenance_id = maintenance_id
        self.release = release
        self.known = known


class ConflictError(StoreError):
    """A write was based on a stale version of the client; nothing was written.

    Attributes:
        client_id: The client written.
        expected: The version the writer read.
        actual: The version now stored.
    """

    def __init__(self, client_id: str, expected: int, actual: int | None) -> None:
        self.template = (
            "client '{client_id}' changed underneath: expected version {expected}, "
            "found {actual}; reload it and try again"
        )
        self.values = {"client_id": client_id, "expected": expected, "actual": actual}
        super().__init__(render(self.template, self.values, "en"))
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
        self.template = "client '{client_id}' already exists"
        self.args = (f"client {client_id!r} already exists",)

    def __str__(self) -> str:
        return str(self.args[0])


class PoolShortageError(ConflictError):
    """Another writer took the pool's seats first: this change would take the pool
    below zero where a shortage is an error. Nothing was written; load again and
    retry (the engine then refuses with ``pool.insufficient``).

    Attributes:
        client_id: The client written.
        item: The product or module id short of seats.
        period: The period of those seats.
        seats: The seats the pool would have held afterwards (below zero).
    """

    def __init__(self, client_id: str, item: str, period: str, seats: int) -> None:
        super().__init__(client_id, 0, None)
        self.template = (
            "the pool has too few seats of '{item}' for {period} for client '{client_id}': "
            "another writer took them first ({seats} after this change); nothing was "
            "written, load again and retry"
        )
        self.values = {"client_id": client_id, "item": item, "period": period, "seats": seats}
        self.args = (render(self.template, self.values, "en"),)
        self.item = item
        self.period = period
        self.seats = seats

    def __str__(self) -> str:
        return str(self.args[0])


class KeyTakenError(StoreError):
    """A save carried an idempotency key this partner already holds: another request
    with that key committed first. Nothing was written (:class:`Console` answers it
    with the stored change)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} is already stored")
        self.key = key


class KeyConflictError(ConflictError):
    """An idempotency key came back with another operation or another client than the
    one it was first used for. Nothing was applied.

    Attributes:
        key: The key.
        client_id: The client of this request.
        first_client_id: The client the key was first used for.
    """

    def __init__(self, key: str, client_id: str, first_client_id: str) -> None:
        super().__init__(client_id, 0, None)
        self.template = (
            "idempotency key '{key}' was first used for another operation (client "
            "'{first}'): a key names one operation; use a new key for a new one"
        )
        self.values = {"key": key, "first": first_client_id}
        self.args = (render(self.template, self.values, "en"),)
        self.key = key
        self.first_client_id = first_client_id

    def __str__(self) -> str:
        return str(self.args[0])
