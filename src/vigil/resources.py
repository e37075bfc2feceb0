"""Where vigil's own resources live: the themes in ``templates/`` and the fonts in ``fonts/``.

Takes nothing; gives the folders. They sit at the top of the vigil checkout (beside ``src/``);
the environment variable ``VIGIL_HOME`` points elsewhere for an installation without a checkout.
"""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The folder holding ``templates/`` and ``fonts/``."""
    configured = os.environ.get("VIGIL_HOME")
    if configured:
        return Path(configured).resolve()
    return Path(__file__).resolve().parents[2]


def themes_dir() -> Path:
    return home() / "templates"


def fonts_dir() -> Path:
    return home() / "fonts"


def content_dir() -> Path:
    return home() / "content"
