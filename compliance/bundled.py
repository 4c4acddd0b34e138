"""Where the bundled data lives: inside the installed wheel (``compliance/_data``) or, in a
source checkout, at the repository's top level where people edit it."""

from __future__ import annotations

from pathlib import Path

_REPO_LAYOUT = {"controls": "controls", "templates": "reports/templates", "examples": "examples"}


def bundled_dir(name: str) -> Path:
    here = Path(__file__).resolve().parent
    packaged = here / "_data" / name
    if packaged.is_dir():
        return packaged
    return here.parent / _REPO_LAYOUT[name]
