"""Vulnerability scans and SBOMs as observed facts (issue 18): Trivy, Grype and CycloneDX outputs give each scanned
system's components and open vulnerabilities, each row pointing at its place in the scan; two scans of the same
target show what was fixed in between, dated by the later scan or 'unknown' — never guessed, never left out."""

import json
from pathlib import Path

import pytest

from compliance.observed import read_document

from .conftest import ROOT, cli, write
from .test_cli import assert_input_error

SAMPLES = ROOT / "tests" / "data" / "import" / "vulnerabilities"
TRIVY = SAMPLES / "trivy-alpine-310.json"
TRIVY_DEBIAN = SAMPLES / "trivy-debian-buster.json"
TRIVY_CARGO = SAMPLES / "trivy-cargo-lock.json"
GRYPE = SAMPLES / "grype-chainguard-ruby.json"
CDX = SAMPLES / "cyclonedx-trivy-fluentd.json"
VEX_FIXED = SAMPLES / "cyclonedx-vex-fixed.json"
IDS = """systems:
  testdata/fixtures/images/alpine-310.tar.gz: sys-alpine
  testdata/fixtures/images/debian-buster.tar.gz: sys-debian
  testdata/fixtures/repo/cargo: sys-cargo
  cgr.dev/chainguard/ruby:latest-3.0: sys-ruby
  integration/testdata/fixtures/images/fluentd-multiple-lockfiles.tar.gz: sys-fluentd
  DEF: sys-def
"""


def imported(tmp_path, kind, source, *more, ids: str | None = IDS):
    out = tmp_path / "observed.json"
    args = ["import", kind, source, "-o", out, *more]
    if ids is not None:
        args += ["--map", write(tmp_path, "ids.yaml", ids)]
    return cli(*args), out


def facts_of(tmp_path, kind, source, *more, system):
    proc, out = imported(tmp_path, kind, source, *more)
    assert proc.returncode == 0, proc.stderr
    doc = read_document(out)  # what check reads: the facts model accepts every row
    return doc, doc.systems[system]


def derived(tmp_path, sample: Path, name: str, change) -> Path:
    """A copy of a real sample with one thing changed, for what the samples do not show."""
    data = json.loads(sample.read_text(encoding="utf-8"))
    change(data)
    return write(tmp_path, name, json.dumps(data, indent=2))


# ---------------------------------------------------------------------------- Trivy


def test_trivy_report_gives_the_systems_components_and_open_vulnerabilities_with_their_places(tmp_path):
    doc, facts = facts_of(tmp_path, "trivy", TRIVY, system="sys-alpine")
    assert (doc.kind, doc.tool, doc.format_version, doc.source.name) == (
        "trivy", "Trivy dev (JSON report)", "2", "trivy-alpine-310.json")
    assert facts["components"] == [
        {"name": "alpine", "version": "3.10.2", "end_of_life": True, "_at": "trivy-alpine-310.json#/Metadata/OS"},
        {"name": "libcrypto1.1", "version": "1.1.1c-r0", "_at": "trivy-alpine-310.json#/Results/0/Vulnerabilities/0"},
        {"name": "libssl1.1", "version": "1.1.1c-r0", "_at": "trivy-alpine-310.json#/Results/0/Vulnerabilities/2"},
    ]  # EOSL: true is the OS's end of life; nothing says the packages' end of life: left unknown
    at = "trivy-alpine-310.json#/Results/0/Vulnerabilities/"
    assert facts["vulnerabilities"] == [
        {"id": "CVE-2019-1549", "component": "libcrypto1.1", "severity": "medium", "_at": at + "0"},
        {"id": "CVE-2019-1551", "component": "libcrypto1.1", "severity": "medium", "_at": at + "1"},
        {"id": "CVE-2019-1549", "component": "libssl1.1", "severity": "medium", "_at": at + "2"},
        {"id": "CVE-2019-1551", "component": "libssl1.1", "severity": "medium", "_at": at + "3"},
    ]  # present in the scan: open, so no fixed_on; Trivy gives no fix date, so no fix_available_on
    assert doc.unmapped == [] and any("fix_available_on is left out" in n for n in doc.notes)
    assert any("open (no fixed_on)" in n for n in doc.notes)


