"""What the CI consumers rely on, checked the way each consumer reads it (issue "Fit the consumers, round 2"):

- GitHub code scanning matches alerts by ``partialFingerprints.primaryLocationLineHash``; when a SARIF result has
  none, upload-sarif hashes the text at the result's line (codeql-action ``src/fingerprints.ts``, ported below), so
  editing the facts file around a finding re-created its alert. The tool now writes the key itself, from ids only.
- upload-sarif applies its ``category`` only to a run without ``automationDetails`` (``populateRunAutomationDetails``
  in codeql-action ``src/upload-lib.ts``), so the action's ``sarif-category`` reaches the SARIF through the tool.
- GitLab keeps the text of ``<failure>``/``<skipped>`` and drops their attributes
  (``Gitlab::Ci::Parsers::Test::Junit#create_test_case``): the finding must be in the text.
- pre-commit runs the hook on the changed files: an edited attachment must fail when its stated SHA-256 no longer
  matches, and a file no facts file lists must not be read as a facts file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from compliance.render import labels

from . import consumers
from .conftest import ROOT, SEED
from .test_integrations import ACTION, BIN, Runner, check_jsonschema, readme_block, tool, workspace

# ------------------------------------------------------------------------------------ GitHub's own line hash

_MASK = (1 << 64) - 1


def github_line_hashes(text: str) -> dict[int, str]:
    """codeql-action's ``hash()`` (src/fingerprints.ts), line by line: a rolling hash (base 37, 64-bit) over the 100
    characters that follow the start of each line, spaces and tabs skipped, CR LF read as LF, then ``hex:n`` where n
    counts the same hash earlier in the file. What upload-sarif writes as primaryLocationLineHash when a result has
    none."""
    block, mod, eof = 100, 37, 65535
    first_mod = pow(mod, block, 1 << 64)
    window, line_numbers = [0] * block, [-1] * block
    state = {"hash": 0, "index": 0, "line": 0, "line_start": True, "prev_cr": False}
    counts: dict[str, int] = {}
    out: dict[int, str] = {}

    def output():
        value = format(state["hash"] & _MASK, "x")
        counts[value] = counts.get(value, 0) + 1
        out[line_numbers[state["index"]]] = f"{value}:{counts[value]}"
        line_numbers[state["index"]] = -1

    def update(current: int):
        i = state["index"]
        begin = window[i]
        window[i] = current
        state["hash"] = (mod * state["hash"] + current - first_mod * begin) & _MASK
        state["index"] = (i + 1) % block

    def process(current: int):
        if current in (0x20, 0x09) or (state["prev_cr"] and current == 0x0A):
            state["prev_cr"] = False
            return
        if current == 0x0D:
            current, state["prev_cr"] = 0x0A, True
        else:
            state["prev_cr"] = False
        if line_numbers[state["index"]] != -1:
            output()
        if state["line_start"]:
            state["line_start"] = False
            state["line"] += 1
            line_numbers[state["index"]] = state["line"]
        if current == 0x0A:
            state["line_start"] = True
        update(current)

    units = text.encode("utf-16-le")  # JavaScript's charCodeAt: UTF-16 code units
    for k in range(0, len(units), 2):
        process(units[k] | units[k + 1] << 8)
    process(eof)
    for _ in range(block):
        if line_numbers[state["index"]] != -1:
            output()
        update(0)
    return out


@pytest.mark.parametrize("text, expected", [
    ("", ["c129715d7a2bc9a3:1"]),
    (" a\nb\n  \t\tc\n d", ["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"]),
    (" hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n",
     ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1", "b3edc88f2938467e:1",
      "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"]),
    ("Lorem ipsum dolor sit amet.\n" * 10,
     [*(f"a7f2ff13bc495cf2:{n}" for n in range(1, 7)), "a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1", "55ec222b86bcae53:1",
      "cc97dc7b1d7d8f7b:1", "c129715d7a2bc9a3:1"]),
])
def test_github_line_hash_port_matches_codeql_action(text, expected):
    """The port against codeql-action's own vectors (src/fingerprints.test.ts, test 'hash')."""
    assert github_line_hashes(text) == dict(enumerate(expected, 1))


