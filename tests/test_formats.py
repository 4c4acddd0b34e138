"""Machine formats as their consumers read them: GitHub code scanning (SARIF 2.1.0 schema and the
kind/level rule), GitLab/Jenkins (JUnit XSD, failure messages), GRC tools (NIST OSCAL schema), and
the format registry behind ``--format`` and ``-o``."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from compliance.render import Options, registry, render
from compliance.render import oscal as oscal_format
from compliance.render import sarif as sarif_format

from . import consumers
from .conftest import CATALOGS, CLEAN, SEED, cli, write

# ------------------------------------------------------------------------------------ fixtures


def clean_copy(tmp_path: Path, timeout: int | None = None, name: str = "org") -> Path:
    """The clean example in a folder of its own; ``timeout`` breaks the idle-session control."""
    shutil.copytree(CLEAN, tmp_path / name)
    facts = tmp_path / name / "facts.yaml"
    if timeout is not None:
        text = facts.read_text(encoding="utf-8")
        assert "session_timeout_minutes: 15" in text
        facts.write_text(text.replace("session_timeout_minutes: 15", f"session_timeout_minutes: {timeout}"), encoding="utf-8")
    return facts


def run_json(*args) -> tuple[int, dict]:
    proc = cli(*args, "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def failing_ids(result: dict) -> list[str]:
    return [c["id"] for c in result["controls"] if c["verdict"] in ("non-compliant", "insufficient-evidence")]


def broken_control(tmp_path: Path) -> str:
    """The control that breaking the idle-session timeout makes non-compliant (derived, not named:
    catalogs renumber)."""
    _, base = run_json("check", clean_copy(tmp_path, None, "probe-base"), "--fail-on", "none")
    _, broken = run_json("check", clean_copy(tmp_path, 90, "probe-broken"), "--fail-on", "none")
    before = {c["id"]: c["verdict"] for c in base["controls"]}
    (target,) = [c["id"] for c in broken["controls"] if c["verdict"] == "non-compliant" and before.get(c["id"]) != "non-compliant"]
    return target


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """A repository (has .git) holding the clean example with one control broken, a waiver for it,
    and one for a control it states as compliant; the result JSON and the SARIF of one run."""
    target = broken_control(tmp_path_factory.mktemp("probe"))
    repo = tmp_path_factory.mktemp("repo")
    (repo / ".git").mkdir()
    facts = clean_copy(repo, timeout=90, name="evidence")
    waivers = write(
        repo, "evidence/waivers.yaml",
        f"waivers:\n  - {{control: {target}, owner: Platform lead, justification: 'Timeout fix ships next release', "
        f"approved_by: CPO, granted_on: 2025-10-01, expires: 2026-03-31}}\n",
    )
    out = repo / "out"
    out.mkdir()
    proc = cli("check", facts, "--waivers", waivers, "-o", out / "result.json", "-o", out / "result.sarif",
               "-o", out / "junit.xml", "-o", out / "result.oscal.json", "--fail-on", "none",
               cwd=tmp_path_factory.mktemp("elsewhere"))
    assert proc.returncode == 0, proc.stderr
    return {
        "repo": repo, "facts": facts, "waivers": waivers, "target": target,
        "result": json.loads((out / "result.json").read_text()),
        "sarif": json.loads((out / "result.sarif").read_text()),
    }


@pytest.fixture(scope="module")
def gaps(tmp_path_factory):
    """Facts stating almost nothing: every control that applies is insufficient evidence."""
    folder = tmp_path_factory.mktemp("gaps")
    facts = write(folder, "facts.yaml", "as_of: 2025-11-30\norganization: {name: Gap Co}\n")
    from compliance.pipeline import audit

    from .conftest import CATALOGS

    return facts, audit(facts, CATALOGS)


# ------------------------------------------------------------------------------------ provenance


@pytest.mark.parametrize("name, digest", [
    ("sarif-schema-2.1.0.json", "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"),
    ("oscal_complete_schema.json", "384324105c7a817af0f65b120a963146caa0e0d55d969cf0daf60e063b87a206"),
    ("junit-10.xsd", "a1a816f58d1bf95ebabf371994df0b9246dee66ea9572fbec4f9296f1b2c0ff6"),
])
def test_consumer_schemas_are_the_published_files(name, digest):
    assert consumers.sha256(name) == digest
    assert digest in (consumers.DATA / "README.md").read_text()


# ------------------------------------------------------------------------------------ SARIF


def assert_valid_sarif(doc):
    assert consumers.errors(consumers.sarif(), doc) == []
    for r in doc["runs"][0]["results"]:
        # SARIF 2.1.0 §3.27.9: a result whose kind is not "fail" has level "none"
        if r["kind"] != "fail":
            assert r["level"] == "none", r
        else:
            assert r["level"] in ("error", "warning", "note"), r


def test_sarif_is_valid_and_the_validator_is_strict(seed_result):
    doc = json.loads(render(seed_result, "sarif"))
    assert_valid_sarif(doc)
    doc["runs"][0]["results"][0]["unexpected"] = 1  # the schema forbids unknown properties: prove it is enforced
    assert consumers.errors(consumers.sarif(), doc)


def test_sarif_insufficient_evidence_is_review_with_level_none(gaps):
    facts, result = gaps
    doc = json.loads(render(result, "sarif", options=Options(facts_path=facts)))
    assert_valid_sarif(doc)
    kinds = {(r["properties"]["verdict"], r["kind"], r["level"]) for r in doc["runs"][0]["results"]}
    assert ("insufficient-evidence", "review", "none") in kinds
    assert not any(k[1] == "fail" for k in kinds if k[0] == "insufficient-evidence")


def test_sarif_locates_findings_in_the_repository(broken):
    doc = broken["sarif"]
    assert_valid_sarif(doc)
    lines = broken["facts"].read_text(encoding="utf-8").splitlines()
    results = doc["runs"][0]["results"]
    assert results
    offenders = {c["id"]: {o["id"] for ch in c["checks"] for o in ch["offenders"]} for c in broken["result"]["controls"]}
    for r in results:
        loc = r["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"] == {"uri": "evidence/facts.yaml", "uriBaseId": "%SRCROOT%"}
        line = lines[loc["region"]["startLine"] - 1]
        if offenders[r["ruleId"]]:
            assert any(o in line for o in offenders[r["ruleId"]]), (r["ruleId"], line)
        for rel in r.get("relatedLocations", []):
            assert any(o in lines[rel["physicalLocation"]["region"]["startLine"] - 1] for o in offenders[r["ruleId"]])


def test_sarif_fingerprints_survive_moved_lines_and_reruns(broken, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(broken["repo"], repo)
    facts = repo / "evidence" / "facts.yaml"
    args = ("check", facts, "--waivers", repo / "evidence" / "waivers.yaml", "--format", "sarif")
    first = json.loads(cli(*args).stdout)["runs"][0]["results"]
    assert first == broken["sarif"]["runs"][0]["results"]  # same inputs, same output, whatever the cwd
    facts.write_text("# a comment moves every line down\n" + facts.read_text(encoding="utf-8"), encoding="utf-8")
    moved = json.loads(cli(*args).stdout)["runs"][0]["results"]
    key = sarif_format.FINGERPRINT
    assert [r["partialFingerprints"][key] for r in moved] == [r["partialFingerprints"][key] for r in first]
    assert len({r["partialFingerprints"][key] for r in first}) == len(first)
    line = lambda r: r["locations"][0]["physicalLocation"]["region"]["startLine"]  # noqa: E731
    assert [line(r) for r in moved] == [line(r) + 1 for r in first]


def test_sarif_root_and_outside_root(broken, tmp_path):
    facts = broken["facts"]
    doc = json.loads(cli("check", facts, "--format", "sarif", "--sarif-root", facts.parent).stdout)
    assert doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "facts.yaml"
    proc = cli("check", facts, "--format", "sarif", "--sarif-root", tmp_path)
    assert proc.returncode == 2 and "--sarif-root does not contain" in proc.stderr and proc.stdout == ""


def test_sarif_waived_finding_is_suppressed_not_dropped(broken):
    (r,) = [r for r in broken["sarif"]["runs"][0]["results"] if r["ruleId"] == broken["target"]]
    (waived,) = [c for c in broken["result"]["controls"] if c["id"] == broken["target"]]
    assert waived["verdict"] == "waived" and r["kind"] == "fail" and r["properties"]["verdict"] == waived["underlying_verdict"]
    (s,) = r["suppressions"]
    assert s["kind"] == "external" and s["status"] == "accepted"
    assert s["justification"] == waived["waiver"]["justification"]
    assert s["properties"]["expires"] == "2026-03-31" and s["properties"]["owner"] == "Platform lead"


def test_sarif_rules_carry_help_severity_tags_and_docs_links(seed_result, tmp_path):
    doc = json.loads(render(seed_result, "sarif", options=Options(docs_url="https://example.org/pipa/")))
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [c.id for c in seed_result.controls]
    docs = cli("catalog", "docs", "-o", tmp_path / "docs")
    assert docs.returncode == 0, docs.stderr
    page = (tmp_path / "docs" / "catalog.html").read_text(encoding="utf-8")
    for rule, c in zip(rules, seed_result.controls):
        assert c.text.ko.strip()[:20] in rule["help"]["markdown"] and c.remediation.en.strip()[:20] in rule["help"]["markdown"]
        severity = rule["properties"]["security-severity"]  # GitHub reads a string holding a score
        assert isinstance(severity, str) and 0 < float(severity) <= 10
        assert "security" in rule["properties"]["tags"]
        expected = [f"{fw}:{i}" for fw, ids in c.mappings.items() for i in ids]
        assert expected[:10] == [t for t in rule["properties"]["tags"] if ":" in t and not t.startswith("catalog:")][:10]
        base, anchor = rule["helpUri"].split("#")
        assert base == "https://example.org/pipa/catalog.html" and f'id="{anchor}"' in page
    assert_valid_sarif(doc)


def test_sarif_reads_the_facts_file_only_when_a_result_has_offenders(monkeypatch, broken, gaps):
    built = []

    class CountingLocator(sarif_format.Locator):
        def __init__(self, text):
            built.append(1)
            super().__init__(text)

    monkeypatch.setattr(sarif_format, "Locator", CountingLocator)
    from compliance.pipeline import audit

    from .conftest import CATALOGS

    facts, gap_result = gaps  # findings, but no offender: no line to look up
    render(gap_result, "sarif", options=Options(facts_path=facts))
    clean = audit(CLEAN / "facts.yaml", CATALOGS)
    render(clean, "sarif", options=Options(facts_path=CLEAN / "facts.yaml"))
    assert built == []
    render(audit(broken["facts"], CATALOGS), "sarif", options=Options(facts_path=broken["facts"]))
    assert built == [1]


# ------------------------------------------------------------------------------------ JUnit


def assert_junit(data: bytes, result) -> list:
    schema = consumers.junit()
    schema.validate(data.decode("utf-8"))
    root = ET.fromstring(data)
    failures = root.findall(".//failure")
    assert len(failures) == sum(1 for c in result.controls if c.verdict in ("non-compliant", "insufficient-evidence"))
    for f in failures:
        assert f.get("message"), "GitLab shows only the message attribute"
    return failures


def test_junit_valid_against_the_jenkins_schema_with_messages(seed_result, gaps):
    failures = assert_junit(render(seed_result, "junit"), seed_result)
    by_name = {f.get("message"): f for f in failures}
    for c in seed_result.controls:
        if c.verdict not in ("non-compliant", "insufficient-evidence"):
            continue
        (message,) = [m for m in by_name if f" {c.cite.en}: {c.title.en}" in m]
        assert message.startswith(f"{c.verdict} [{c.severity}]")
        first = next((o.label for ch in c.checks for o in ch.offenders), None)
        if first:
            assert first in message
    facts, result = gaps
    for f in assert_junit(render(result, "junit"), result):
        assert f.get("message").startswith("insufficient-evidence [") and "missing" in f.get("message")


def test_junit_survives_control_characters_in_text(seed_result):
    """XML 1.0 cannot carry most control characters even escaped; one in any text must not make the
    report unreadable (validation refuses them in ids, but labels and observed values are free text)."""
    result = seed_result.model_copy(deep=True)
    offender = next(o for c in result.controls if c.verdict == "non-compliant" for ch in c.checks for o in ch.offenders)
    offender.label = "h\x01\x1b[31m-\ud800"
    assert_junit(render(result, "junit"), result)


# ------------------------------------------------------------------------------------ OSCAL


def oscal_references_resolve(doc: dict) -> None:
    """What the JSON schema cannot say (OSCAL's metaschema constraints): unique uuids, and every
    reference pointing at something in the document."""
    ar = doc["assessment-results"]
    uuids: list[str] = []

    def collect(node):
        if isinstance(node, dict):
            if isinstance(node.get("uuid"), str):
                uuids.append(node["uuid"])
            for v in node.values():
                collect(v)
        elif isinstance(node, list):
            for v in node:
                collect(v)

    collect(doc)
    assert len(uuids) == len(set(uuids))
    resources = {r["uuid"] for r in ar["back-matter"]["resources"]}
    assert ar["import-ap"]["href"].lstrip("#") in resources
    (res,) = ar["results"]
    observations = {o["uuid"] for o in res["observations"]}
    risks = {r["uuid"] for r in res.get("risks", [])}
    for o in res["observations"]:
        for e in o["relevant-evidence"]:
            assert e["href"].startswith("#") and e["href"][1:] in resources
    for f in res["findings"]:
        assert {r["observation-uuid"] for r in f["related-observations"]} <= observations
        assert {r["risk-uuid"] for r in f.get("related-risks", [])} <= risks
    reviewed = {c["control-id"] for sel in res["reviewed-controls"]["control-selections"] for c in sel["include-controls"]}
    # each finding targets its control's one statement (statement-id: OSCAL's target for a whole control)
    assert {f["target"]["target-id"] for f in res["findings"]} == {oscal_format.statement_id(c) for c in reviewed}


def test_oscal_assessment_results_valid_against_the_nist_schema(seed_result, broken, tmp_path):
    data = render(seed_result, "oscal")
    assert render(seed_result, "oscal") == data  # same inputs, same bytes (uuids are derived, not random)
    doc = json.loads(data)
    assert consumers.errors(consumers.oscal_assessment_results(), doc) == []
    oscal_references_resolve(doc)
    bad = json.loads(data)
    bad["assessment-results"]["results"][0]["findings"][0]["target"]["target-id"] = seed_result.controls[0].id.replace("_", "/") + "/x"
    assert consumers.errors(consumers.oscal_assessment_results(), bad), "the token pattern (\\p{L}) must be enforced"
    # a waived finding is a deviation-approved risk, with the waiver's expiry as deadline
    doc = json.loads((broken["repo"] / "out" / "result.oscal.json").read_text())
    assert consumers.errors(consumers.oscal_assessment_results(), doc) == []
    oscal_references_resolve(doc)
    (risk,) = doc["assessment-results"]["results"][0]["risks"]
    assert risk["status"] == "deviation-approved" and risk["deadline"].startswith("2026-03-31T")


def test_oscal_carries_evidence_hashes_and_reversible_control_ids(seed_result):
    doc = json.loads(render(seed_result, "oscal"))
    ar = doc["assessment-results"]
    hashes = {h["value"] for r in ar["back-matter"]["resources"] for link in r.get("rlinks", []) for h in link.get("hashes", [])}
    assert seed_result.facts_sha256 in hashes
    assert {a.sha256 for a in seed_result.attachments if a.sha256} <= hashes
    findings = ar["results"][0]["findings"]
    assert len(findings) == len(seed_result.controls)
    for f, c in zip(findings, seed_result.controls):
        assert "/" not in f["target"]["target-id"]
        assert f["target"]["type"] == "statement-id"
        assert f["target"]["target-id"] == oscal_format.statement_id(oscal_format.control_id(c.id))
        assert {"name": "control-id", "ns": oscal_format.NS, "value": c.id} in f["props"]
        state = f["target"]["status"]["state"]
        assert state == ("not-satisfied" if (c.underlying_verdict or c.verdict) in ("non-compliant", "insufficient-evidence") else "satisfied")
    assert oscal_format.control_id("9/x") == "_9_x" and oscal_format.pipa_id("_9_x") == "9/x"


# ------------------------------------------------------------------------------------ registry, -o


READERS = {
    "json": lambda b: "controls" in json.loads(b),
    "sarif": lambda b: json.loads(b)["version"] == "2.1.0",
    "oscal": lambda b: "assessment-results" in json.loads(b),
    "junit": lambda b: ET.fromstring(b).tag == "testsuites",
    "md": lambda b: b.decode().startswith("# "),
    "summary": lambda b: b.decode().startswith("## "),
    "html": lambda b: b"<html" in b[:300].lower(),
    "pdf": lambda b: b.startswith(b"%PDF-"),
    "text": lambda b: b"controls:" in b,
    "findings-csv": lambda b: b.startswith("\ufeff".encode()) and b"(control)" in b.split(b"\r\n", 1)[0],
    "findings-xlsx": lambda b: b.startswith(b"PK\x03\x04") and b"xl/worksheets/sheet1.xml" in b,
}


def test_every_suffix_of_every_format_in_one_run(tmp_path):
    formats = registry()
    assert set(READERS) == set(formats), "a new format needs a reader here"
    outs = {tmp_path / f"out-{name}{suffix}": name for name, f in formats.items() for suffix in f.suffixes}
    args = [a for out in outs for a in ("-o", out)]
    proc = cli("check", CLEAN / "facts.yaml", *args, "-o", "-", "--fail-on", "none")
    assert proc.returncode == 0, proc.stderr
    assert "controls:" in proc.stdout  # '-' is standard output, in check's default format
    for out, name in outs.items():
        assert READERS[name](out.read_bytes()), (out, name)
        assert not formats[name].binary or name in ("pdf", "findings-xlsx")


def test_cli_choices_and_suffixes_come_from_the_registry():
    from compliance.cli import build_parser

    parser = build_parser()
    for name in registry():
        assert parser.parse_args(["check", "f.yaml", "--format", name]).format == name
        assert parser.parse_args(["report", "f.yaml", "-o", "x", "--format", name]).format == name
    with pytest.raises(SystemExit):
        parser.parse_args(["check", "f.yaml", "--format", "docx"])


@pytest.mark.parametrize("outputs, message", [
    (["r.yaml"], "unknown output extension"),
    (["r.json", "r.json"], "given twice"),
    (["a.json", "b.sarif", "--format", "json"], "--format applies to standard output or a single -o"),
    (["nowhere/r.json"], "does not exist"),
])
def test_output_usage_errors_exit_2_before_anything_is_written(tmp_path, outputs, message):
    args = [a if a.startswith("--") or a == "json" else str(tmp_path / a) for a in outputs]
    args = [x for a in args for x in ((a,) if a.startswith("--") or a == "json" else ("-o", a))]
    proc = cli("check", CLEAN / "facts.yaml", *args)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_report_takes_the_format_from_the_extension(tmp_path):
    proc = cli("report", CLEAN / "facts.yaml", "-o", tmp_path / "r.sarif", "-o", tmp_path / "r.md", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "r.sarif").read_text())["version"] == "2.1.0"
    assert (tmp_path / "r.md").read_text().startswith("# ")
    assert "wrote" in proc.stderr and "(sarif, en)" in proc.stderr


# ------------------------------------------------------------------------------------ --insufficient


def test_insufficient_evidence_gates_apart_from_findings(gaps, tmp_path):
    facts, gap_result = gaps
    assert {c.verdict for c in gap_result.controls} & {"insufficient-evidence"}
    assert "non-compliant" not in {c.verdict for c in gap_result.controls}
    assert cli("check", facts).returncode == 1
    warn = cli("check", facts, "--insufficient", "warn")
    assert warn.returncode == 0 and "failing at --fail-on low --insufficient warn: 0" in warn.stdout
    assert cli("check", facts, "--insufficient", "only").returncode == 1
    # the seed has both kinds: each gate sees only its own
    _, seed = run_json("check", SEED / "facts.yaml", "--fail-on", "none")
    verdicts = {c["verdict"] for c in seed["controls"]}
    for policy, counted in (("fail", {"non-compliant", "insufficient-evidence"}), ("warn", {"non-compliant"}),
                            ("only", {"insufficient-evidence"})):
        assert cli("check", SEED / "facts.yaml", "--insufficient", policy).returncode == (1 if verdicts & counted else 0)
    broken = clean_copy(tmp_path, timeout=90)
    assert cli("check", broken, "--insufficient", "warn").returncode == 1  # a real finding fails under warn


@pytest.mark.parametrize("url", [
    "docs/pipa", "example.org/pipa/", "ftp://example.org/pipa/", "javascript:alert(1)", "https://", "https:///pipa",
    "https://exa mple.org/", "https://example.org/pipa\n", "https://example.org/\x1b[2J", "https://example.org:99999/",
    "https://example.org/?v=1", "https://example.org/pipa#top", "https://example.org/100%", "https://user:secret@example.org/",
])
def test_docs_url_that_is_not_an_absolute_http_url_is_a_usage_error(tmp_path, url):
    """A helpUri that is no absolute URI fails the SARIF schema and GitHub refuses the upload: refused when the
    arguments are parsed (the facts file is not even read), one line, exit 2, nothing written."""
    out = tmp_path / "r.sarif"
    proc = cli("check", tmp_path / "no-such-facts.yaml", "--docs-url", url, "-o", out)
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "argument --docs-url" in line and "not a usable docs URL" in line and "no-such-facts" not in line
    assert "Traceback" not in proc.stderr and not out.exists()


def test_docs_url_gives_help_uris_valid_for_sarif(tmp_path):
    """A URL as people write it (capitals, a Unicode host and path) is written as a URI: the SARIF validates and each
    rule links to its anchor under that URL."""
    from urllib.parse import unquote, urlsplit

    out = tmp_path / "r.sarif"
    proc = cli("check", CLEAN / "facts.yaml", "--docs-url", "HTTPS://문서.예시.kr/PIPA/감사-자료", "-o", out)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert_valid_sarif(doc)
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert rules and all("helpUri" in r for r in rules)
    for rule in rules:
        parts = urlsplit(rule["helpUri"])
        assert parts.scheme == "https" and parts.hostname == "문서.예시.kr".encode("idna").decode()
        assert unquote(parts.path) == "/PIPA/감사-자료/catalog.html" and parts.fragment == sarif_format.docs_anchor(rule["id"])
        assert rule["helpUri"].isascii()


def test_the_formats_the_cli_reads_without_importing_are_the_renderers_own():
    """--help and extension errors read the formats from compliance.format_index's table (importing the renderers
    loads the models): it must be the registry's formats exactly, in name order; a renderer's changed declaration
    fails here with the table to write."""
    from compliance.format_index import Declared, declared, table_text
    from compliance.render import registry

    expected = table_text(Declared(n, f.suffixes, f.binary, f.summary, f.framework, f.handover is not None)
                          for n, f in registry().items())
    assert table_text(declared().values()) == expected, f"write this table in compliance/format_index.py:\n{expected}"
    assert list(declared()) == sorted(registry())


def test_help_does_not_load_the_models():
    """check --help took 5 s on a loaded machine (0.2 s here): the format registry imported every renderer."""
    import subprocess
    import sys

    code = ("import sys; from compliance.cli import main\n"
            "for argv in (['check', '--help'], ['report', '--help'], ['diff', '--help']):\n"
            "    try: main(argv)\n"
            "    except SystemExit: pass\n"
            "heavy = sorted(m for m in ('pydantic', 'compliance.result', 'compliance.catalog', 'yaml') if m in sys.modules)\n"
            "print(heavy, file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stderr.strip().splitlines()[-1] == "[]", proc.stderr[-500:]


def _ids_read_whole(text: str, steps: list[str]) -> dict[str, int]:
    items = json.loads(text)
    for step in steps:
        items = items.get(step) if isinstance(items, dict) else None
    ids: dict[str, int] = {}
    for n, item in enumerate(items if isinstance(items, list) else []):
        ids.setdefault(str(item.get("id", f"#{n + 1}")) if isinstance(item, dict) else f"#{n + 1}", n)
    return ids


def test_the_ids_of_a_json_list_are_those_reading_the_whole_text_gives():
    """SARIF and JUnit find an offender's line by its id; in a JSON text only the ids are read (the whole 1M-row text
    was 1.3 GB). Every kind of id, a missing one, a repeated one, a nested list; where the list is not all objects,
    or the path is not objects, the whole text is read instead (None)."""
    import random

    rng = random.Random(7)
    values = ['"a"', '"a"', '"h-1"', '"\\u00e9\\n"', "5", "1.0", "1e-7", "-0.0", "1E5", "true", "null", '[1, "x"]',
              '{"k": 1}', "123456789012345678901234567890"]
    for _ in range(300):
        items = [rng.choice(["{%s}" % f'"id": {rng.choice(values)}, "x": 1', '{"x": [1, {"id": "inner"}]}', "{}"])
                 for _ in range(rng.randrange(0, 8))]
        if rng.random() < 0.1:
            items.append(rng.choice(["1", "null", '"s"', "[]"]))
        listed = "[" + ", ".join(items) + "]"
        text = rng.choice(['{"h": %s}', '{"a": {"h": %s}, "h": 1}', '{"b": 2, "h": %s}', '{"h": null, "x": %s}']) % listed
        for steps in (["h"], ["a", "h"], ["a", "b"]):
            found = sarif_format._json_ids(text, steps)
            if found is None:
                assert not isinstance(_walk(json.loads(text), steps), list) or not all(
                    isinstance(i, dict) for i in _walk(json.loads(text), steps)), text
            else:
                assert found == _ids_read_whole(text, steps), text


def _walk(value, steps):
    for step in steps:
        value = value.get(step) if isinstance(value, dict) else None
    return value


def test_sarif_and_junit_of_a_json_facts_file_locate_offenders_as_reading_it_whole(tmp_path, monkeypatch):
    """The example's facts as a JSON file, one item a line apart: every located offender is on the line of its
    item, and the outputs are the same as when the whole text is read for the ids."""
    from compliance.loading import load
    from compliance.pipeline import audit

    folder = tmp_path / "seed"
    shutil.copytree(SEED, folder)
    data, _text = load(folder / "facts.yaml")
    facts = folder / "facts.json"
    facts.write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    result = audit(facts, CATALOGS, folder / "waivers.yaml")
    options = Options(facts_path=facts)
    monkeypatch.setattr(sarif_format, "_READ", {})
    doc = json.loads(render(result, "sarif", options=options))
    junit = render(result, "junit", options=options)
    lines = facts.read_text(encoding="utf-8").splitlines()
    offenders = {c.id: {o.id for ch in c.checks for o in ch.offenders} for c in result.controls}
    related = [(r["ruleId"], rel) for r in doc["runs"][0]["results"] for rel in r.get("relatedLocations", [])]
    assert len(related) >= 5
    for rule, rel in related:
        start = rel["physicalLocation"]["region"]["startLine"]
        item = " ".join(lines[start - 1:start + 1])  # the item's "{", then its first key: its id
        assert item.lstrip().startswith("{") and any(f'"id": "{o}"' in item for o in offenders[rule]), (rule, item)
    monkeypatch.setattr(sarif_format, "_READ", {})
    monkeypatch.setattr(sarif_format, "_json_ids", lambda text, steps: None)
    assert json.loads(render(result, "sarif", options=options)) == doc
    assert render(result, "junit", options=options) == junit