def test_an_os_trivy_does_not_mark_end_of_life_is_unknown_and_severities_map_exactly(tmp_path):
    _, facts = facts_of(tmp_path, "trivy", TRIVY_DEBIAN, system="sys-debian")
    assert facts["components"][0] == {"name": "debian", "version": "10.1",
                                      "_at": "trivy-debian-buster.json#/Metadata/OS"}
    assert [(v["id"], v["component"], v["severity"]) for v in facts["vulnerabilities"]] == [
        ("CVE-2019-18276", "bash", "low"), ("CVE-2019-18224", "libidn2-0", "critical")]  # 'affected' is open too


def test_a_clean_scan_states_no_vulnerabilities_and_lists_its_packages(tmp_path):
    _, facts = facts_of(tmp_path, "trivy", TRIVY_CARGO, system="sys-cargo")
    assert facts["vulnerabilities"] == []  # scanned and none found: an empty list, not an absent one
    assert [(c["name"], c["version"], c["_at"]) for c in facts["components"]][:2] == [
        ("app", "0.1.0", "trivy-cargo-lock.json#/Results/0/Packages/0"),
        ("memchr", "1.0.2", "trivy-cargo-lock.json#/Results/0/Packages/1")]
    assert len(facts["components"]) == 7  # memchr 1.0.2 and 2.7.4 are two components


def test_unknown_severity_is_left_out_and_a_repeated_finding_is_kept_once_at_its_first_place(tmp_path):
    def change(d):
        first = d["Results"][0]["Vulnerabilities"][0]
        first["Severity"] = "UNKNOWN"
        d["Results"].append({"Target": "again", "Class": "os-pkgs", "Type": "alpine",
                             "Vulnerabilities": [dict(first, Severity="HIGH")]})
    _, facts = facts_of(tmp_path, "trivy", derived(tmp_path, TRIVY, "trivy.json", change), system="sys-alpine")
    first = facts["vulnerabilities"][0]
    assert first == {"id": "CVE-2019-1549", "component": "libcrypto1.1",
                     "_at": "trivy.json#/Results/0/Vulnerabilities/0"}
    assert len(facts["vulnerabilities"]) == 4


def test_a_not_affected_status_is_not_an_open_vulnerability(tmp_path):
    source = derived(tmp_path, TRIVY, "trivy.json",
                     lambda d: d["Results"][0]["Vulnerabilities"][1].update(Status="not_affected"))
    doc, facts = facts_of(tmp_path, "trivy", source, system="sys-alpine")
    assert "CVE-2019-1551" not in [v["id"] for v in facts["vulnerabilities"] if v["component"] == "libcrypto1.1"]
    assert any("1 finding stated not to affect" in n for n in doc.notes)


# ---------------------------------------------------------------------------- Grype


def test_grype_report_gives_the_distribution_packages_and_matches(tmp_path):
    doc, facts = facts_of(tmp_path, "grype", GRYPE, system="sys-ruby")
    assert (doc.tool, doc.format_version) == ("Grype 0.61.1 (JSON report)", None)
    assert facts["components"] == [
        {"name": "wolfi", "version": "20221118", "_at": "grype-chainguard-ruby.json#/distro"},
        {"name": "ruby-3.0", "version": "3.0.4-r1", "_at": "grype-chainguard-ruby.json#/matches/0"},
        {"name": "uri", "version": "0.10.1", "_at": "grype-chainguard-ruby.json#/matches/1"},
    ]
    at = "grype-chainguard-ruby.json#/matches/"
    assert facts["vulnerabilities"] == [
        {"id": "CVE-2023-28755", "component": "ruby-3.0", "severity": "high", "_at": at + "0"},
        {"id": "CVE-2023-28755", "component": "uri", "severity": "high", "_at": at + "1"},
        {"id": "GHSA-hv5j-3h9f-99c2", "component": "uri", "severity": "high", "_at": at + "2"},
    ]  # Grype gives no fix date here (fix.available is newer): fix_available_on left out