# ------------------------------------------------------------------------------------ SARIF alert identity


def _sarif_results(facts: Path, out: Path) -> dict[str, dict]:
    from compliance.cli import main

    code = main(["check", str(facts), "--waivers", str(facts.parent / "waivers.yaml"), "-o", str(out)])
    assert code == 1, code  # the seed has findings
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert consumers.errors(consumers.sarif(), doc) == []
    return {r["ruleId"]: r for r in doc["runs"][0]["results"]}


def _line(result: dict) -> int:
    return result["locations"][0]["physicalLocation"]["region"]["startLine"]


def _rename_system(text: str) -> str:
    return text.replace('name: "Authentication token service"', 'name: "Token service (auth), renamed in the CMDB"', 1)


def _note_under_incident(text: str) -> str:
    note = "    # note: timeline confirmed with the CISO on 2025-11-28\n"
    return text.replace("  - id: inc-2025-11\n", "  - id: inc-2025-11\n" + note, 1)


def _edit_header(text: str) -> str:
    first, rest = text.split("\n", 1)
    assert first.startswith("#")
    return "# Seed scenario (revised header): an e-commerce platform, illustrative facts only.\n" + rest


def _insert_lines_above(text: str) -> str:
    return "# evidence owner: privacy office\n# reviewed quarterly\n\n" + text


EDITS = {"rename a system": _rename_system, "note under an incident": _note_under_incident,
         "edit the header comment": _edit_header, "insert lines above": _insert_lines_above}


@pytest.fixture(scope="module")
def seed_repo(tmp_path_factory):
    """The seed example, evidence included, in a repository of its own; its SARIF before any edit."""
    repo = tmp_path_factory.mktemp("sarif") / "repo"
    shutil.copytree(SEED, repo / "evidence")
    (repo / ".git").mkdir()
    facts = repo / "evidence" / "facts.yaml"
    return facts, facts.read_text(encoding="utf-8"), _sarif_results(facts, repo / "before.sarif")


@pytest.mark.parametrize("edit", list(EDITS))
def test_alerts_keep_their_identity_when_the_facts_file_is_edited(seed_repo, edit, tmp_path):
    facts, original, before = seed_repo
    copy = tmp_path / "repo"
    shutil.copytree(facts.parent.parent, copy)
    edited_facts = copy / "evidence" / "facts.yaml"
    edited = EDITS[edit](original)
    assert edited != original
    edited_facts.write_text(edited, encoding="utf-8")
    after = _sarif_results(edited_facts, tmp_path / "after.sarif")
    assert set(after) == set(before) and len(before) >= 5  # the same findings

    for rule, r in before.items():
        assert after[rule]["partialFingerprints"] == r["partialFingerprints"], (edit, rule)
        assert set(r["partialFingerprints"]) == {"primaryLocationLineHash", "pipaAuditFinding/v1"}
        assert re.fullmatch(r"[0-9a-f]{1,16}:[1-9][0-9]*", r["partialFingerprints"]["primaryLocationLineHash"])
    hashes = [r["partialFingerprints"]["primaryLocationLineHash"] for r in before.values()]
    assert len(set(hashes)) == len(hashes)

    # Without the key, upload-sarif would have hashed the text at each result's line: show the edit is one that
    # re-created alerts (GitHub's hash of a primary line changes) or moved them (their lines change).
    github_before, github_after = github_line_hashes(original), github_line_hashes(edited)
    changed = [rule for rule, r in before.items() if github_before[_line(r)] != github_after[_line(after[rule])]]
    moved = [rule for rule, r in before.items() if _line(after[rule]) != _line(r)]
    assert changed, f"{edit}: GitHub's own hash would not have changed for any result; the edit proves nothing"
    if edit == "insert lines above":  # every result located at an item moved down with it
        assert moved == [rule for rule, r in before.items() if r.get("relatedLocations")] and len(moved) >= 5


