"""The command line's former address: ``cytolicense.cli._cli:main`` (the entry point
before round 4, and scripts that import it) is :func:`cytolicense.cli._main.main`."""

from __future__ import annotations

from ._main import main

__all__ = ["main"]