def test_matches_grype_was_told_to_ignore_are_not_imported_but_said(tmp_path):
    def change(d):
        d["ignoredMatches"] = [dict(d["matches"].pop(2), appliedIgnoreRules=[{"fix-state": "unknown"}])]
    doc, facts = facts_of(tmp_path, "grype", derived(tmp_path, GRYPE, "grype.json", change), system="sys-ruby")
    assert [v["id"] for v in facts["vulnerabilities"]] == ["CVE-2023-28755", "CVE-2023-28755"]
    assert any("1 finding set aside by the scanner's ignore rules (ignoredMatches)" in n for n in doc.notes)


def test_grype_fix_dates_eol_alerts_and_negligible_severity(tmp_path):
    def change(d):
        d["matches"][0]["vulnerability"]["fix"]["available"] = [
            {"version": "3.0.6-r0", "date": "2023-04-02", "kind": "first-observed"},
            {"version": "3.0.6-r0", "date": "2023-03-30", "kind": "advisory"}]
        d["matches"][1]["vulnerability"]["severity"] = "Negligible"
        d["alertsByPackage"] = [{"package": d["matches"][0]["artifact"], "alerts": [
            {"type": "distro-eol", "message": "Package is from end-of-life distro: wolfi 20221118",
             "metadata": {"name": "wolfi", "version": "20221118"}}]}]
    doc, facts = facts_of(tmp_path, "grype", derived(tmp_path, GRYPE, "grype.json", change), system="sys-ruby")
    assert facts["components"][0] == {"name": "wolfi", "version": "20221118", "end_of_life": True,
                                      "_at": "grype.json#/alertsByPackage/0/alerts/0"}
    assert facts["vulnerabilities"][0]["fix_available_on"] == "2023-03-30"  # the earliest date a fix was available
    assert "fix_available_on" not in facts["vulnerabilities"][2]  # no date given: unknown by absence, never "unknown"
    assert "severity" not in facts["vulnerabilities"][1]  # Negligible is none of critical/high/medium/low
    assert any("1 vulnerability without a severity" in n for n in doc.notes)


# ---------------------------------------------------------------------------- CycloneDX


def test_cyclonedx_bom_gives_components_and_the_most_severe_rating_of_each_vulnerability(tmp_path):
    doc, facts = facts_of(tmp_path, "cyclonedx", CDX, system="sys-fluentd")
    assert (doc.tool, doc.format_version) == ("CycloneDX JSON BOM", "1.7")
    assert [(c["name"], c.get("version"), c["_at"]) for c in facts["components"]] == [
        ("debian", "10.2", "cyclonedx-trivy-fluentd.json#/components/0"),
        ("bash", "5.0-4", "cyclonedx-trivy-fluentd.json#/components/1"),
        ("libidn2-0", "2.0.5-1", "cyclonedx-trivy-fluentd.json#/components/2"),
        ("activesupport", "6.0.2.1", "cyclonedx-trivy-fluentd.json#/components/3")]
    at = "cyclonedx-trivy-fluentd.json#/vulnerabilities/"
    assert facts["vulnerabilities"] == [
        {"id": "CVE-2019-18224", "component": "libidn2-0", "severity": "critical", "_at": at + "0/affects/0"},
        {"id": "CVE-2019-18276", "component": "bash", "severity": "high",
         "_at": at + "1/affects/0"},  # rated low by debian, high by nvd: the most severe kept
        {"id": "CVE-2020-8165", "component": "activesupport", "severity": "critical", "_at": at + "2/affects/0"},
    ]
    assert any("3 vulnerabilities rated differently" in n for n in doc.notes)