def test_the_line_hash_names_the_control_not_the_first_offender(seed_repo, tmp_path):
    """Fixing one offender of several keeps the alert (and a dismissal of it): the key is the control's."""
    facts, original, before = seed_repo
    copy = tmp_path / "repo"
    shutil.copytree(facts.parent.parent, copy)
    target = copy / "evidence" / "facts.yaml"
    # sys-auth, notice/6.1's first offender, gets its IP restriction: the control still fails on leak detection
    fixed = original.replace("ip_restricted: false            # the signing", "ip_restricted: true  # the signing", 1)
    assert fixed != original
    target.write_text(fixed, encoding="utf-8")
    after = _sarif_results(target, tmp_path / "after.sarif")
    rule = "notice/6.1"
    offenders = lambda r: [x["message"]["text"] for x in r.get("relatedLocations", [])]  # noqa: E731
    assert offenders(before[rule])[0] == "ip-restricted: sys-auth"
    assert "ip-restricted: sys-auth" not in offenders(after[rule])
    assert _line(after[rule]) != _line(before[rule])  # the alert now points at another item...
    assert after[rule]["partialFingerprints"] == before[rule]["partialFingerprints"]  # ...and is the same alert


# ------------------------------------------------------------------------------------ GitHub Action


def _upload_sarif_category(sarif: dict, category: str | None) -> list[str]:
    """codeql-action upload-lib ``populateRunAutomationDetails``: the ``category`` input (``/`` appended) is applied
    only to a run without automationDetails; code scanning's category is the id up to its last ``/``."""
    ids = []
    for run in sarif["runs"]:
        if "automationDetails" not in run and category is not None:
            run["automationDetails"] = {"id": category if category.endswith("/") else category + "/"}
        ids.append(run.get("automationDetails", {}).get("id"))
    return ids


def _run_action(tmp_path: Path, inputs: dict) -> tuple[dict, dict]:
    ws = workspace(tmp_path, SEED)
    runner = Runner(tmp_path, {"facts": "evidence/facts.yaml", "waivers": "evidence/waivers.yaml", **inputs})
    assert runner.run(ws) == 1 and runner.outputs["check"]["exit-code"] == "1"
    (upload,) = [u for u in runner.uses if u["uses"].startswith("github/codeql-action/upload-sarif@")]
    sarif = json.loads((ws / upload["with"]["sarif_file"]).read_text(encoding="utf-8"))
    assert consumers.errors(consumers.sarif(), sarif) == []
    return upload, sarif


def test_action_sarif_category_reaches_code_scanning(tmp_path):
    upload, sarif = _run_action(tmp_path / "set", {"sarif-category": "pipa-audit-prod"})
    assert sarif["runs"][0]["automationDetails"] == {"id": "pipa-audit-prod/"}
    assert _upload_sarif_category(sarif, upload["with"].get("category")) == ["pipa-audit-prod/"]
    # default: one category per facts file, as before the input took effect (existing alerts keep their category)
    upload, sarif = _run_action(tmp_path / "default", {})
    assert _upload_sarif_category(sarif, upload["with"].get("category")) == ["pipa-audit/evidence/facts.yaml/"]


def test_action_metadata_is_valid_and_pins_current_majors():
    check_jsonschema("vendor.github-actions", ROOT / "action.yml")
    uses = dict(s["uses"].split("@") for s in ACTION["runs"]["steps"] if "uses" in s)
    # CodeQL Action v4 (Node.js 24) is current; v3 is deprecated in December 2026, v2 was in January 2025
    assert int(uses["github/codeql-action/upload-sarif"].removeprefix("v")) >= 4
    # setup-python v5 runs on Node.js 20, which GitHub's runners deprecated (forced to Node.js 24 from June 2026)
    assert int(uses["actions/setup-python"].removeprefix("v")) >= 6
    assert ACTION["inputs"]["sarif-category"]["default"] == ""


