"""Sessions: tests (default: suite, mypy, ruff, import-linter), lowest, soak, docs,
notebook, bench.

Dependencies come from pyproject's PEP 735 dependency groups; the Python matrix
from its classifiers.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import nox

nox.options.sessions = ["tests"]
nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True

PYPROJECT = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))
PROJECT = [".", "./catalogs/cytomic"]
GROUPS: dict[str, list[str]] = PYPROJECT["dependency-groups"]
TEST_DEPS = GROUPS["tests"]
DOCS_DEPS = GROUPS["docs"]
PYTHONS = [
    c.rpartition(" :: ")[2]
    for c in PYPROJECT["project"]["classifiers"]
    if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
]


@nox.session
def tests(session: nox.Session) -> None:
    """What CI runs: the suite with coverage, then mypy --strict, ruff and import-linter.

    coverage (not pytest-cov) measures the command-line tests' subprocesses too.
    """
    session.install(
        ".[web]", "./catalogs/cytomic", "psycopg[binary]>=3.1", *TEST_DEPS, *GROUPS["typing"]
    )
    session.install(*GROUPS["lint"])
    session.run("coverage", "erase")
    session.run("coverage", "run", "-m", "pytest", *session.posargs)
    session.run("coverage", "combine", "--quiet")
    session.run("coverage", "report")
    session.run("mypy", "--strict")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports")


@nox.session
def lowest(session: nox.Session) -> None:
    """The suite with the lowest versions pyproject allows (its `>=` bounds, pinned)."""
    pins = [
        re.sub(r">=", "==", dep.split(";")[0].strip())
        for dep in [
            *PYPROJECT["project"]["dependencies"],
            *PYPROJECT["project"]["optional-dependencies"]["fast"],
        ]
    ]
    session.install(*pins, *TEST_DEPS)
    session.install("--no-deps", *PROJECT)
    session.run("pytest", "-q", "-p", "no:cacheprovider", *session.posargs)


@nox.session(python=PYTHONS)
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
        "tests/test_stateful_lifecycle.py",
        "tests/test_hardening.py",
        "tests/test_serialize.py",
        "tests/test_rules.py",
        "--hypothesis-show-statistics",
        *session.posargs,
        env={"CYTOLICENSE_PROFILE": "soak"},
    )


@nox.session
def mypy(session: nox.Session) -> None:
    """mypy --strict over the package, the Cytomic catalog and tests/typing."""
    session.install(*PROJECT, *GROUPS["typing"], *TEST_DEPS)
    session.run("mypy", "--strict")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check and the import-linter layer contracts."""
    session.install(*PROJECT, *GROUPS["lint"])
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports")


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
    session.install(
        ".[web]",
        "./catalogs/cytomic",
        "psycopg[binary,pool]>=3.1",
        "pydantic>=2",
        "msgspec>=0.19",
    )
    session.run("python", "benchmarks/run.py", *session.posargs)
    postgres: list[str] = []
    if "--postgres" in session.posargs:  # the console's two ways to PostgreSQL, and writers
        url = session.posargs[session.posargs.index("--postgres") + 1]
        postgres = ["--postgres", url]
        session.run("python", "benchmarks/pg_async.py", "--postgres", url)
    # The day's run at 10,000 clients, 1% due (issue 48; about 20 s): without
    # --postgres it starts a PostgreSQL of its own when the server binaries exist.
    session.run("python", "benchmarks/run_day.py", "--quick", *postgres)
    # The console over HTTP against its floor app (issue 46): needs wrk; without
    # --postgres it starts a PostgreSQL of its own when the server binaries exist.
    if shutil.which("wrk"):
        session.run("python", "benchmarks/http_console.py", "--quick", *postgres)
    else:
        session.log("benchmarks/http_console.py skipped: no wrk (apt-get install wrk)")


@nox.session
def i18n(session: nox.Session) -> None:
    """Extract the interface strings with Babel (cytolicense.pot, from the code and the
    web templates) and list those each language's catalog lacks
    (src/cytolicense/locale/LANG.po; entries carry a msgctxt naming their table)."""
    session.install("babel>=2.14", "jinja2>=3.1", ".")
    session.run(
        "pybabel",
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "tr",
        "-k",
        "said:2",
        "-k",
        "_arg_error",
        "--no-location",
        "-o",
        "cytolicense.pot",
        "src",
    )
    session.run(
        "python",
        "-c",
        "import pathlib, sys\n"
        "from babel.messages.pofile import read_po\n"
        "from cytolicense.core._po import parse_po\n"
        "pot = {m.id for m in read_po(open('cytolicense.pot', 'rb')) if m.id}\n"
        "bad = 0\n"
        "for po in sorted(pathlib.Path('src/cytolicense/locale').glob('*.po')):\n"
        "    have = {k for t in parse_po(po.read_text('utf-8')).values() for k in t}\n"
        "    for text in sorted(pot - have):\n"
        "        print(f'{po.name}: missing {text!r}'); bad += 1\n"
        "sys.exit(1 if bad else 0)\n",
    )


@nox.session
def failover(session: nox.Session) -> None:
    """The failover test, longer: writers for CYTOLICENSE_FAILOVER_SECONDS (default 60)
    around a SIGKILL of the primary and the promotion of its synchronous standby."""
    session.install(*PROJECT, "psycopg[binary]>=3.1", *TEST_DEPS)
    session.env.setdefault("CYTOLICENSE_FAILOVER_SECONDS", "60")
    session.run("pytest", "-p", "no:cacheprovider", "-s", "tests/test_failover.py")
