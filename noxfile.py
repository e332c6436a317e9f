"""Sessions: tests (default), mypy, lint, soak, docs, notebook, bench."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "mypy", "lint"]
nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True

PROJECT = [".", "./catalogs/cytomic"]
TEST_DEPS = ["hypothesis>=6.90", "pytest>=8", "coverage>=7.10", "hatchling>=1.18"]
DOCS_DEPS = ["sphinx>=7", "myst-parser>=2", "furo"]


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite with coverage (about a minute): what CI runs.

    coverage (not pytest-cov) measures the command-line tests' subprocesses too.
    """
    session.install(*PROJECT, *TEST_DEPS)
    session.run("coverage", "erase")
    session.run("coverage", "run", "-m", "pytest", *session.posargs)
    session.run("coverage", "combine", "--quiet")
    session.run("coverage", "report")


@nox.session(python=["3.11", "3.12", "3.13"])
def tests_all(session: nox.Session) -> None:
    """The test suite on every supported Python found on the machine."""
    session.install(*PROJECT, *TEST_DEPS)
    session.run("pytest", "-q", *session.posargs)


@nox.session
def soak(session: nox.Session) -> None:
    """Long property runs: 10,000 random console sessions, 10,000 fuzzed documents."""
    session.install(*PROJECT, *TEST_DEPS)
    session.run(
        "pytest",
        "-p",
        "no:cacheprovider",
        "tests/test_stateful.py",
        "tests/test_serialize.py",
        "tests/test_rules.py",
        "--hypothesis-show-statistics",
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


@nox.session
def docs(session: nox.Session) -> None:
    """Build the HTML docs with warnings as errors, and run every example in them."""
    session.install(*PROJECT, *DOCS_DEPS, "pytest>=8", "hypothesis>=6.90")
    session.run("pytest", "-q", "tests/test_docs.py", "tests/test_readme.py")
    session.run(
        "sphinx-build",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "docs",
        "docs/_build/html",
        *session.posargs,
    )
    session.log("open docs/_build/html/index.html")


@nox.session
def notebook(session: nox.Session) -> None:
    """Execute docs/example.ipynb; any error in a cell fails the session."""
    session.install(*PROJECT, "nbclient>=0.9", "nbformat>=5.9", "ipykernel>=6")
    session.run("python", "docs/run_notebook.py", "docs/example.ipynb")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks of every hot path against its floor (a few minutes; see benchmarks/)."""
    session.install(*PROJECT)
    session.run("python", "benchmarks/run.py", *session.posargs)