def test_a_resolved_vulnerability_is_fixed_on_unknown_never_left_out(tmp_path):
    doc, facts = facts_of(tmp_path, "cyclonedx", VEX_FIXED, system="sys-def")
    assert facts["vulnerabilities"] == [{"id": "CVE-2021-44228", "component": "DEF", "fixed_on": "unknown",
                                         "_at": "cyclonedx-vex-fixed.json#/vulnerabilities/0/affects/0"}]
    assert any("stated resolved without saying when" in n for n in doc.notes)


def test_a_not_affected_statement_is_not_imported_as_a_vulnerability(tmp_path):
    source = derived(tmp_path, VEX_FIXED, "vex.json",
                     lambda d: d["vulnerabilities"][0]["analysis"].update(state="not_affected"))
    doc, facts = facts_of(tmp_path, "cyclonedx", source, system="sys-def")
    assert facts["vulnerabilities"] == [] and any("not_affected or false_positive" in n for n in doc.notes)


# ---------------------------------------------------------------------------- identities


@pytest.mark.parametrize("kind, source, at, identity", [
    ("trivy", TRIVY, "trivy-alpine-310.json#/ArtifactName", "testdata/fixtures/images/alpine-310.tar.gz"),
    ("grype", GRYPE, "grype-chainguard-ruby.json#/source/target/userInput", "cgr.dev/chainguard/ruby:latest-3.0"),
    ("cyclonedx", CDX, "cyclonedx-trivy-fluentd.json#/metadata/component/name",
     "integration/testdata/fixtures/images/fluentd-multiple-lockfiles.tar.gz"),
])
def test_a_target_that_maps_to_no_system_is_listed_and_counted_never_dropped(tmp_path, kind, source, at, identity):
    proc, out = imported(tmp_path, kind, source, ids="systems: {other: sys-other}\n")
    assert proc.returncode == 0, proc.stderr
    doc = read_document(out)
    assert doc.systems == {}  # never guessed onto a system
    assert [(u.at, u.identity) for u in doc.unmapped] == [(at, identity)]
    assert "maps to no system" in doc.unmapped[0].reason and "not imported" in doc.unmapped[0].reason
    assert "0 rows" in proc.stderr and "1 unmapped" in proc.stderr and f"{at}: {identity}" in proc.stderr


# ---------------------------------------------------------------------------- two scans


def after_upgrade(tmp_path, created_at: str | None = "2021-09-01T03:00:00Z") -> Path:
    """The alpine scan again after libssl1.1 was upgraded: its two findings are gone."""
    def change(d):
        vulns = d["Results"][0]["Vulnerabilities"]
        d["Results"][0]["Vulnerabilities"] = [v for v in vulns if v["PkgName"] != "libssl1.1"]
        if created_at is None:
            del d["CreatedAt"]
        else:
            d["CreatedAt"] = created_at
    return derived(tmp_path, TRIVY, "after.json", change)


def test_what_the_earlier_scan_found_and_this_one_does_not_was_fixed_by_this_scans_date(tmp_path):
    doc, facts = facts_of(tmp_path, "trivy", after_upgrade(tmp_path), "--before", TRIVY, system="sys-alpine")
    now, then = "after.json#/Results/0/Vulnerabilities/", "trivy-alpine-310.json#/Results/0/Vulnerabilities/"
    day = "2021-09-01"  # the later scan's CreatedAt: fixed on or before it
    assert facts["vulnerabilities"] == [
        {"id": "CVE-2019-1549", "component": "libcrypto1.1", "severity": "medium", "_at": now + "0"},
        {"id": "CVE-2019-1551", "component": "libcrypto1.1", "severity": "medium", "_at": now + "1"},
        {"id": "CVE-2019-1549", "component": "libssl1.1", "severity": "medium", "fixed_on": day, "_at": then + "2"},
        {"id": "CVE-2019-1551", "component": "libssl1.1", "severity": "medium", "fixed_on": day, "_at": then + "3"},
    ]  # in both scans: still open (no fixed_on), placed in the later scan
    assert [c["name"] for c in facts["components"]] == ["alpine", "libcrypto1.1"]  # what runs now
    assert any("2 vulnerabilities it listed not in after.json, taken as fixed on 2021-09-01" in n for n in doc.notes)
    assert not any("open (no fixed_on)" in n for n in doc.notes)


