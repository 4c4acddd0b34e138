"""The AWS IAM credential report as observed facts (issue 18): the departed developer's key, active and used after
departure, found from the report itself — no credential typed by hand — and a statement the report contradicts
fails the duty with both values shown."""

import json
import shutil
from pathlib import Path

import pytest

from compliance.observed import read_document

from .conftest import ROOT, cli, write
from .test_cli import assert_input_error

SAMPLE = ROOT / "tests" / "data" / "import" / "aws_iam" / "credential-report.csv"
OBSERVED = ROOT / "examples" / "ecommerce-breach-observed"
CLEAN_OBSERVED = ROOT / "examples" / "clean-observed"
HEADER = SAMPLE.read_text(encoding="utf-8").splitlines()[0]


def imported(tmp_path, source, ids: str | None = "systems: {'123456789012': sys-cloud}\nhandlers: {user-readonly: h-7}\n"):
    out = tmp_path / "observed.json"
    args = ["import", "aws-iam-credential-report", source, "-o", out]
    if ids is not None:
        args += ["--map", write(tmp_path, "ids.yaml", ids)]
    return cli(*args), out


def test_the_real_report_gives_one_credential_per_active_key_with_its_row(tmp_path):
    proc, out = imported(tmp_path, SAMPLE)
    assert proc.returncode == 0, proc.stderr
    doc = read_document(out)  # what check reads: the facts model accepts every row
    assert doc.tool == "AWS IAM credential report (CSV)" and doc.source.name == "credential-report.csv"
    assert doc.source.sha256 == __import__("hashlib").sha256(SAMPLE.read_bytes()).hexdigest()
    assert doc.lists["credentials"] == [
        {"id": "arn:aws:iam::123456789012:user/user-readonly#access_key_1", "kind": "api-key", "system": "sys-cloud",
         "owner": "h-7", "issued_on": "2022-08-31", "last_used_at": "2022-08-31T11:23:00+00:00", "_at": "credential-report.csv:2"},
        {"id": "arn:aws:iam::123456789012:user/user-readonly#access_key_2", "kind": "api-key", "system": "sys-cloud",
         "owner": "h-7", "issued_on": "2022-08-31", "last_used_at": "2022-08-31T11:10:33+00:00", "_at": "credential-report.csv:2"},
    ]  # the password is disabled and both certificates inactive: not credentials in use
    assert any("2 inactive" in n for n in doc.notes) and any("MFA active for 0 of 1" in n for n in doc.notes)


def test_identities_that_map_to_nothing_are_listed_and_counted_never_dropped(tmp_path):
    proc, out = imported(tmp_path, SAMPLE, ids="systems: {'123456789012': sys-cloud}\n")
    assert proc.returncode == 0, proc.stderr
    doc = read_document(out)
    assert doc.lists["credentials"] == []
    assert [(u.at, u.identity) for u in doc.unmapped] == [("credential-report.csv:2", "IAM user user-readonly")]
    assert "0 rows" in proc.stderr and "1 unmapped" in proc.stderr and "credential-report.csv:2: IAM user user-readonly" in proc.stderr


def test_never_used_is_absent_and_unknown_use_is_unknown(tmp_path):
    rows = SAMPLE.read_text(encoding="utf-8").splitlines()
    cells = rows[1].split(",")
    cells[10] = "N/A"  # access_key_1_last_used_date: never used
    cells[3], cells[4] = "true", "no_information"  # a password used before IAM tracked it
    source = write(tmp_path, "report.csv", HEADER + "\n" + ",".join(cells) + "\n")
    proc, out = imported(tmp_path, source)
    assert proc.returncode == 0, proc.stderr
    rows = {r["id"].split("#")[1]: r for r in read_document(out).lists["credentials"]}
    assert "last_used_at" not in rows["access_key_1"]  # N/A: never used (absent means did not happen)
    assert rows["password"]["last_used_at"] == "unknown"  # no_information: unknown, never "not used"


