"""The JSON Schemas ``pipa-audit schema …`` publishes are what editors (YAML language server, JSON
tooling) check files against: every shipped catalog, example facts and waiver file must pass its
schema as an editor reads it, the results ``check`` writes must pass the result schema, and every
property must say what it is for (the editor shows that text on hover)."""

from __future__ import annotations

import json
from functools import lru_cache

import pytest
import yaml

from . import consumers
from .conftest import CATALOGS, ROOT, cli

EXAMPLES = ROOT / "examples"


class _EditorLoader(yaml.SafeLoader):
    """YAML as a language server hands it to a JSON Schema: dates stay strings."""


_EditorLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"] for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@lru_cache(maxsize=None)
def schema(which: str) -> dict:
    proc = cli("schema", which)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def files(kind: str) -> list:
    if kind == "catalog":
        return sorted([*CATALOGS.glob("*.yaml"), *CATALOGS.glob("*.yml")])
    return sorted(EXAMPLES.glob(f"*/{kind}.yaml"))


CASES = [(kind, p) for kind, name in (("catalog", "catalog"), ("facts", "facts"), ("waivers", "waivers")) for p in files(name)]


@pytest.mark.parametrize("kind, path", CASES, ids=[f"{k}:{p.relative_to(ROOT)}" for k, p in CASES])
def test_shipped_files_pass_their_published_schema(kind, path):
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_EditorLoader)  # noqa: S506 - a SafeLoader
    assert consumers.errors(consumers.json_schema(schema(kind)), data) == []


def test_every_kind_of_shipped_file_is_covered():
    assert {k for k, _ in CASES} == {"catalog", "facts", "waivers"}


@pytest.mark.parametrize("example", sorted(p.parent.name for p in EXAMPLES.glob("*/facts.yaml")))
def test_check_json_passes_the_result_schema(example, tmp_path):
    folder = EXAMPLES / example
    waivers = ["--waivers", folder / "waivers.yaml"] if (folder / "waivers.yaml").exists() else []
    out = tmp_path / "result.json"
    assert cli("check", folder / "facts.yaml", *waivers, "-o", out).returncode in (0, 1)
    assert consumers.errors(consumers.json_schema(schema("result")), json.loads(out.read_text())) == []


def undescribed(node, path="") -> list[str]:
    """Property paths (through $defs) whose schema has no description."""
    out = []
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            if not (isinstance(prop, dict) and prop.get("description")):
                out.append(f"{path}.{name}".lstrip("."))
        for key, value in node.items():
            if key == "properties":
                for name, prop in value.items():
                    out += undescribed(prop, f"{path}.{name}")
            elif key == "$defs":
                for name, sub in value.items():
                    out += undescribed(sub, name)
            elif isinstance(value, (dict, list)):
                out += undescribed(value, path)
    elif isinstance(node, list):
        for item in node:
            out += undescribed(item, path)
    return sorted(set(out))


@pytest.mark.parametrize("which", ["result", "facts", "catalog", "waivers"])
def test_every_schema_property_has_a_description(which):
    assert undescribed(schema(which)) == []
