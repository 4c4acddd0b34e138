"""Secret scanners as observed facts: gitleaks's JSON report and TruffleHog's --json lines become the secrets list
(one row per rule and file, counted), mapped to the system the repository or folder names — and the secret values
themselves never reach the document, the console, an unmapped identity or an error message."""

import base64
import binascii
import json
from pathlib import Path

import pytest

from compliance.importers.secrets import kind_of, location_of
from compliance.observed import read_document

from .conftest import ROOT, cli, write
from .test_cli import assert_input_error

SAMPLES = ROOT / "tests" / "data" / "import" / "secrets"
JUICE_SHOP = SAMPLES / "gitleaks-juice-shop.json"
SIMPLE = SAMPLES / "gitleaks-simple.json"
TH_GIT = SAMPLES / "trufflehog-git.jsonl"
TH_FS = SAMPLES / "trufflehog-filesystem.jsonl"
TH_README = SAMPLES / "trufflehog-readme.jsonl"
MAP = """systems:
  https://github.com/Rachid1026/juice-shop: sys-shop
  github.com/trufflesecurity/test_keys: sys-keys
  github.com/jackc/pgx/v5: sys-pgx
  github.com: sys-vendored
  .git: sys-repo
  auth.py: sys-auth
"""
SECRET_FIELDS = ("Secret", "Match", "Raw", "RawV2", "Redacted", "ExtraData", "SecretParts", "StructuredData",
                 "VerificationError")
PERSONAL_FIELDS = ("Author", "Email", "email")


def imported(tmp_path, kind, source, ids: str | None = MAP):
    out = tmp_path / "observed.json"
    args = ["import", kind, source, "-o", out]
    if ids is not None:
        args += ["--map", write(tmp_path, "ids.yaml", ids)]
    return cli(*args), out