@pytest.mark.parametrize("text, line, message", [
    ('[{"RuleID": "aws-access-token"}]\n', 1, "not an AWS IAM credential report"),
    (HEADER.replace(",cert_2_last_rotated", "") + "\n", 1, "without the column 'cert_2_last_rotated'"),
    (HEADER + "\nuser-readonly,arn:aws:iam::123456789012:user/user-readonly,2022-08-31T11:10:33+00:00\n", 2, "this row has 3 cells"),
    (HEADER + "\n" + SAMPLE.read_text(encoding="utf-8").splitlines()[1].replace("+00:00,false,true,", "+00:00,maybe,true,", 1)
     + "\n", 2, "mfa_active: expected true or false, got 'maybe'"),
    (HEADER + "\n" + ",".join(["user-readonly", "arn:aws:iam::123456789012:user/user-readonly", "x", "false", "N/A", "N/A", "N/A",
                                "false", "true", "31/08/2022"] + ["N/A"] * 12) + "\n", 2, "not an ISO 8601 time"),
])
def test_a_file_that_is_not_a_credential_report_is_one_line_and_no_output(tmp_path, text, line, message):
    source = write(tmp_path, "report.csv", text)
    proc, out = imported(tmp_path, source)
    assert_input_error(proc, f"report.csv:{line}: ", message)
    assert len(proc.stderr.strip().splitlines()) == 1 and not out.exists()


@pytest.mark.parametrize("example, kind, source, written", [
    (OBSERVED, "aws-iam-credential-report", "aws/credential-report.csv", "observed/iam.json"),
    (OBSERVED, "entra-users", "idp/entra-users.json", "observed/entra.json"),
    (CLEAN_OBSERVED, "aws-iam-credential-report", "aws/credential-report.csv", "observed/iam.json"),
])
def test_the_committed_observed_examples_are_what_import_writes_today(tmp_path, example, kind, source, written):
    out = tmp_path / "observed.json"
    proc = cli("import", kind, example / "evidence" / source, "--map", example / "identities.yaml", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text()) == json.loads((example / "evidence" / written).read_text())


def result(facts: Path, *extra):
    proc = cli("check", facts, "--format", "json", "--fail-on", "none", *extra)
    assert proc.returncode == 0, proc.stderr
    return {c["id"]: c for c in json.loads(proc.stdout)["controls"]}


def test_the_departed_developers_key_is_found_from_the_report_alone():
    assert "credentials:" not in (OBSERVED / "facts.yaml").read_text(encoding="utf-8")  # no credential typed by hand
    got = result(OBSERVED / "facts.yaml")["notice/5.2"]
    assert not [ch for ch in got["checks"] if ch["id"] == "stated-vs-observed"]  # the IdP export agrees with the facts
    assert got["verdict"] == "non-compliant"
    by_check = {ch["id"]: ch for ch in got["checks"]}
    for check in ("departed-owners-credentials-revoked", "no-use-after-departure"):
        [offender] = by_check[check]["offenders"]
        assert offender["id"] == "arn:aws:iam::210987654321:user/kim.dev#access_key_1"
        assert offender["values"]["observed at"] == "credential-report.csv:4"  # the report's row, cited
    assert by_check["no-use-after-departure"]["offenders"][0]["values"]["last_used_at"] == "2025-11-17T14:40:00+00:00"


