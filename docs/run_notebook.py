"""Execute a notebook with nbclient; exit non-zero on the first cell that fails."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main(path: str) -> int:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(Path(path).parent)}},
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        print(f"{path}: a cell failed:\n{exc}", file=sys.stderr)
        return 1
    html_outputs = sum(
        1
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if "text/html" in out.get("data", {})
    )
    print(f"{path}: {len(nb.cells)} cells executed, {html_outputs} rendered as HTML")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
