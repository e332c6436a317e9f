"""Signing operators in to the web console: passwords (argon2id, memory-hard), signed
sessions that expire, sign-out, and a limit on failed sign-ins.

A session is a cookie the app signs (HMAC-SHA256 with the app's secret) naming the
partner, the operator and when it expires; signing out revokes it at once (the
process keeps the revoked ones until they would have expired anyway). Failed
sign-ins are counted per operator and per client address: past *attempts* within
*window* seconds, more are refused (429) until the window has passed, whatever the
password.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

import attrs

__all__ = [
    "SIGNED_IN",
    "Session",
    "Sessions",
    "Throttle",
    "hash_password",
    "verify_password",
]

SIGNED_IN = "cytolicense_signed_in"
"""The session cookie."""


def _hasher() -> object:
    try:
        from argon2 import PasswordHasher
    except ImportError as exc:  # pragma: no cover - the web extra installs it
        raise RuntimeError("passwords need argon2-cffi: pip install 'cytolicense[web]'") from exc
    return PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash of *password* (with its own random salt), to keep with the
    operator (:meth:`~cytolicense.Console.set_password_hash`)."""
    if not isinstance(password, str) or len(password) < 8:
        raise ValueError("a password has at least 8 characters")
    return str(_hasher().hash(password))  # type: ignore[attr-defined]


def verify_password(stored: str | None, password: str) -> bool:
    """Whether *password* is the one *stored* hashes (``None``: no password is set;
    the time it takes does not say which)."""
    hasher = _hasher()
    if stored is None:
        # As long as a real check, so that a missing operator is not told apart.
        stored = _DUMMY[0] or _dummy()
        password = password + "\x00"
    try:
        return bool(hasher.verify(stored, password))  # type: ignore[attr-defined]
    except Exception:  # a mismatch, or a hash of another kind
        return False


_DUMMY: list[str | None] = [None]


def _dummy() -> str:
    made = str(_hasher().hash(secrets.token_hex(16)))  # type: ignore[attr-defined]
    _DUMMY[0] = made
    return made


@attrs.frozen
class Session:
    """A signed-in operator.

    Attributes:
        partner: The partner it acts for.
        operator: The operator's id.
        expires: When the session ends (Unix seconds).
        nonce: The session's own random id (what sign-out revokes).
    """

    partner: str
    operator: str
    expires: int
    nonce: str


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unb64(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


class Sessions:
    """Signed session cookies that expire after *seconds*."""

    def __init__(
        self, key: bytes, seconds: float, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.key = key
        self.seconds = seconds
        self.clock = clock
        self._revoked: dict[str, int] = {}
        self._lock = threading.Lock()

    def _sign(self, body: str) -> str:
        return hmac.new(self.key, b"session:" + body.encode(), "sha256").hexdigest()

    def issue(self, partner: str, operator: str) -> str:
        """A new session's cookie value."""
        expires = int(self.clock() + self.seconds)
        body = f"{_b64(partner)}.{_b64(operator)}.{expires}.{secrets.token_urlsafe(12)}"
        return f"{body}.{self._sign(body)}"

    def read(self, value: str) -> Session | None:
        """The session of a cookie value: ``None`` when unsigned, tampered with,
        expired or signed out."""
        body, _, signature = value.rpartition(".")
        if not body or not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            return None
        try:
            partner, operator, expires, nonce = body.split(".")
            found = Session(_unb64(partner), _unb64(operator), int(expires), nonce)
        except ValueError:
            return None
        now = self.clock()
        if found.expires <= now:
            return None
        with self._lock:
            if nonce in self._revoked:
                return None
        return found

    def revoke(self, value: str) -> None:
        """Sign the session out (its cookie no longer signs anyone in)."""
        found = self.read(value)
        if found is None:
            return
        now = self.clock()
        with self._lock:
            self._revoked = {n: e for n, e in self._revoked.items() if e > now}
            self._revoked[found.nonce] = found.expires


class Throttle:
    """At most *attempts* failures per key within *window* seconds."""

    def __init__(
        self, attempts: int, window: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.attempts = attempts
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        found = self._failures.setdefault(key, deque())
        while found and found[0] <= now - self.window:
            found.popleft()
        return found

    def blocked(self, *keys: str) -> bool:
        """Whether any of *keys* has used up its attempts."""
        now = self.clock()
        with self._lock:
            return any(len(self._recent(k, now)) >= self.attempts for k in keys)

    def failed(self, *keys: str) -> None:
        """Count a failure against each of *keys*."""
        now = self.clock()
        with self._lock:
            for k in keys:
                self._recent(k, now).append(now)
            if len(self._failures) > 10_000:  # forget the keys that have nothing left
                self._failures = {k: v for k, v in self._failures.items() if v}

    def succeeded(self, *keys: str) -> None:
        """Forget the failures of *keys* (a right password)."""
        with self._lock:
            for k in keys:
                self._failures.pop(k, None)