def test_a_clean_organisation_imported_the_same_way_passes():
    proc = cli("check", CLEAN_OBSERVED / "facts.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 non-compliant" in proc.stdout and "0 insufficient-evidence" in proc.stdout


def test_a_statement_the_report_contradicts_fails_with_both_values_in_every_output(tmp_path):
    shutil.copytree(CLEAN_OBSERVED, tmp_path / "org")
    facts = tmp_path / "org" / "facts.yaml"
    key = "arn:aws:iam::345678901234:user/owner.lee#access_key_1"
    text = facts.read_text(encoding="utf-8").replace(
        "\nobserved:", f"\ncredentials:\n  - {{id: '{key}', owner: h-1, revoked_on: 2025-08-01}}\n\nobserved:", 1)
    facts.write_text(text, encoding="utf-8")  # stated as revoked in August; the report shows it active, used in November
    got = result(facts)["notice/5.2"]
    assert got["verdict"] == "non-compliant"
    [told] = [ch for ch in got["checks"] if ch["id"] == "stated-vs-observed"]
    assert {"revoked_on (stated)": "2025-08-01", "revoked_on (observed)": None,
            "observed at": "credential-report.csv:2"} in [o["values"] for o in told["offenders"]]
    # omitted, last_used_at states "never used": the report's use in November contradicts that too
    assert {"last_used_at (stated)": None, "last_used_at (observed)": "2025-11-28T01:00:00+00:00",
            "observed at": "credential-report.csv:2"} in [o["values"] for o in told["offenders"]]
    outputs = {ext: tmp_path / f"r.{ext}" for ext in ("md", "html", "sarif", "xml", "oscal.json", "txt")}
    proc = cli("check", facts, "--lang", "en", *[a for p in outputs.values() for a in ("-o", p)])
    assert proc.returncode == 1, proc.stderr
    for ext, path in outputs.items():
        shown = path.read_text(encoding="utf-8")
        assert "credential-report.csv:2" in shown, ext  # every output cites the report's row
    for ext in ("md", "html"):
        shown = outputs[ext].read_text(encoding="utf-8")
        assert "(stated)" in shown and "2025-08-01" in shown and "(observed)" in shown, ext
    korean = tmp_path / "r.ko.md"
    assert cli("report", facts, "-o", korean, "--lang", "ko").returncode == 0
    shown = korean.read_text(encoding="utf-8")
    assert "(기재)" in shown and "(관찰)" in shown and "관찰 위치" in shown and "credential-report.csv:2" in shown


def test_observed_facts_are_read_like_attachments(tmp_path):
    shutil.copytree(CLEAN_OBSERVED, tmp_path / "org")
    facts = tmp_path / "org" / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    line = text.splitlines().index("  - {path: evidence/observed/iam.json}") + 1
    facts.write_text(text.replace("evidence/observed/iam.json", "../iam.json"), encoding="utf-8")
    assert_input_error(cli("validate", facts), f"{facts}:{line}: observed[0].path: ", "'..'")
    facts.write_text(text.replace("{path: evidence/observed/iam.json}", "{path: evidence/observed/iam.json, sha256: " + "a" * 64 + "}"),
                     encoding="utf-8")
    assert_input_error(cli("check", facts), "observed[0].sha256: stated sha256 aaaaaaaaaaaa… does not match")
    facts.write_text(text, encoding="utf-8")
    (tmp_path / "org" / "evidence" / "observed" / "iam.json").write_text('{"lists": {}}', encoding="utf-8")
    assert_input_error(cli("check", facts), "iam.json:1: not observed facts")
    manifest = json.loads(cli("check", CLEAN_OBSERVED / "facts.yaml", "--format", "json").stdout)["attachments"]
    [entry] = [a for a in manifest if a["kind"] == "observed-facts"]
    assert "AWS IAM credential report (CSV): 3 rows from credential-report.csv" in entry["note"]


def test_the_access_records_join_the_observed_key_and_show_its_use_after_departure(tmp_path):
    """The third of the seed's observed sources: the token service's access records name the key by its IAM
    identity, which only the credential report states — the analysis finds it used after its owner left."""
    records = tmp_path / "records"
    ingest = cli("logs", "ingest", OBSERVED / "evidence" / "access-records-sys-auth.csv", "-o", records, "-q")
    assert ingest.returncode == 0, ingest.stderr
    derived = tmp_path / "derived.json"
    analyze = cli("logs", "analyze", records, "--facts", OBSERVED / "facts.yaml",
                  "--params", OBSERVED / "evidence" / "access-log-analysis.yaml", "-o", derived, "-q")
    assert analyze.returncode == 0, analyze.stderr
    got = result(OBSERVED / "facts.yaml", "--derived", derived)["notice/5.2"]
    [records_check] = [ch for ch in got["checks"] if ch["id"] == "access-records"]
    assert records_check["status"] == "fail"
    assert [o["id"] for o in records_check["offenders"]] == ["arn:aws:iam::210987654321:user/kim.dev#access_key_1"]


def test_dates_are_the_day_in_korea_as_the_identity_importers_count_them(tmp_path):
    """A key rotated at 20:00 UTC on 31 August was rotated on 1 September in Seoul (the facts' days)."""
    cells = SAMPLE.read_text(encoding="utf-8").splitlines()[1].split(",")
    cells[9] = "2022-08-31T20:00:00+00:00"  # access_key_1_last_rotated
    source = write(tmp_path, "report.csv", HEADER + "\n" + ",".join(cells) + "\n")
    proc, out = imported(tmp_path, source)
    assert proc.returncode == 0, proc.stderr
    [first, _] = read_document(out).lists["credentials"]
    assert first["issued_on"] == "2022-09-01"


def test_a_json_output_opening_too_many_objects_is_refused_before_parsing(tmp_path, monkeypatch, capsys):
    """512 MiB of '{},' would be 170M objects, tens of GB once parsed: counted on the bytes, refused first."""
    from compliance import cli as cli_module
    from compliance import observed

    monkeypatch.setattr(observed, "MAX_IMPORT_CONTAINERS", 1_000)
    source = write(tmp_path, "trivy.json", "[" + ",".join(["{}"] * 2_000) + "]")
    out = tmp_path / "out.json"
    assert cli_module.main(["import", "trivy", str(source), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "trivy.json: opens 2,001 objects and arrays, more than the 1,000" in err[0]
    assert not out.exists()


def test_observed_facts_naming_a_system_the_facts_do_not_list_are_refused_at_their_line(tmp_path):
    shutil.copytree(CLEAN_OBSERVED, tmp_path / "org")
    org = tmp_path / "org"
    trivy = ROOT / "tests" / "data" / "import" / "vulnerabilities" / "trivy-alpine-310.json"
    ids = write(org, "scan-map.yaml", 'systems: {"testdata/fixtures/images/alpine-310.tar.gz": sys-gone}\n')
    assert cli("import", "trivy", trivy, "--map", ids, "-o", org / "evidence/observed/trivy.json").returncode == 0
    facts = org / "facts.yaml"
    text = facts.read_text(encoding="utf-8").replace(
        "  - {path: evidence/observed/iam.json}", "  - {path: evidence/observed/iam.json}\n  - {path: evidence/observed/trivy.json}")
    facts.write_text(text, encoding="utf-8")
    line = text.splitlines().index("  - {path: evidence/observed/trivy.json}") + 1
    assert_input_error(cli("check", facts), f"{facts}:{line}: observed[1].path: evidence/observed/trivy.json names system 'sys-gone'")


def test_an_observed_system_fact_of_the_wrong_type_is_one_line_not_an_internal_error(tmp_path):
    shutil.copytree(CLEAN_OBSERVED, tmp_path / "org")
    doc = tmp_path / "org" / "evidence" / "observed" / "iam.json"
    data = json.loads(doc.read_text(encoding="utf-8"))
    data["systems"] = {"sys-booking": {"transit_encrypted": "on"}}  # edited by hand: not a yes/no form
    doc.write_text(json.dumps(data), encoding="utf-8")
    proc = cli("check", tmp_path / "org" / "facts.yaml")
    assert_input_error(proc, "iam.json: systems.sys-booking.transit_encrypted: write true or false")
    assert len(proc.stderr.strip().splitlines()) == 1