# ------------------------------------------------------------------------------------ GitLab (JUnit)


def gitlab_test_cases(xml: bytes) -> list[dict]:
    """What GitLab's JUnit parser keeps of each testcase (Gitlab::Ci::Parsers::Test::Junit#create_test_case): status,
    name, classname, file and time from the testcase's attributes, and as system_output the *text* of its failure,
    error or skipped element — never their attributes."""
    cases = []
    for suite in ET.fromstring(xml).iter("testsuite"):
        for case in suite.findall("testcase"):
            status, output = "success", None
            for tag, name in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
                element = case.find(tag)
                if element is not None:
                    status, output = name, element.text
                    break
            cases.append({"suite": suite.get("name"), "name": case.get("name"), "classname": case.get("classname"),
                          "file": case.get("file"), "time": case.get("time"), "status": status, "output": output})
    return cases


def test_gitlab_shows_verdict_severity_provision_and_offenders(seed_repo, tmp_path, seed_result):
    facts, text, sarif = seed_repo
    from compliance.cli import main

    out = tmp_path / "junit.xml"
    assert main(["check", str(facts), "--waivers", str(facts.parent / "waivers.yaml"), "-o", str(out)]) == 1
    data = out.read_bytes()
    consumers.junit().validate(data.decode("utf-8"))  # Jenkins' schema still holds
    root = ET.fromstring(data)
    uri = next(iter(sarif.values()))["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "evidence/facts.yaml"
    assert {s.get("file") for s in root.iter("testsuite")} == {uri}  # the facts file, named as SARIF names it
    cases = gitlab_test_cases(data)
    assert cases and all(c["time"] == "0" for c in cases)

    lab = labels()
    controls = {c.id: c for c in seed_result.controls}
    failed = [c for c in cases if c["status"] == "failed"]
    assert len(failed) == sum(c.verdict in ("non-compliant", "insufficient-evidence") for c in seed_result.controls)
    for case in failed:
        c = controls[case["name"].split(" ", 1)[0]]
        output = case["output"]
        ko, en = output.index(lab["verdicts"][c.verdict]["ko"]), output.index(lab["verdicts"][c.verdict]["en"])
        assert ko < en, "Korean first, then English"
        korean, english = output[:en], output[en:]
        assert lab["severities"][c.severity]["ko"] in korean and c.cite.ko in korean and c.title.ko in korean
        assert lab["severities"][c.severity]["en"] in english and c.cite.en in english and c.title.en in english
        offenders = [o for ch in c.checks for o in ch.offenders]
        for o in offenders:
            assert o.label in korean and o.label in english
        if offenders:  # the line of the first offender, as SARIF's region
            assert f"{uri}:{sarif[c.id]['locations'][0]['physicalLocation']['region']['startLine']}" in output
        else:
            assert uri in output
    skipped = [c for c in cases if c["status"] == "skipped"]
    assert skipped and all(c["output"] for c in skipped)
    waived = [c for c in skipped if controls[c["name"].split(" ", 1)[0]].verdict == "waived"]
    assert waived
    for case in waived:
        c = controls[case["name"].split(" ", 1)[0]]
        assert c.waiver.justification in case["output"] and c.waiver.expires.isoformat() in case["output"]


# ------------------------------------------------------------------------------------ pre-commit


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org"}
    proc = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def _hook_repository(tmp_path: Path) -> tuple[Path, str]:
    """A hook repository holding this project's manifest, its hook run from this environment: ``language: python``
    would make pre-commit pip-install the project and its dependencies from PyPI (hundreds of MB) into a virtualenv;
    ``unsupported`` (``system`` before pre-commit 4.4) runs the same entry from PATH. Nothing else changes."""
    from pre_commit.all_languages import languages

    manifest = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = manifest
    assert hook["language"] == "python"
    hook["language"] = "unsupported" if "unsupported" in languages else "system"
    repo = tmp_path / "hooks"
    repo.mkdir()
    (repo / ".pre-commit-hooks.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "hooks")
    return repo, _git(repo, "rev-parse", "HEAD")


def _pre_commit(project: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "PRE_COMMIT_HOME": str(tmp_path / "cache"),
           "PRE_COMMIT_COLOR": "never", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    return subprocess.run([tool("pre-commit"), *args], cwd=project, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def evidence_project(tmp_path):
    """A repository with the seed evidence under compliance-evidence/, an SBOM and a CSV export beside it, and the
    README's .pre-commit-config.yaml pointing at a local copy of this project's hook."""
    hooks, rev = _hook_repository(tmp_path)
    project = tmp_path / "project"
    shutil.copytree(SEED, project / "compliance-evidence")
    (project / "compliance-evidence" / "export.csv").write_text("사번,이름\nh-0001,Kim\n", encoding="utf-8")
    (project / "compliance-evidence" / "sbom.json").write_text(
        json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}), encoding="utf-8")
    config = yaml.safe_load(readme_block("**pre-commit.**"))
    (entry,) = config["repos"]
    entry.update(repo=str(hooks), rev=rev)
    assert [h["id"] for h in entry["hooks"]] == ["pipa-audit-validate"]
    assert entry["hooks"][0]["files"] == "^compliance-evidence/"
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "evidence")
    return project, hooks


def test_pre_commit_checks_an_edited_attachment_against_its_stated_hash(evidence_project, tmp_path):
    project, hooks = evidence_project
    attachment = project / "compliance-evidence" / "evidence" / "access-rights-register.csv"
    attachment.write_text(attachment.read_text(encoding="utf-8") + "h-9999,extra row\n", encoding="utf-8")
    _git(project, "add", "-A")
    run = _pre_commit(project, tmp_path, "run")  # the README's config: files under compliance-evidence/
    assert run.returncode == 1, run.stdout + run.stderr
    facts = project / "compliance-evidence" / "facts.yaml"
    line = next(n for n, text in enumerate(facts.read_text(encoding="utf-8").splitlines(), 1)
                if "sha256: ca16e0f953fe" in text)  # the register's stated hash
    assert f"compliance-evidence/facts.yaml:{line}: attachments[2].sha256" in run.stdout
    assert "does not match the file" in run.stdout
    # the hook's own file selection (no files: override) catches it too
    tried = _pre_commit(project, tmp_path, "try-repo", str(hooks), "pipa-audit-validate")
    assert tried.returncode == 1 and "attachments[2].sha256" in tried.stdout, tried.stdout + tried.stderr


def test_pre_commit_leaves_files_no_facts_file_lists_alone(evidence_project, tmp_path):
    project, hooks = evidence_project
    folder = project / "compliance-evidence"
    (folder / "export.csv").write_text("사번,이름\nh-0001,Kim\nh-0002,Lee\n", encoding="utf-8")
    (folder / "sbom.json").write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6"}), encoding="utf-8")
    review = folder / "evidence" / "access-log-review-2025.csv"  # an attachment listed without a sha256
    review.write_text(review.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    _git(project, "add", "-A")
    run = _pre_commit(project, tmp_path, "run", "--verbose")
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"pipa-audit validate.*Passed", run.stdout), run.stdout  # ran, not skipped
    assert "compliance-evidence/facts.yaml: ok (facts)" in run.stdout  # the review's facts file was validated...
    assert "export.csv" not in run.stdout.replace(str(folder), "") and "sbom.json" not in run.stdout  # ...not these


def test_pre_commit_still_validates_facts_and_waivers(evidence_project, tmp_path):
    project, hooks = evidence_project
    facts = project / "compliance-evidence" / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").replace("\nhandlers:\n", "\nhandlerz:\n", 1), encoding="utf-8")
    _git(project, "add", "-A")
    run = _pre_commit(project, tmp_path, "run")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "compliance-evidence/facts.yaml:" in run.stdout and "handlerz" in run.stdout, run.stdout
