"""Sessions: tests (default), mypy, lint, soak, docs, notebook, bench."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "mypy", "lint"]
nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True

PROJECT = [".", "./catalogs/cytomic"]
TEST_DEPS = ["hypothesis>=6.90", "pytest>=8", "pytest-cov>=4"]


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite with coverage (a minute or two)."""
    session.install(*PROJECT, *TEST_DEPS)
    session.run(
        "pytest",
        "--cov=cytolicense",
        "--cov-report=term",
        *session.posargs,
    )


@nox.session
def soak(session: nox.Session) -> None:
    """Long property runs: 10,000+ random console sessions, 10,000+ fuzzed documents."""
    session.install(*PROJECT, *TEST_DEPS)
    session.run(
        "pytest",
        "-m",
        "slow or not slow",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"CYTOLICENSE_PROFILE": "soak"},
    )


@nox.session
def mypy(session: nox.Session) -> None:
    """mypy --strict over the package, the Cytomic catalog and tests/typing."""
    session.install(*PROJECT, "mypy>=1.8", "types-python-dateutil", *TEST_DEPS)
    session.run("mypy", "--strict")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
