"""Sphinx configuration: MyST markdown, autodoc from docstrings, generated finding tables."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import gen_reference  # noqa: E402

project = "cytolicense"
author = "cytolicense developers"
copyright = "2026, cytolicense developers"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx_copybutton",
]
source_suffix = {".md": "markdown"}
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
exclude_patterns = ["_build", "*.ipynb", "README.md"]
html_theme = "furo"
html_title = "cytolicense"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False}
napoleon_google_docstring = True
napoleon_attr_annotations = True
napoleon_use_ivar = True
nitpicky = False
suppress_warnings = ["myst.xref_missing"]

gen_reference.write_all(HERE)
