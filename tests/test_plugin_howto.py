"""Walk docs/how-to/catalog-plugin.md: from an empty folder to a discovered plugin.

The files are taken from the how-to itself (the blocks after ``<!-- file: ... -->``),
built and installed with pip into a temporary folder, then found through their
entry point by a fresh Python process, and tested with cytolicense.testing.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HOWTO = Path(__file__).parents[1] / "docs" / "how-to" / "catalog-plugin.md"
BLOCK = re.compile(r"<!-- file: (?P<path>\S+) -->\n```\w*\n(?P<body>.*?)\n```", re.DOTALL)


def files() -> dict[str, str]:
    return {m["path"]: m["body"] + "\n" for m in BLOCK.finditer(HOWTO.read_text("utf-8"))}


def test_the_howto_names_its_files() -> None:
    assert set(files()) == {
        "pyproject.toml",
        "src/cytolicense_acme/__init__.py",
        "tests/test_catalog.py",
    }


@pytest.mark.skipif(
    importlib.util.find_spec("hatchling") is None,
    reason="building the example needs hatchling (nox -s tests installs it)",
)
def test_from_an_empty_folder_to_a_discovered_plugin(tmp_path: Path) -> None:
    project = tmp_path / "cytolicense-acme"
    for rel, body in files().items():
        target = project / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
    site = tmp_path / "site"
    pip = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(project),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert pip.returncode == 0, pip.stderr
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}
    env.pop("CYTOLICENSE_DISABLE_PLUGINS", None)
    found = subprocess.run(
        [sys.executable, "-m", "cytolicense", "catalog"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert found.returncode == 0, found.stderr
    assert "ACME Mail Security [acme-mail]" in found.stdout
    assert "ACME MailGuard [acme-mailguard]" in found.stdout
    assert "Cytomic Advanced EDR" in found.stdout  # side by side with the other installed catalogs
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project / "tests")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=project,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "2 passed" in tests.stdout