def findings(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else [json.loads(line) for line in text.splitlines() if line]


def leaves(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in leaves(v)]
    if isinstance(value, list):
        return [s for v in value for s in leaves(v)]
    return [value] if isinstance(value, str) else []


def secret_strings(records: list[dict], fields=SECRET_FIELDS) -> set[str]:
    """Every secret-bearing value of the findings (and of TruffleHog's fields nested under SourceMetadata: the
    e-mail), as written, base64-decoded where TruffleHog 3.0 wrote Raw as base64, and JSON-escaped; long values
    also by their head, middle and tail, so a value cut short in a message is caught too."""
    out = set()
    for record in records:
        values = [v for f in fields for v in leaves(record.get(f))]
        values += [v for meta in leaves(record.get("SourceMetadata")) for v in [meta] if "@" in v and " " in v]
        for value in list(values):
            try:
                values.append(base64.b64decode(value, validate=True).decode("utf-8"))
            except (binascii.Error, UnicodeDecodeError, ValueError):
                pass
        for value in values:
            if len(value) < 4:
                continue
            forms = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
            if len(value) >= 16:
                mid = len(value) // 2
                forms |= {value[:12], value[-12:], value[mid - 6:mid + 6]}
            out |= forms
    return out


def assert_nothing_of(values: set[str], *texts: str) -> None:
    for text in texts:
        leaked = sorted(v for v in values if v in text)
        assert not leaked, leaked


def test_the_gitleaks_report_gives_one_row_per_rule_and_file_with_its_count(tmp_path):
    proc, out = imported(tmp_path, "gitleaks", JUICE_SHOP)
    assert proc.returncode == 0, proc.stderr
    doc = read_document(out)  # what check reads: the facts model accepts every row
    assert doc.kind == "gitleaks" and doc.tool == "Gitleaks (JSON report)" and doc.source.name == JUICE_SHOP.name
    assert doc.lists["secrets"] == [
        {"id": "gitleaks:private-key:lib/insecurity.js", "kind": "private-key", "system": "sys-shop",
         "location": "code", "plaintext": True, "count": 2, "_at": "gitleaks-juice-shop.json#/0"},
        {"id": "gitleaks:generic-api-key:.travis.yml", "kind": "api-key", "system": "sys-shop",
         "location": "config-file", "plaintext": True, "count": 1, "_at": "gitleaks-juice-shop.json#/2"},
        {"id": "gitleaks:generic-api-key:data/static/users.yml", "kind": "api-key", "system": "sys-shop",
         "location": "config-file", "plaintext": True, "count": 1, "_at": "gitleaks-juice-shop.json#/3"},
        {"id": "gitleaks:jwt:test/server/verifySpec.ts", "kind": "token", "system": "sys-shop", "location": "code",
         "plaintext": True, "count": 2, "_at": "gitleaks-juice-shop.json#/4"},
    ]  # the repository comes from each finding's Link (…/blob/<commit>/…), mapped as written
    assert doc.unmapped == [] and "4 rows" in proc.stderr and "0 unmapped" in proc.stderr
    assert any("owner is left unknown" in n for n in doc.notes)
    assert any("count includes findings in the git history" in n for n in doc.notes)


def test_trufflehog_git_findings_are_grouped_and_their_verification_kept(tmp_path):
    proc, out = imported(tmp_path, "trufflehog", TH_GIT)
    assert proc.returncode == 0, proc.stderr
    doc = read_document(out)
    assert doc.tool == "TruffleHog (JSON lines, --json)"
    where = "github.com/trufflesecurity/test_keys:keys"
    assert doc.lists["secrets"] == [
        {"id": f"trufflehog:AWS:{where}", "kind": "api-key", "system": "sys-keys", "location": "other",
         "plaintext": True, "count": 1, "verified": True, "_at": "trufflehog-git.jsonl:1"},
        {"id": f"trufflehog:URI:{where}", "kind": "password", "system": "sys-keys", "location": "other",
         "plaintext": True, "count": 2, "verified": True, "_at": "trufflehog-git.jsonl:2"},
        {"id": f"trufflehog:PrivateKey:{where}", "kind": "private-key", "system": "sys-keys", "location": "other",
         "plaintext": True, "count": 1, "verified": True, "_at": "trufflehog-git.jsonl:3"},
    ]
    assert f"trufflehog:URI:{where}: 2 of 2 findings verified live by TruffleHog (the value worked against its " \
           "service when scanned)." in doc.notes
    assert "4 of 4 findings verified live." in doc.notes


def test_trufflehog_filesystem_findings_map_by_their_deepest_mapped_folder_and_the_rest_are_listed(tmp_path):
    proc, out = imported(tmp_path, "trufflehog", TH_FS)
    assert proc.returncode == 0, proc.stderr
    doc = read_document(out)
    assert [(r["id"], r["kind"], r["system"], r["location"], r["count"], r["_at"]) for r in doc.lists["secrets"]] == [
        ("trufflehog:URI:.git/config", "password", "sys-repo", "config-file", 1, "trufflehog-filesystem.jsonl:1"),
        ("trufflehog:Postgres:github.com/jackc/pgx/v5/pgxpool/pool.go", "db-credential", "sys-pgx", "code", 1,
         "trufflehog-filesystem.jsonl:2"),
        ("trufflehog:Postgres:github.com/jackc/pgx/v5/pgconn/config.go", "db-credential", "sys-pgx", "code", 2,
         "trufflehog-filesystem.jsonl:3"),  # lines 3 and 4: the same detector in the same file, counted
        ("trufflehog:Postgres:github.com/pressly/goose/v3/README.md", "db-credential", "sys-vendored", "other", 2,
         "trufflehog-filesystem.jsonl:5"),  # only 'github.com' is mapped above it
    ]
    assert "0 of 6 findings verified live." in doc.notes


def test_identities_that_map_to_nothing_are_listed_with_their_place_and_counted(tmp_path):
    proc, out = imported(tmp_path, "trufflehog", TH_FS, ids="systems: {github.com/jackc: sys-pgx}\n")
    assert proc.returncode == 0, proc.stderr
    doc = read_document(out)
    assert [r["id"].split(":", 2)[2] for r in doc.lists["secrets"]] == [
        "github.com/jackc/pgx/v5/pgxpool/pool.go", "github.com/jackc/pgx/v5/pgconn/config.go"]
    assert [(u.at, u.identity) for u in doc.unmapped] == [
        ("trufflehog-filesystem.jsonl:1", ".git"), ("trufflehog-filesystem.jsonl:5", "github.com")]
    assert "README.md not imported (2 findings)" in doc.unmapped[1].reason
    assert "2 rows" in proc.stderr and "2 unmapped" in proc.stderr
    assert "trufflehog-filesystem.jsonl:5: github.com: no system in the identity map" in proc.stderr
    assert "3 findings in files of no system in the identity map: listed as unmapped, not imported (map the " \
           "repository or a folder under systems:)." in doc.notes


@pytest.mark.parametrize("key", ["https://github.com/trufflesecurity/test_keys",
                                 "github.com/trufflesecurity/test_keys"])
def test_a_repository_maps_as_written_or_bare_and_its_id_is_bare(tmp_path, key):
    proc, out = imported(tmp_path, "trufflehog", TH_README, ids=f"systems: {{'{key}': sys-keys}}\n")
    assert proc.returncode == 0, proc.stderr
    [row] = read_document(out).lists["secrets"]
    assert row["id"] == "trufflehog:AWS:github.com/trufflesecurity/test_keys:keys" and row["system"] == "sys-keys"


def test_a_token_in_a_repository_url_is_not_copied(tmp_path):
    token = "ghp_R3poT0kenN0tToBeCopied0123456789ab"
    line = TH_README.read_text(encoding="utf-8").replace(
        '"repository":"https://github.com/trufflesecurity/test_keys"',
        f'"repository":"https://someone:{token}@github.com/trufflesecurity/test_keys.git"')
    source = write(tmp_path, "th.jsonl", line)
    for ids in (MAP, None):
        proc, out = imported(tmp_path, "trufflehog", source, ids=ids)
        assert proc.returncode == 0, proc.stderr
        text = out.read_text(encoding="utf-8")
        assert token not in text + proc.stdout + proc.stderr and "someone" not in text + proc.stderr
        if ids:  # mapped by its bare name: no scheme, no user, no '.git'
            [row] = read_document(out).lists["secrets"]
            assert row["id"] == "trufflehog:AWS:github.com/trufflesecurity/test_keys:keys"
    assert "https://github.com/trufflesecurity/test_keys.git" in text  # the unmapped identity, less its user info


@pytest.mark.parametrize("kind, sample", [
    ("gitleaks", JUICE_SHOP), ("gitleaks", SIMPLE), ("trufflehog", TH_GIT), ("trufflehog", TH_FS),
    ("trufflehog", TH_README)])
@pytest.mark.parametrize("ids", [MAP, None], ids=["mapped", "unmapped"])
def test_no_secret_value_and_no_committer_reaches_the_document_or_the_console(tmp_path, kind, sample, ids):
    records = findings(sample)
    values = secret_strings(records)
    personal = {v for r in records for f in PERSONAL_FIELDS for v in leaves(r.get(f)) if len(v) >= 4}
    personal |= {v for r in records for v in leaves(r.get("SourceMetadata")) if "@" in v}
    assert values and (personal or sample == TH_FS)  # the filesystem scan names no committer
    proc, out = imported(tmp_path, kind, sample, ids=ids)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert json.loads(text)["lists"]["secrets"] if ids else json.loads(text)["unmapped"]
    assert_nothing_of(values | personal, text, proc.stdout, proc.stderr)


SECRET = "AKIAQYLPMN5HHHFPZAM2"  # AWS's documented key format; not a key
SECRET_LINE = f"aws_access_key_id = {SECRET}"


@pytest.mark.parametrize("kind, text, line, message", [
    ("gitleaks", json.dumps([{"RuleID": "aws-access-token", "File": "a.py", "StartLine": 3, "Secret": "x" * 20},
                             {"RuleID": "aws-access-token", "StartLine": 9, "Secret": SECRET, "Match": SECRET_LINE}],
                            indent=1),
     8, "#/1: no 'File': every gitleaks finding states its RuleID, File and StartLine"),
    ("gitleaks", json.dumps([{"RuleID": "aws-access-token", "File": "a.py", "StartLine": SECRET, "Secret": SECRET}]),
     1, "#/0: 'StartLine' is text, expected a whole number"),
    ("gitleaks", json.dumps([{"RuleID": SECRET_LINE.encode().hex(), "File": 7, "StartLine": 1, "Secret": SECRET}]),
     1, "#/0: 'File' is a number, expected text"),
    ("gitleaks", f'[\n {{\n  "RuleID": "aws-access-token",\n  "Secret": "{SECRET}', 4,
     "not valid JSON (Unterminated string starting at"),
    ("trufflehog", TH_README.read_text(encoding="utf-8").replace('"DetectorName":"AWS",', "").replace(
        "AKIAYVP4CIPPERUVIFXG", SECRET), 1, "no 'DetectorName': every TruffleHog finding states"),
    ("trufflehog", '{"SourceMetadata":{"Data":{"Filesystem":{"file":"a.env"}}},"DetectorName":"AWS","Verified":true}\n'
                   f'{{"SourceMetadata":{{"Data":{{"Filesystem":{{"file":"b.env"}}}}}},"Raw":"{SECRET}","Verified":tru',
     2, "not a JSON object (Expecting value"),
])
def test_an_error_about_a_finding_names_its_place_and_never_its_text(tmp_path, kind, text, line, message):
    source = write(tmp_path, "scan.json", text)
    proc, out = imported(tmp_path, kind, source)
    assert_input_error(proc, f"scan.json:{line}: ", message)
    assert len(proc.stderr.strip().splitlines()) == 1 and not out.exists()
    parsed = []
    for chunk in [text, *text.splitlines()]:
        try:
            value = json.loads(chunk)
        except ValueError:
            continue
        parsed += value if isinstance(value, list) else [value]
    values = secret_strings([*parsed, {"Secret": SECRET, "Match": SECRET_LINE}])
    assert_nothing_of(values, proc.stdout, proc.stderr)
    assert SECRET_LINE.encode().hex()[:16] not in proc.stderr


@pytest.mark.parametrize("kind, text, line, message", [
    ("gitleaks", "", 0, "empty file: a gitleaks JSON report is a JSON array of findings"),
    ("gitleaks", '{"RuleID": "x"}', 1, "expected a JSON array of findings (gitleaks git|dir --report-format json), "
                                       "found an object"),
    ("gitleaks", '{"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": []}', 1,
     "this is SARIF"),
    ("gitleaks", TH_README.read_text(encoding="utf-8"), 1, "this is TruffleHog's output: import it as 'trufflehog'"),
    ("gitleaks", json.dumps([{"line": "k = v", "lineNumber": 1, "offender": "v", "rule": "AWS Access Key",
                              "file": "a.py", "commit": "", "repo": "."}], indent=4), 2,
     "#/0: not a gitleaks 8 finding: this is a gitleaks 7 report"),
    ("gitleaks", json.dumps([{"RuleID": "a", "File": "a.py", "StartLine": 1}, ["not", "a", "finding"]], indent=1), 7,
     "#/1: a finding is an object, not a list"),
    ("gitleaks", json.dumps([{"RuleID": "", "File": "a.py", "StartLine": 1}]), 1, "#/0: 'RuleID' is empty"),
    ("gitleaks", b'[{"RuleID": "a",\n "File": "caf\xe9.py", "StartLine": 1}]', 2, "not UTF-8 text (byte 30)"),
    ("trufflehog", JUICE_SHOP.read_text(encoding="utf-8"), 1,
     "this is a gitleaks JSON report: import it as 'gitleaks'"),
    ("trufflehog", '{"level":"info-0","ts":"2024-10-18T04:59:55Z","logger":"trufflehog","msg":"running source"}\n', 1,
     "a TruffleHog log line, not a finding"),
    ("trufflehog", '{"branch": "origin/dev", "commitHash": "288f35e", "diff": "@@", "path": "a.py", "reason": "AWS", '
                   '"stringsFound": ["x"]}\n', 1, "this is TruffleHog 2 output"),
    ("trufflehog", '{"SourceMetadata":{"Data":{"Git":{"file":"a.py"}}},"DetectorName":"AWS"}\n', 1, "no 'Verified'"),
    ("trufflehog", '{"SourceMetadata":{"Data":{"Git":{"file":"a.py"}}},"DetectorName":"AWS","Verified":"true"}\n', 1,
     "'Verified' is text, expected true/false"),
    ("trufflehog", '{"SourceMetadata":{"Data":{"Git":{},"S3":{}}},"DetectorName":"AWS","Verified":false}\n', 1,
     "'SourceMetadata.Data' is not an object naming one source"),
    ("trufflehog", '\n\n{"SourceMetadata":{"Data":{"Git":{"file":7}}},"DetectorName":"AWS","Verified":false}\n', 3,
     "'SourceMetadata.Data.Git.file' is a number, expected text"),
    ("trufflehog", '[1, 2]\n', 1, "not TruffleHog's --json lines"),
])
def test_input_that_is_not_the_format_is_one_located_line_and_no_output(tmp_path, kind, text, line, message):
    source = tmp_path / "scan.json"
    source.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    proc, out = imported(tmp_path, kind, source)
    assert_input_error(proc, f"scan.json:{line}: " if line else "scan.json: ", message)
    assert len(proc.stderr.strip().splitlines()) == 1 and not out.exists()


def test_a_path_that_holds_the_value_itself_is_withheld_not_copied(tmp_path):
    value = "hunter2-Pa55w0rd-qq"
    report = [{"RuleID": "generic-api-key", "File": f"backup/{value}/app.env", "StartLine": 1, "Secret": value},
              {"RuleID": "generic-api-key", "File": "backup/app.env", "StartLine": 2, "Secret": "other-value-xyz"}]
    source = write(tmp_path, "gitleaks.json", json.dumps(report))
    proc, out = imported(tmp_path, "gitleaks", source, ids="systems: {backup: sys-backup}\n")
    assert proc.returncode == 0, proc.stderr
    doc = read_document(out)
    assert [r["id"] for r in doc.lists["secrets"]] == ["gitleaks:generic-api-key:backup/app.env"]
    assert [(u.at, u.identity) for u in doc.unmapped] == [
        ("gitleaks.json#/0", "gitleaks:generic-api-key: (path withheld)")]
    assert value not in out.read_text(encoding="utf-8") + proc.stdout + proc.stderr


def test_a_finding_that_names_no_file_is_listed_not_dropped(tmp_path):
    gitleaks = write(tmp_path, "stdin.json", json.dumps([{"RuleID": "jwt", "File": "", "StartLine": 1, "Secret": "s"}]))
    proc, out = imported(tmp_path, "gitleaks", gitleaks)
    assert proc.returncode == 0, proc.stderr
    doc = read_document(out)
    assert doc.lists["secrets"] == [] and [(u.at, u.identity) for u in doc.unmapped] == [
        ("stdin.json#/0", "gitleaks:jwt in standard input")]
    slack = write(tmp_path, "slack.jsonl", '{"SourceMetadata":{"Data":{"Slack":{"channel_name":"ops",'
                                           '"link":"https://x"}}},"DetectorName":"Slack","Verified":true,'
                                           '"Raw":"xoxb-0"}\n')
    proc, out = imported(tmp_path, "trufflehog", slack)
    assert proc.returncode == 0, proc.stderr
    [u] = read_document(out).unmapped
    assert (u.at, u.identity) == ("slack.jsonl:1", "trufflehog:Slack in Slack") and "names no file" in u.reason


@pytest.mark.parametrize("kind, text", [("gitleaks", "[]\n"), ("gitleaks", "null\n"), ("trufflehog", "")])
def test_a_scan_that_found_nothing_imports_no_rows(tmp_path, kind, text):
    proc, out = imported(tmp_path, kind, write(tmp_path, "scan.json", text))
    assert proc.returncode == 0, proc.stderr
    doc = read_document(out)
    assert doc.lists["secrets"] == [] and doc.unmapped == []
    assert any("found 0 findings" in n for n in doc.notes)


def test_utf16_from_powershell_and_crlf_lines_read_as_the_same_findings(tmp_path):
    text = TH_GIT.read_text(encoding="utf-8").replace("\n", "\r\n")
    source = tmp_path / "th.jsonl"
    source.write_bytes(text.encode("utf-16"))  # with its byte order mark, as Windows PowerShell's '>' writes
    proc, out = imported(tmp_path, "trufflehog", source)
    assert proc.returncode == 0, proc.stderr
    assert [(r["id"], r["count"]) for r in read_document(out).lists["secrets"]] == [
        ("trufflehog:AWS:github.com/trufflesecurity/test_keys:keys", 1),
        ("trufflehog:URI:github.com/trufflesecurity/test_keys:keys", 2),
        ("trufflehog:PrivateKey:github.com/trufflesecurity/test_keys:keys", 1)]


def test_a_secret_row_has_no_event_field_to_leave_unknown_and_leaves_owner_out():
    """Silence is never a verdict: a Secret field whose absence means "did not happen" would have to be written
    'unknown' here. There is none today; if facts.Secret gains one, this importer must write it."""
    from compliance.facts import Secret

    events = [n for n, f in Secret.model_fields.items() if (f.json_schema_extra or {}).get("absent") == "none"]
    assert events == []
    assert set(Secret.model_fields) - {"id", "kind", "system", "location", "plaintext", "count", "verified"} == {"owner"}


@pytest.mark.parametrize("rule, kind", [
    ("aws-access-token", "api-key"), ("AWS", "api-key"), ("generic-api-key", "api-key"), ("private-key", "private-key"),
    ("PrivateKey", "private-key"), ("GCP", "private-key"), ("github-pat", "token"), ("digitalocean-pat", "token"),
    ("Github", "token"), ("slack-webhook-url", "token"), ("jwt", "token"), ("Postgres", "db-credential"),
    ("JDBC", "db-credential"), ("planetscale-password", "db-credential"), ("URI", "password"),
    ("hashicorp-tf-password", "password"), ("mailgun-signing-key", "signing-key"), ("stripe-access-token", "token"),
    ("Stripe", "api-key"), ("adobe-client-id", "other"), ("Box", "other"), ("test-rule", "other"),
    ("CustomRegex", "other"),
])
def test_the_kind_is_read_from_the_rule_or_detector_name(rule, kind):
    assert kind_of(rule) == kind


@pytest.mark.parametrize("path, location", [
    ("src/app/config.py", "code"), ("lib/insecurity.js", "code"), ("infra/main.tf", "code"),
    ("config/.env", "config-file"),
    (".env.production", "config-file"), ("deploy/prod.env", "config-file"), (".travis.yml", "config-file"),
    ("app/settings.JSON", "config-file"), ("conf/app.properties", "config-file"), ("pyproject.toml", "config-file"),
    (".git/config", "config-file"), ("nested.tar.gz!archives/files.tar!files/.env.prod", "config-file"),
    ("keys", "other"), ("README.md", "other"), ("certs/server.pem", "other"), ("C:\\work\\web.config", "config-file"),
])
def test_the_location_is_read_from_the_file_name(path, location):
    assert location_of(path) == location