def test_a_fix_between_scans_of_unstated_date_is_unknown_never_left_out(tmp_path):
    _, facts = facts_of(tmp_path, "trivy", after_upgrade(tmp_path, None), "--before", TRIVY, system="sys-alpine")
    assert [v.get("fixed_on") for v in facts["vulnerabilities"]] == [None, None, "unknown", "unknown"]


def test_grype_scans_are_compared_by_the_descriptor_timestamp(tmp_path):
    def upgraded(d):
        d["matches"].pop(0)
        d["descriptor"]["timestamp"] = "2023-06-02T10:00:00+09:00"
    after = derived(tmp_path, GRYPE, "after.json", upgraded)
    _, facts = facts_of(tmp_path, "grype", after, "--before", GRYPE, system="sys-ruby")
    assert facts["vulnerabilities"][-1] == {"id": "CVE-2023-28755", "component": "ruby-3.0", "severity": "high",
                                            "fixed_on": "2023-06-02", "_at": "grype-chainguard-ruby.json#/matches/0"}
    assert [v.get("fixed_on") for v in facts["vulnerabilities"]] == [None, None, "2023-06-02"]


def test_a_bom_stating_resolved_since_the_earlier_one_dates_the_fix(tmp_path):
    def still_open(d):
        del d["vulnerabilities"][0]["analysis"]
        d["metadata"]["timestamp"] = "2022-02-01T00:00:00Z"
    before = derived(tmp_path, VEX_FIXED, "before.json", still_open)
    _, facts = facts_of(tmp_path, "cyclonedx", VEX_FIXED, "--before", before, system="sys-def")
    assert facts["vulnerabilities"] == [{"id": "CVE-2021-44228", "component": "DEF", "fixed_on": "2022-03-03",
                                         "_at": "cyclonedx-vex-fixed.json#/vulnerabilities/0/affects/0"}]


def test_scans_of_different_targets_or_in_the_wrong_order_are_refused(tmp_path):
    proc, out = imported(tmp_path, "trivy", after_upgrade(tmp_path), "--before", TRIVY_DEBIAN)
    assert_input_error(proc, "trivy-debian-buster.json:9: #/ArtifactName: the earlier scan is of "
                             "'testdata/fixtures/images/debian-buster.tar.gz' (sys-debian)",
                       "give two scans of the same target")
    assert not out.exists()
    proc, out = imported(tmp_path, "trivy", TRIVY, "--before", after_upgrade(tmp_path))
    assert_input_error(proc, "after.json: the earlier scan ran at 2021-09-01T03:00:00+00:00, "
                             "after trivy-alpine-310.json")
    assert not out.exists()


# ---------------------------------------------------------------------------- bad input


def _set(path: tuple, value):
    def change(d):
        for step in path[:-1]:
            d = d[step]
        d[path[-1]] = value
    return change


def _drop(path: tuple):
    def change(d):
        for step in path[:-1]:
            d = d[step]
        del d[path[-1]]
    return change


TRIVY_VULN = ("Results", 0, "Vulnerabilities", 1)


