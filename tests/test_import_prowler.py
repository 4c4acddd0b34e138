"""`pipa-audit import prowler-ocsf`: Prowler's JSON-OCSF findings become system facts only through the check table,
never beyond what a check shows; the table itself is linted against the facts model."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from compliance.importers.prowler import load_table
from compliance.loading import InputError
from compliance.observed import read_document
from tests.conftest import ROOT, cli, write

SAMPLES = ROOT / "tests" / "data" / "import" / "prowler"
AWS = SAMPLES / "prowler-aws.ocsf.json"
GCP = SAMPLES / "prowler-gcp.ocsf.json"
ACCOUNT = "111122223333"


def finding(check: str, status: str, account: str = ACCOUNT, resource: str | None = None, muted: bool = False,
            isms_p: list[str] | None = None) -> dict:
    """A finding of ``check`` in the shape of Prowler's own example (the real sample's first finding)."""
    item = copy.deepcopy(json.loads(AWS.read_text(encoding="utf-8"))[0])
    item["metadata"]["event_code"] = check
    item["status_code"] = status
    item["status"], item["status_id"] = ("Suppressed", 3) if muted else ("New", 1)
    item["cloud"]["account"]["uid"] = account
    item["resources"][0]["uid"] = resource or f"arn:aws:service:ap-northeast-2:{account}:resource/{check}"
    item["unmapped"]["compliance"] = {"KISA-ISMS-P-2023": isms_p} if isms_p else {"CIS-3.0": ["1.20"]}
    return item


def run(tmp_path: Path, source: Path, systems: dict[str, str]):
    lines = "".join(f"  {json.dumps(k)}: {v}\n" for k, v in systems.items())
    mapping = write(tmp_path, "ids.yaml", "systems:\n" + lines)
    out = tmp_path / "observed.json"
    return cli("import", "prowler-ocsf", source, "--map", mapping, "-o", out), out


def imported(tmp_path: Path, findings: list, systems: dict[str, str] | None = None):
    source = tmp_path / "scan.ocsf.json"
    source.write_text(json.dumps(findings, indent=4), encoding="utf-8")
    result, out = run(tmp_path, source, systems if systems is not None else {ACCOUNT: "sys-shop"})
    assert result.returncode == 0, result.stderr
    return read_document(out)


# ---------------------------------------------------------------------------------------------- real samples


def test_real_aws_sample_gives_no_fact_but_says_why_and_carries_prowlers_isms_p_ids(tmp_path):
    result, out = run(tmp_path, AWS, {"<account_uid>": "sys-aws"})
    assert result.returncode == 0, result.stderr
    doc = read_document(out)
    assert doc.kind == "prowler-ocsf" and doc.format_version == "1.4.0" and doc.source.name == AWS.name
    assert doc.systems == {} and doc.unmapped == []  # accessanalyzer_enabled tells no fact, the rest: not in the table
    assert "Prowler findings read: 3 (0 PASS, 2 FAIL, 1 MANUAL); MANUAL findings decide nothing." in doc.notes
    why = next(n for n in doc.notes if n.startswith("accessanalyzer_enabled "))
    assert "(1 FAIL on sys-aws; first at prowler-aws.ocsf.json#/0) tells no fact of a system" in why
    assert "IAM Access Analyzer reports resources shared outside the account" in why
    assert "prowler ISMS-P: accessanalyzer_enabled → 2.5.6, 2.6.4, 2.8.1, 2.8.2" in doc.notes
    assert any(n.startswith("2 findings of 2 checks not in the check table") for n in doc.notes)


def test_real_gcp_sample_unmapped_project_is_listed_once_with_its_count(tmp_path):
    result, out = run(tmp_path, GCP, {})
    assert result.returncode == 0, result.stderr
    doc = read_document(out)
    assert [(u.at, u.identity, u.reason) for u in doc.unmapped] == [
        ("prowler-gcp.ocsf.json#/0", "<project_id>",
         "maps to no system in the identity map: 3 findings (2 of checks in the check table) not imported")]
    assert doc.systems == {}
    assert "prowler-gcp.ocsf.json#/0: <project_id>: maps to no system" in result.stderr
    assert "; 1 unmapped" in result.stderr


def test_real_gcp_sample_open_rdp_rule_is_not_taken_as_ip_restriction(tmp_path):
    """A firewall rule open to 0.0.0.0/0 does not show the instances behind it are reachable: no ip_restricted."""
    result, out = run(tmp_path, GCP, {"<project_id>": "sys-gcp"})
    doc = read_document(out)
    assert doc.systems == {}
    note = next(n for n in doc.notes if n.startswith("compute_firewall_rdp_access_from_the_internet_allowed "))
    assert "(1 PASS, 1 FAIL on sys-gcp; first at prowler-gcp.ocsf.json#/1)" in note


# ---------------------------------------------------------------------------------------------- facts


def test_any_fail_wins_and_at_points_to_the_deciding_finding(tmp_path):
    doc = imported(tmp_path, [
        finding("cloudfront_distributions_https_enabled", "PASS"),
        finding("app_ensure_http_is_redirected_to_https", "PASS"),
        finding("cloudfront_distributions_https_enabled", "FAIL"),
        finding("cloudfront_distributions_https_enabled", "FAIL"),
        finding("cloudfront_distributions_https_enabled", "PASS", account="444455556666"),
        finding("defender_assessments_vm_endpoint_protection_installed", "PASS", account="444455556666"),
    ], {ACCOUNT: "sys-shop", "444455556666": "sys-crm"})
    assert doc.systems == {
        "sys-shop": {"transit_encrypted": False, "_at": {"transit_encrypted": "scan.ocsf.json#/2"}},
        "sys-crm": {"transit_encrypted": True, "server_malware_protection": True,
                    "_at": {"transit_encrypted": "scan.ocsf.json#/4",
                            "server_malware_protection": "scan.ocsf.json#/5"}},
    }


def test_manual_and_muted_findings_decide_nothing(tmp_path):
    doc = imported(tmp_path, [
        finding("cloudfront_distributions_https_enabled", "MANUAL"),
        finding("cloudfront_distributions_https_enabled", "FAIL", muted=True),
        finding("cloudfront_distributions_https_enabled", "PASS"),
    ])
    assert doc.systems == {"sys-shop": {"transit_encrypted": True, "_at": {"transit_encrypted": "scan.ocsf.json#/2"}}}
    assert any(n.startswith("1 finding muted by Prowler's mutelist decided nothing") for n in doc.notes)


def test_an_outcome_that_tells_nothing_sets_nothing_and_its_why_is_in_the_notes(tmp_path):
    """GuardDuty off does not show that no intrusion detection runs; on, it does."""
    doc = imported(tmp_path, [finding("guardduty_is_enabled", "FAIL")])
    assert doc.systems == {}
    note = next(n for n in doc.notes if n.startswith("guardduty_is_enabled "))
    assert note.startswith("guardduty_is_enabled (1 FAIL on sys-shop; first at scan.ocsf.json#/0) left "
                           "intrusion_detection as it was: GuardDuty disabled in a region does not show")
    doc = imported(tmp_path, [finding("guardduty_is_enabled", "FAIL"), finding("guardduty_is_enabled", "PASS")])
    assert doc.systems["sys-shop"] == {"intrusion_detection": True, "_at": {"intrusion_detection": "scan.ocsf.json#/1"}}


def test_storage_encryption_is_never_the_encryption_of_identifiers(tmp_path):
    doc = imported(tmp_path, [finding("s3_bucket_default_encryption", "PASS"),
                              finding("rds_instance_storage_encrypted", "FAIL")])
    assert doc.systems == {}
    for check in ("s3_bucket_default_encryption", "rds_instance_storage_encrypted"):
        note = next(n for n in doc.notes if n.startswith(check + " "))
        assert "is not the notice's encryption of identifiers (identifiers_encrypted, rrn_encrypted)" in note
    facts = {rule.fact for rule in load_table().values()}
    assert not facts & {"identifiers_encrypted", "rrn_encrypted", "sensitive_encrypted", "password_storage"}


def test_a_resource_named_in_the_map_goes_to_its_own_system(tmp_path):
    db = f"arn:aws:rds:ap-northeast-2:{ACCOUNT}:db:customers"
    doc = imported(tmp_path, [finding("rds_instance_no_public_access", "FAIL", resource=db),
                              finding("cloudfront_distributions_https_enabled", "PASS")],
                   {ACCOUNT: "sys-shop", db: "sys-db"})
    assert doc.systems == {
        "sys-db": {"ip_restricted": False, "_at": {"ip_restricted": "scan.ocsf.json#/0"}},
        "sys-shop": {"transit_encrypted": True, "_at": {"transit_encrypted": "scan.ocsf.json#/1"}},
    }


def test_isms_p_ids_of_every_finding_of_a_check_are_carried_once(tmp_path):
    doc = imported(tmp_path, [finding("cloudfront_distributions_https_enabled", "PASS", isms_p=["2.7.1", "2.10.1"]),
                              finding("cloudfront_distributions_https_enabled", "FAIL", isms_p=["2.7.1", "2.6.1"])])
    assert "prowler ISMS-P: cloudfront_distributions_https_enabled → 2.7.1, 2.10.1, 2.6.1" in doc.notes


def test_versions_are_taken_from_the_first_finding_only_as_text(tmp_path):
    first = finding("cloudfront_distributions_https_enabled", "PASS")
    first["metadata"]["product"]["version"] = "5.4.0"
    odd = finding("cloudfront_distributions_https_enabled", "PASS")
    first["metadata"]["version"], odd["metadata"]["version"] = 1.4, "1.5.0"
    doc = imported(tmp_path, [first, odd])
    assert doc.tool == "Prowler 5.4.0 JSON-OCSF" and doc.format_version is None


def test_an_empty_scan_is_read(tmp_path):
    doc = imported(tmp_path, [])
    assert doc.systems == {} and doc.unmapped == []
    assert doc.notes == ["Prowler findings read: 0 (0 PASS, 0 FAIL, 0 MANUAL); MANUAL findings decide nothing."]


# ---------------------------------------------------------------------------------------------- bad input


def _broken(kind: str) -> tuple[str, str]:
    """(text of the file, what its one error line must say) for each kind of bad input."""
    good = finding("cloudfront_distributions_https_enabled", "PASS")
    if kind == "truncated":
        text = json.dumps([good], indent=4)
        return text[: len(text) // 2], "not JSON ("
    if kind == "not-an-array":
        return json.dumps({"findings": [good]}), ("scan.ocsf.json:1: not Prowler's JSON-OCSF output: "
                                                  "expected a JSON array")
    items = [good, copy.deepcopy(good)]
    bad = items[1]
    if kind == "prowler-3":
        bad["class_uid"] = 2001
        message = "/1/class_uid: a Prowler 3 OCSF Security Finding (class_uid 2001)"
    elif kind == "not-prowler":
        bad["metadata"]["product"]["name"] = "Security Hub"
        message = "/1/metadata: not a Prowler finding (metadata.product.name is 'Security Hub')"
    elif kind == "prowler-4.0":
        del bad["metadata"]["event_code"]
        message = "/1/metadata: no metadata.event_code (the check id): Prowler 4.1 or later writes it"
    elif kind == "bad-status":
        bad["status_code"] = "WARNING"
        message = "/1/status_code: expected PASS, FAIL or MANUAL (got 'WARNING')"
    elif kind == "no-status":
        del bad["status_code"]
        message = "/1: no status_code (PASS, FAIL or MANUAL)"
    elif kind == "resources-wrong-type":
        bad["resources"] = "arn:aws:s3:::bucket"
        message = "/1/resources: expected a list of resource objects"
    else:
        raise AssertionError(kind)
    return json.dumps(items, indent=4), message


BAD = ["truncated", "not-an-array", "prowler-3", "not-prowler", "prowler-4.0", "bad-status", "no-status",
       "resources-wrong-type"]


@pytest.mark.parametrize("kind", BAD)
def test_bad_input_is_one_located_line_exit_2_and_no_output(tmp_path, kind):
    text, message = _broken(kind)
    source = tmp_path / "scan.ocsf.json"
    source.write_text(text, encoding="utf-8")
    result, out = run(tmp_path, source, {ACCOUNT: "sys-shop"})
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(source) in lines[0] and message in lines[0], lines
    assert "Traceback" not in result.stderr and not out.exists()


def test_a_bad_finding_is_located_at_its_line(tmp_path):
    text, _ = _broken("prowler-3")
    source = tmp_path / "scan.ocsf.json"
    source.write_text(text, encoding="utf-8")
    result, _ = run(tmp_path, source, {})
    line = next(i for i, t in enumerate(text.splitlines(), 1) if '"class_uid": 2001' in t)
    assert result.stderr.startswith(f"{source}:{line}: /1/class_uid: "), result.stderr


# ---------------------------------------------------------------------------------------------- the check table


def test_the_shipped_check_table_is_valid_and_every_silent_outcome_says_why():
    table = load_table()
    assert "guardduty_is_enabled" in table and table["guardduty_is_enabled"].fact == "intrusion_detection"
    for check, rule in table.items():
        if rule.fact is None or rule.on_pass is None or rule.on_fail is None:
            assert rule.why and rule.why.strip(), check


RULE = ("rules:\n  - checks: [guardduty_is_enabled]\n    fact: intrusion_detection\n"
        "    pass: true\n    fail: null\n    why: x\n")


@pytest.mark.parametrize("text, line, message", [
    (RULE.replace("intrusion_detection", "intrusion_detected"), 3,
     "'intrusion_detected' is not a scalar fact of a system (facts.System)"),
    (RULE.replace("intrusion_detection", "access_log"), 3, "'access_log' is not a scalar fact of a system"),
    (RULE.replace("intrusion_detection", "alerts"), 3, "'alerts' is not a scalar fact of a system"),
    (RULE + RULE.replace("rules:\n", "").replace("guardduty_is_enabled]", "cloudtrail_multi_region_enabled, "
                                                  "guardduty_is_enabled]"), 7,
     "check 'guardduty_is_enabled' is listed twice (first in rule 1)"),
    (RULE.replace("pass: true", 'pass: "on"'), 4, "'on' is not a value of intrusion_detection"),
    (RULE.replace("pass: true", "pass: 1"), 4, "1 is not a value of intrusion_detection"),
    (RULE.replace("intrusion_detection", "network_zone").replace("pass: true", "pass: internet"), 4,
     "'internet' is not a value of network_zone"),
    (RULE.replace("fact: intrusion_detection", "fact: null"), 4, "a rule with no fact sets no value: remove 'pass'"),
    (RULE.replace("    why: x\n", ""), 2, "say why (why:) the outcome that sets no fact tells nothing"),
    (RULE.replace("pass: true", "pass: null"), 3, "a rule for intrusion_detection gives it a value"),
    (RULE.replace("guardduty_is_enabled", "GuardDuty-Enabled"), 2, "'GuardDuty-Enabled' is not a Prowler check id"),
    (RULE.replace("    fail: null\n", "    fail: null\n    severity: high\n"), 6, "unknown field"),
])
def test_a_wrong_check_table_is_refused_at_its_line(tmp_path, text, line, message):
    path = write(tmp_path, "checks.yaml", text)
    with pytest.raises(InputError) as err:
        load_table(path)
    problems = err.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    assert problems[0].line == line and message in problems[0].message, str(problems[0])
