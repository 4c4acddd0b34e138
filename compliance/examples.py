"""Control examples: fact fragments a catalog carries for each control (one compliant, one not).

They document what a control reads (``catalog docs``) and drive the table-driven tests. A
fragment is merged over a minimal facts document; attachments it names are created as small
placeholder files when an example is written to disk.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

BASE: dict = {"as_of": "2025-11-30", "organization": {"name": "Example organisation"}}


def _merge(base: dict, top: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def example_facts(fragment: dict) -> dict:
    return _merge(BASE, fragment)


def write_example(fragment: dict, directory: Path) -> Path:
    """Write the example as facts.yaml in ``directory`` with placeholder attachment files."""
    directory.mkdir(parents=True, exist_ok=True)
    facts = example_facts(fragment)
    for att in facts.get("attachments") or []:
        target = directory / att["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"placeholder evidence: {att['id']}\n", encoding="utf-8")
    path = directory / "facts.yaml"
    path.write_text(yaml.safe_dump(facts, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
