"""The ready-made integrations, each checked by its consumer's own schema or tool and run for real:
the composite GitHub Action (action.yml, steps executed as the runner does), the GitLab CI example
and the GitHub workflow example in the README, the pre-commit hook manifest, and the exit-code
matrix in --help and the README."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from . import consumers
from .conftest import CLEAN, ROOT, SEED, cli

BIN = Path(sys.executable).parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")
(SETUP_PYTHON,) = [s["uses"] for s in ACTION["runs"]["steps"] if s.get("uses", "").startswith("actions/setup-python@")]


def tool(name: str) -> str:
    path = BIN / name
    assert path.exists(), f"{name} is a test dependency: pip install -e '.[test]'"
    return str(path)


def check_jsonschema(schema: str, path: Path) -> None:
    proc = subprocess.run([tool("check-jsonschema"), "--builtin-schema", schema, str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def readme_block(after: str, lang: str = "yaml") -> str:
    start = README.index(after)
    m = re.compile(rf"```{lang}\n(.*?)```", re.S).search(README, start)
    return m.group(1)


def parses(argv: list[str]) -> None:
    """A pipa-audit command line the real parser accepts (exit 0 from argparse = accepted)."""
    from compliance.cli import build_parser

    assert argv[0] == "pipa-audit", argv
    build_parser().parse_args(argv[1:])


# ------------------------------------------------------------------------------------ GitHub Action


def test_action_yml_is_a_valid_composite_action():
    check_jsonschema("vendor.github-actions", ROOT / "action.yml")
    assert ACTION["runs"]["using"] == "composite"
    uses = {s["uses"].split("@")[0]: s for s in ACTION["runs"]["steps"] if "uses" in s}
    assert set(uses) == {"actions/setup-python", "github/codeql-action/upload-sarif"}
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    minimum = tuple(int(x) for x in requires.removeprefix(">=").split("."))
    default = ACTION["inputs"]["python-version"]["default"]
    assert tuple(int(x) for x in default.split(".")) >= minimum


class Runner:
    """Runs the action's steps as GitHub's runner does: ``${{ }}`` expressions substituted, ``run``
    scripts in ``bash --noprofile --norc -eo pipefail``, step outputs read from $GITHUB_OUTPUT."""

    def __init__(self, tmp_path: Path, inputs: dict[str, str]):
        self.tmp = tmp_path
        defaults = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
        missing = [k for k, v in ACTION["inputs"].items() if v.get("required") and k not in inputs]
        assert not missing, missing
        self.inputs = {**defaults, **inputs}
        self.outputs: dict[str, dict[str, str]] = {}
        self.summary = tmp_path / "step_summary.md"
        self.summary.write_text("")
        shim = tmp_path / "shim"
        shim.mkdir()
        # "python" is the runner's Python: record what the install step asks it to do
        (shim / "python").write_text(f'#!/bin/sh\necho "$@" >> "{tmp_path / "python-calls"}"\n')
        (shim / "python").chmod(0o755)
        self.path = f"{shim}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}"
        self.uses: list[dict] = []

    def expr(self, text: str) -> str:
        def value(m):
            e = m.group(1)
            if e.startswith("inputs."):
                return self.inputs[e.removeprefix("inputs.")]
            step, _, key = e.removeprefix("steps.").partition(".outputs.")
            return self.outputs[step][key]

        return EXPR.sub(value, str(text))

    def condition(self, step) -> bool:
        cond = step.get("if")
        if cond is None:
            return True
        m = re.fullmatch(r"inputs\.([\w-]+) == '([^']*)'", cond)
        assert m, f"unsupported condition {cond!r}"
        return self.inputs[m.group(1)] == m.group(2)

    def run(self, workspace: Path) -> int:
        for step in ACTION["runs"]["steps"]:
            if not self.condition(step):
                continue
            if "uses" in step:
                self.uses.append({"uses": step["uses"], "with": {k: self.expr(v) for k, v in step.get("with", {}).items()}})
                continue
            assert step["shell"] == "bash"
            out = self.tmp / f"out-{len(self.outputs)}"
            out.write_text("")
            env = {**os.environ, "PATH": self.path, "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(self.summary),
                   "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_WORKSPACE": str(workspace)}
            env.update({k: self.expr(v) for k, v in step.get("env", {}).items()})
            assert "${{" not in step["run"], "expressions go through env:, never into the script"
            proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                                  cwd=workspace, env=env, capture_output=True, text=True)
            self.outputs[step.get("id", f"step{len(self.outputs)}")] = dict(
                line.split("=", 1) for line in out.read_text().splitlines() if "=" in line
            )
            if proc.returncode != 0:
                return proc.returncode
        return 0


def workspace(tmp_path: Path, example: Path) -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(example, ws / "evidence")
    (ws / ".git").mkdir()
    return ws


def test_action_runs_check_uploads_sarif_and_writes_the_summary(tmp_path):
    ws = workspace(tmp_path, SEED)
    runner = Runner(tmp_path, {"facts": "evidence/facts.yaml", "waivers": "evidence/waivers.yaml"})
    assert runner.run(ws) == 1  # the seed fails: the last step fails the job...
    assert runner.outputs["check"]["exit-code"] == "1"  # ...after check wrote everything
    calls = (tmp_path / "python-calls").read_text().split()
    assert calls[:4] == ["-m", "pip", "install", "--quiet"] and Path(calls[4]) == ROOT
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"] == "pipa-audit"
    (upload,) = [u for u in runner.uses if "upload-sarif" in u["uses"]]
    sarif = json.loads((ws / upload["with"]["sarif_file"]).read_text())
    assert consumers.errors(consumers.sarif(), sarif) == []
    uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "evidence/facts.yaml"
    summary = runner.summary.read_text()
    assert summary.startswith("## ❌ pipa-audit:") and "| ✗ |" in summary
    consumers.junit().validate(str(ws / runner.outputs["check"]["junit"]))
    for name, spec in ACTION["outputs"].items():
        assert runner.expr(spec["value"]), name


def test_action_with_a_baseline_puts_the_diff_first_and_passes_when_check_passes(tmp_path):
    ws = workspace(tmp_path, CLEAN)
    baseline = tmp_path / "baseline.json"
    assert cli("check", ws / "evidence" / "facts.yaml", "-o", baseline, "--fail-on", "none").returncode == 0
    runner = Runner(tmp_path, {"facts": "evidence/facts.yaml", "baseline": str(baseline), "upload-sarif": "false",
                               "fail-on": "none"})
    assert runner.run(ws) == 0 and runner.outputs["check"]["exit-code"] == "0"
    assert runner.uses == [{"uses": SETUP_PYTHON, "with": {"python-version": "3.12"}}]
    summary = runner.summary.read_text()
    assert summary.index("regression(s) since") < summary.index("failing finding(s)")


def test_action_stops_on_bad_input(tmp_path):
    ws = workspace(tmp_path, CLEAN)
    (ws / "evidence" / "facts.yaml").write_text("as_of: [\n")
    runner = Runner(tmp_path, {"facts": "evidence/facts.yaml"})
    assert runner.run(ws) == 2
    assert runner.uses == [{"uses": SETUP_PYTHON, "with": {"python-version": "3.12"}}]  # no upload


def test_readme_workflow_uses_the_action_inputs(tmp_path):
    text = readme_block("**GitHub Actions.**")
    (tmp_path / "workflow.yml").write_text(text)
    check_jsonschema("vendor.github-workflows", tmp_path / "workflow.yml")
    steps = yaml.safe_load(text)["jobs"]["pipa-audit"]["steps"]
    (step,) = [s for s in steps if s.get("uses", "").split("@")[0].endswith("/pipa-audit")]
    assert set(step["with"]) <= set(ACTION["inputs"])
    assert {k for k, v in ACTION["inputs"].items() if v.get("required")} <= set(step["with"])


# ------------------------------------------------------------------------------------ GitLab CI


def test_readme_gitlab_example_is_valid_and_produces_its_junit_report(tmp_path):
    text = readme_block("**GitLab CI.**")
    (tmp_path / ".gitlab-ci.yml").write_text(text)
    check_jsonschema("vendor.gitlab-ci", tmp_path / ".gitlab-ci.yml")
    (job,) = yaml.safe_load(text).values()
    ws = workspace(tmp_path, SEED)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **job.get("variables", {})}
    ran = []
    for line in job["script"]:
        argv = shlex.split(line)
        if argv[:3] == ["python", "-m", "pip"]:
            assert argv[-1] == "$PIPA_AUDIT" and job["variables"]["PIPA_AUDIT"].split()[0] == "pipa-audit"
            continue
        parses(argv)
        proc = subprocess.run(["bash", "-eo", "pipefail", "-c", line], cwd=ws, env=env, capture_output=True, text=True)
        ran.append(proc.returncode)
        if proc.returncode:
            break
    assert ran == [0, 1]  # validate passes; check fails on the seed's findings, so the job fails
    junit = ws / job["artifacts"]["reports"]["junit"]
    consumers.junit().validate(str(junit))
    assert all((ws / p).exists() for p in job["artifacts"]["paths"])
    assert job["artifacts"]["when"] == "always"  # reports are kept when the job fails


# ------------------------------------------------------------------------------------ pre-commit


def test_pre_commit_manifest_is_valid_and_its_hook_validates(tmp_path):
    """The manifest, and its entry run as pre-commit would on every file of the examples: facts and waivers files are
    validated, their attachments lead to their facts file, catalogs and templates are left alone. The hook run by
    pre-commit itself (an edited attachment, an export beside the facts): tests/test_consumers_round2.py."""
    manifest = ROOT / ".pre-commit-hooks.yaml"
    proc = subprocess.run([tool("pre-commit"), "validate-manifest", str(manifest)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (hook,) = yaml.safe_load(manifest.read_text())
    entry = shlex.split(hook["entry"])
    assert hook["language"] == "python" and entry == ["python", "-m", "compliance.precommit"]
    assert "files" not in hook and "types_or" not in hook  # every changed file: an attachment may be of any type
    python = str(BIN / "python")

    def run(*files, cwd=ROOT):
        return subprocess.run([python, *entry[1:], *map(str, files)], cwd=cwd, capture_output=True, text=True)

    staged = [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "examples").rglob("*")) if p.is_file()]
    done = run(*staged)
    assert done.returncode == 0, done.stderr
    validated = sorted(line.split(": ok")[0] for line in done.stdout.splitlines() if ": ok (" in line)
    assert validated == sorted(p for p in staged if Path(p).name in ("facts.yaml", "waivers.yaml"))
    assert run("controls/outlines/pipa-2023.yaml", "reports/templates/labels.yaml").stdout == ""  # not evidence
    bad = tmp_path / "facts.yaml"
    bad.write_text("as_of: 2025-11-30\norganization: {name: X}\nhandlerz: []\n")
    done = run(bad)
    assert done.returncode == 2 and f"{bad}:3: handlerz" in done.stderr


# ------------------------------------------------------------------------------------ exit codes


def test_exit_codes_are_one_matrix_in_help_and_readme():
    from compliance import cli as cli_module

    for argv in ((), ("check",), ("diff",)):
        help_text = cli(*argv, "--help").stdout
        assert cli_module.exit_codes().strip() in help_text.replace("\r", "")
    section = README[README.index("## Exit codes"):README.index("## Output formats")]
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `(\d+)` \|.*$", section, re.M)}
    codes = {m.group(1) for m in re.finditer(r"^  (\d+) ", cli_module.exit_codes(), re.M)}
    assert set(rows) == codes == {"0", "1", "2", "70", "130", "141"}
    assert "--insufficient warn" in section and "--insufficient only" in section


@pytest.mark.parametrize("name", ["text", "json", "sarif", "junit", "oscal", "summary", "md", "html", "pdf", "findings-csv", "findings-xlsx"])
def test_readme_lists_each_format_with_its_extensions(name):
    from compliance.render import registry

    fmt = registry()[name]
    section = README[README.index("## Output formats"):README.index("## In CI")]
    (row,) = [line for line in section.splitlines() if line.startswith(f"| `{name}` |")]
    assert all(f"`{s}`" in row for s in fmt.suffixes)
    assert set(registry()) == {m.group(1) for m in re.finditer(r"^\| `(\w[\w-]*)` \|", section, re.M)}
