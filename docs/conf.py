"""Sphinx configuration for the relationclient documentation.

Build with ``sphinx-build -W --keep-going -b html docs /tmp/docs-html``.
Every code example shown in these pages is executed by ``tests/docs``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

from relationclient import __version__  # noqa: E402

project = "relationclient"
author = "relationclient developers"
copyright = "relationclient developers"
release = __version__
version = ".".join(__version__.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "pydantic_fields",
]

exclude_patterns = ["_build"]
templates_path: list[str] = []

# -- autodoc ----------------------------------------------------------------------
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autodoc_member_order = "bysource"
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
    # pydantic's own class attributes, documented by pydantic: noise here.
    "exclude-members": "model_config, model_fields, model_computed_fields, __new__",
}
autodoc_preserve_defaults = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
# "Attributes:" sections become :ivar: fields, so an attribute that also has a
# "#:" comment in the code is not described twice.
napoleon_use_ivar = True
nitpicky = False

# No intersphinx: the docs build offline (CI has no network to fetch inventories).

# -- HTML -------------------------------------------------------------------------
html_theme = "furo"
html_title = f"relationclient {release}"
html_static_path = ["_static"]
html_theme_options = {
    "source_edit_link": None,
}
