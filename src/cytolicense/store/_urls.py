"""Database URLs in messages: never a secret (a password in any of the forms
libpq reads: the authority part, a ``password=`` query parameter, ``key=value``)."""

from __future__ import annotations

import re
import urllib.parse

__all__ = ["redact", "safe"]

_PASSWORD = re.compile(r"(?i)\b(password|passfile|sslpassword)\s*=\s*('(?:[^'\\]|\\.)*'|[^\s&]*)")


def _secrets(url: str) -> list[str]:
    """Every secret *url* holds: the password of its authority part and the values of
    ``password=`` (and ``sslpassword=``) in its query or in a ``key=value`` string,
    raw and percent-decoded."""
    found: list[str] = []
    head, sep, _ = url.rpartition("@")
    if sep and "://" in head:
        creds = head.partition("://")[2]
        for host_creds in creds.split(","):
            _user, colon, password = host_creds.partition(":")
            if colon and password:
                found.append(password)
    found.extend(m.group(2).strip("'") for m in _PASSWORD.finditer(url) if m.group(2))
    out = []
    for secret in found:
        out.append(secret)
        decoded = urllib.parse.unquote(secret)
        if decoded != secret:
            out.append(decoded)
    return sorted({x for x in out if x}, key=len, reverse=True)


def safe(url: str) -> str:
    """*url* without any secret: no password in its authority part, ``password=``
    values in its query or ``key=value`` form replaced by ``***``."""
    text = _PASSWORD.sub(lambda m: f"{m.group(1)}=***", url)
    if "://" in text:
        scheme, _, rest = text.partition("://")
        creds, at, tail = rest.rpartition("@")
        if at and "/" not in creds:
            users = ",".join(c.split(":", 1)[0] for c in creds.split(","))
            text = f"{scheme}://{users}@{tail}"
    return text


def redact(text: str, url: str) -> str:
    """*text* (say, a driver's message) with every secret of *url* replaced by ``***``."""
    for secret in _secrets(url):
        text = text.replace(secret, "***")
    return text