@pytest.mark.parametrize("kind, sample, change, where, message", [
    ("trivy", TRIVY, "truncate", "x.json:", "not valid JSON"),
    ("trivy", TRIVY, b"{\"SchemaVersion\": 2, \"ArtifactName\": \"\xff\"}", "x.json:", "not UTF-8 text"),
    ("trivy", TRIVY, _set(("SchemaVersion",), 1), "x.json:2: #/SchemaVersion:",
     "SchemaVersion 1; this importer reads SchemaVersion 2"),
    ("trivy", GRYPE, None, "x.json:1:", "(this looks like Grype output: pipa-audit import grype …)"),
    ("trivy", TRIVY, _drop((*TRIVY_VULN, "PkgName")), "x.json:96: #/Results/0/Vulnerabilities/1:", "no PkgName"),
    ("trivy", TRIVY, _set((*TRIVY_VULN, "VulnerabilityID"), 2019),
     "x.json:97: #/Results/0/Vulnerabilities/1/VulnerabilityID:", "expected text, got a number"),
    ("trivy", TRIVY, _set((*TRIVY_VULN, "Severity"), "SEVERE"), "x.json:121: #/Results/0/Vulnerabilities/1/Severity:",
     "got 'SEVERE'"),
    ("trivy", TRIVY, _set(("Metadata", "OS", "EOSL"), "yes"), "x.json:16: #/Metadata/OS/EOSL:",
     "expected true or false"),
    ("trivy", TRIVY, _set(("CreatedAt",), "2021-08-25 12:20"), "x.json:7: #/CreatedAt:", "timestamp with an offset"),
    ("trivy", TRIVY, _set(("Results",), {"Target": "x"}), "#/Results:", "expected a list, got an object"),
    ("trivy", TRIVY, _drop(("ArtifactName",)), "x.json:1:", "no ArtifactName"),
    ("grype", GRYPE, _set(("descriptor", "name"), "syft"), "#/descriptor/name:", "written by 'syft', not Grype"),
    ("grype", GRYPE, _set(("matches", 0, "vulnerability", "severity"), "Severe"), "#/matches/0/vulnerability/severity:",
     "got 'Severe'"),
    ("grype", GRYPE, _set(("matches", 0, "vulnerability", "fix", "available"), [{"date": "30/03/2023"}]),
     "#/matches/0/vulnerability/fix/available/0:", "expected a date YYYY-MM-DD"),
    ("grype", GRYPE, _drop(("matches", 1, "artifact", "name")), "#/matches/1/artifact:", "no name"),
    ("cyclonedx", CDX, _set(("specVersion",), "2.0"), "x.json:4: #/specVersion:",
     "specVersion '2.0'; this importer reads"),
    ("cyclonedx", TRIVY, None, "x.json:1:",
     "not a CycloneDX JSON BOM: no bomFormat \"CycloneDX\" (this looks like Trivy output"),
    ("cyclonedx", VEX_FIXED, _drop(("metadata", "component")), "#/metadata:", "names no subject"),
    ("cyclonedx", CDX, _set(("vulnerabilities", 0, "ratings", 0, "severity"), "severe"),
     "#/vulnerabilities/0/ratings/0/severity:", "got 'severe'"),
    ("cyclonedx", CDX, _drop(("vulnerabilities", 1, "affects", 0, "ref")), "#/vulnerabilities/1/affects/0:", "no ref"),
])
def test_a_file_that_is_not_the_format_is_one_located_line_and_no_output(tmp_path, kind, sample, change, where,
                                                                         message):
    if change is None:
        source = write(tmp_path, "x.json", sample.read_text(encoding="utf-8"))
    elif change == "truncate":
        source = write(tmp_path, "x.json", sample.read_text(encoding="utf-8")[:5000])
    elif isinstance(change, bytes):
        source = tmp_path / "x.json"
        source.write_bytes(change)
    else:
        source = derived(tmp_path, sample, "x.json", change)
    proc, out = imported(tmp_path, kind, source)
    assert_input_error(proc, where, message)
    assert len(proc.stderr.strip().splitlines()) == 1 and not out.exists()
    assert proc.stderr.startswith(str(source))


def test_a_bad_earlier_scan_is_located_in_that_file(tmp_path):
    before = derived(tmp_path, TRIVY, "before.json", _set(("SchemaVersion",), 3))
    proc, out = imported(tmp_path, "trivy", TRIVY, "--before", before)
    assert_input_error(proc, "before.json:2: #/SchemaVersion: a Trivy report of SchemaVersion 3")
    assert not out.exists()
