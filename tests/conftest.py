"""Shared fixtures: the repository's examples and catalogs, and the real console script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# The suite speaks English unless a test asks for Korean (--lang ko, or a Korean locale it sets): a developer whose
# shell is ko_KR runs the same assertions as CI. Subprocesses inherit this.
for _var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
    os.environ.pop(_var, None)
os.environ["LANG"] = "C.UTF-8"

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "controls"
SEED = ROOT / "examples" / "ecommerce-breach"
CLEAN = ROOT / "examples" / "clean"


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the installed ``pipa-audit`` console script (the thing users run)."""
    beside = Path(sys.executable).parent / "pipa-audit"
    exe = str(beside) if beside.exists() else shutil.which("pipa-audit")
    assert exe, "pipa-audit console script not found: install the project (pip install -e '.[test]')"
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)


def python_module(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compliance", *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="session")
def catalogs():
    from compliance.catalog import load_catalogs

    return load_catalogs(CATALOGS)


@pytest.fixture(scope="session")
def seed_result():
    from compliance.pipeline import audit

    return audit(SEED / "facts.yaml", CATALOGS, SEED / "waivers.yaml")


@pytest.fixture(scope="session")
def seed_pdfs(seed_result):
    """The seed report rendered once per language for the whole run (each PDF takes seconds): tests that read
    the default ko or en report share these bytes."""
    from compliance.render import render

    return {"ko": render(seed_result, "pdf", "ko"), "en": render(seed_result, "pdf", "en")}


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p
