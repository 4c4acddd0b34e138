"""Stated against observed, in the audit itself: `check --derived` puts what the access records show next to what
the facts state, and a record that contradicts the statement is a finding with its evidence."""

import json
import shutil

import pytest

from compliance.pipeline import audit

from .conftest import CATALOGS, SEED, cli


@pytest.fixture(scope="module")
def derived(tmp_path_factory):
    work = tmp_path_factory.mktemp("records")
    ingest = cli("logs", "ingest", SEED / "evidence" / "access-records-sys-auth.csv", "-o", work / "rec")
    assert ingest.returncode == 0, ingest.stderr
    out = work / "derived.json"
    analyze = cli("logs", "analyze", work / "rec", "--facts", SEED / "facts.yaml",
                  "--params", SEED / "evidence" / "access-log-analysis.yaml", "-o", out)
    assert analyze.returncode == 0, analyze.stderr
    return out


def test_the_departed_key_seen_in_the_records_is_a_finding_with_the_records_text(derived):
    result = audit(SEED / "facts.yaml", CATALOGS, SEED / "waivers.yaml", derived_path=derived)
    by_id = {c.id: c for c in result.controls}
    seen = next(ch for ch in by_id["notice/5.2"].checks if ch.id == "access-records")
    assert seen.status == "fail" and [o.id for o in seen.offenders] == ["sign-key-7"]
    assert seen.offenders[0].values  # the stated facts the records contradict
    obs = [o for o in result.access_records["observations"] if o["control"] == "notice/5.2"]
    assert "2024-12-31" in obs[0]["text"]["en"] and obs[0]["examples"][0]["source"].startswith("access-records-sys-auth.csv:")
    retention = next(ch for ch in by_id["notice/8.1"].checks if ch.id == "access-records")
    assert retention.status == "fail"
    without = {c.id: c for c in audit(SEED / "facts.yaml", CATALOGS, SEED / "waivers.yaml").controls}
    assert not any(ch.id == "access-records" for ch in without["notice/5.2"].checks)


def test_derived_facts_from_another_version_of_the_facts_are_refused(derived, tmp_path):
    shutil.copytree(SEED, tmp_path / "seed")
    facts = tmp_path / "seed" / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").replace('auditor: "Internal audit team (example)"', 'auditor: "Someone else"'), encoding="utf-8")
    proc = cli("check", facts, "--derived", derived)
    assert proc.returncode == 2 and "another version" in proc.stderr and "Traceback" not in proc.stderr


def test_json_result_carries_the_observation(derived):
    proc = cli("check", SEED / "facts.yaml", "--derived", derived, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    checks = [ch for c in data["controls"] for ch in c["checks"] if ch["id"] == "access-records"]
    assert any(ch["status"] == "fail" for ch in checks)


def test_the_report_has_an_access_record_section_with_examples_and_months(derived, tmp_path):
    proc = cli("report", SEED / "facts.yaml", "--derived", derived, "-o", tmp_path / "r.md", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "r.md").read_text(encoding="utf-8")
    section = md.split("## What the access records show")[1].split("\n## ")[0]
    assert "198.51.100.23" in section and "access-records-sys-auth.csv:" in section
    assert "| `sys-auth` | 2025-04 |" in section  # records per month, for the chart's months
    html = cli("report", SEED / "facts.yaml", "--derived", derived, "-o", tmp_path / "r.html")
    assert html.returncode == 0 and 'id="access-records"' in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_an_output_naming_the_derived_facts_is_refused_and_they_stay(derived, tmp_path):
    copy = tmp_path / "derived.json"
    shutil.copy(derived, copy)
    before = copy.read_bytes()
    proc = cli("check", SEED / "facts.yaml", "--derived", copy, "--format", "json", "-o", copy)
    assert proc.returncode == 2 and "is an input of this run" in proc.stderr, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and copy.read_bytes() == before
