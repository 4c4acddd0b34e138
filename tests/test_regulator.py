"""Reaching the regulator's verdict: the facts PIPC decides on, the duties it cites beside Art 29, sanctions the
way it computes them, and inputs that must never flip a failing control to compliant."""

import datetime as dt
import json
import shutil

import pytest

from compliance.examples import write_example
from compliance.loading import InputError
from compliance.pipeline import audit

from .conftest import CATALOGS, ROOT, SEED, cli, write

INTRUSION = ROOT / "examples" / "server-intrusion"


def verdicts(result):
    return {c.id: c for c in result.controls}


def one_problem(tmp_path, fragment, needle):
    facts = write_example(fragment, tmp_path)
    with pytest.raises(InputError) as exc:
        audit(facts, CATALOGS)
    messages = [str(p) for p in exc.value.problems]
    assert any(needle in m for m in messages), messages
    return messages


# ----------------------------------------------------------------- no silent pass


def test_a_second_clean_row_for_a_departed_handler_is_an_input_error(tmp_path):
    rows = [{"id": "h-0042", "left_on": "2024-12-31"}, {"id": "h-0042", "access_revoked_on": "2024-12-31", "left_on": "2024-12-31"}]
    (msg,) = one_problem(tmp_path, {"handlers": rows}, "duplicate id 'h-0042'")
    assert ":" in msg.split(": ")[0]  # file:line


def test_look_alike_characters_in_ids_and_references_are_refused(tmp_path):
    one_problem(tmp_path, {"handlers": [{"id": "h\u20110042"}]}, "U+2011")
    one_problem(
        tmp_path / "b", {"handlers": [{"id": "h-1"}], "credentials": [{"id": "k", "owner": "h\u20111"}]}, "U+2011"
    )


def test_every_cross_reference_resolves(tmp_path):
    one_problem(tmp_path, {"handlers": [{"id": "h1"}], "credentials": [{"id": "k1", "owner": "h9"}]}, "credentials[0].owner: no handler with id 'h9'")
    one_problem(tmp_path / "b", {"systems": [{"id": "s1"}], "accounts": [{"id": "a", "system": "s2"}]}, "accounts[0].system: no system with id 's2'")
    one_problem(tmp_path / "c", {"credentials": [{"id": "k1", "owner": "h1"}]}, "the file states no handlers list")


@pytest.mark.parametrize(
    "fragment, where",
    [
        ({"incidents": [{"id": "i", "subjects_affected": True}]}, "incidents[0].subjects_affected"),
        ({"incidents": [{"id": "i", "aware_at": 20251118}]}, "incidents[0].aware_at"),
        ({"handlers": [{"id": "h", "left_on": 20241231}]}, "handlers[0].left_on"),
        ({"systems": [{"id": "s", "ip_restricted": "on"}]}, "systems[0].ip_restricted"),  # YAML 1.1's word: refused
        ({"systems": [{"id": "s", "ip_restricted": 1}]}, "systems[0].ip_restricted"),
        ({"organization": {"subjects": 1.5}}, "organization.subjects"),
    ],
)
def test_no_coercion_of_bools_numbers_or_strings(tmp_path, fragment, where):
    one_problem(tmp_path, fragment, where)


def test_json_with_duplicate_keys_is_refused(tmp_path):
    f = write(tmp_path, "facts.json", '{"as_of": "2025-11-30",\n "organization": {"name": "X"},\n "as_of": "2026-01-01"}\n')
    proc = cli("check", f)
    assert proc.returncode == 2 and proc.stderr.startswith(f"{f}:3:2: duplicate key 'as_of'")  # line:column


def test_an_attestation_for_a_control_judged_on_facts_is_an_input_error(tmp_path):
    one_problem(
        tmp_path,
        {"attestations": [{"control": "notice/6.4", "attester": "X", "date": "2025-10-01", "attachment": "a", "met": True}],
         "attachments": [{"id": "a", "kind": "k", "path": "evidence/a.txt"}]},
        "judged on facts, not on an attestation",
    )


def test_nothing_in_scope_is_said_in_every_output(tmp_path):
    # nobody left or changed duties: every check of 5.2 has 0 in scope (an empty list would be "none stated")
    facts = write_example({"handlers": [{"id": "h1", "trained_on": "2025-05-01"}], "credentials": [{"id": "k1", "owner": "h1"}],
                           "attachments": [{"id": "reg", "kind": "access-rights-register", "path": "evidence/register.csv"}]}, tmp_path)
    result = audit(facts, CATALOGS)
    revocation = verdicts(result)["notice/5.2"]
    assert revocation.verdict == "compliant" and revocation.scope_note.en.startswith("compliant — 0 in scope")
    assert "0 in scope" in cli("check", facts).stdout
    assert json.loads(cli("check", facts, "--format", "json").stdout)["controls"]


def test_unknown_events_are_statable_and_never_read_as_did_not_happen(tmp_path):
    base = {"id": "i", "aware_at": "2025-10-01T09:00:00+09:00", "subjects_affected": 5000, "sensitive_or_unique": False,
            "unlawful_external_access": False, "subjects_notified_at": "2025-10-02T09:00:00+09:00",
            "notice_contents": ["items", "when-how", "self-help", "response", "contact"]}
    absent = verdicts(audit(write_example({"incidents": [base]}, tmp_path / "a"), CATALOGS))["pipa/34.4"]
    unknown = verdicts(audit(write_example({"incidents": [{**base, "reported_to_pipc_at": "unknown"}]}, tmp_path / "b"), CATALOGS))["pipa/34.4"]
    assert absent.checks[0].status == "fail"  # omitted = never reported
    assert unknown.checks[0].status == "insufficient"  # stated unknown = cannot tell


def test_awareness_moments_and_several_notices(tmp_path):
    incident = {
        "id": "i", "subjects_affected": 50, "sensitive_or_unique": False, "unlawful_external_access": False,
        "awareness": [
            {"at": "2026-10-01T09:00:00+09:00", "kind": "first-signal"},
            {"at": "2026-10-03T09:00:00+09:00", "kind": "confirmation", "starts_clock": True},
        ],
        "notices": [
            {"at": "2026-10-05T09:00:00+09:00", "kind": "confirmed", "cohort": "A", "contents": ["items", "when-how", "self-help"]},
            {"at": "2026-10-05T12:00:00+09:00", "kind": "confirmed", "cohort": "A",
             "contents": ["response", "contact", "legal-rights", "decree-items"]},
        ],
    }
    result = audit(write_example({"as_of": "2026-11-25", "incidents": [incident]}, tmp_path), CATALOGS)
    notify = verdicts(result)["pipa/34.1"]
    assert {ch.id: ch.status for ch in notify.checks} == {"subjects-notified-72h": "pass", "notice-contents-seven": "pass"}
    (tl,) = result.timelines
    assert tl.aware_at.startswith("2026-10-03T09:00")  # the moment marked as starting the clock
    two = {**incident, "awareness": [{**a, "starts_clock": True} for a in incident["awareness"]]}
    one_problem(tmp_path / "b", {"as_of": "2026-11-25", "incidents": [two]}, "more than one awareness moment")


# ----------------------------------------------------------------- the facts decisions turn on


def test_authentication_data_by_kind(tmp_path):
    key_aes = {"systems": [{"id": "s", "auth_data": [{"kind": "password", "storage": "one-way-hash", "algorithm": "bcrypt"}, {"kind": "key", "storage": "encrypted"}]}]}
    assert verdicts(audit(write_example(key_aes, tmp_path / "a"), CATALOGS))["notice/7.1"].verdict == "compliant"
    reversible = {"systems": [{"id": "s", "auth_data": [{"kind": "password", "storage": "encrypted"}]}]}
    assert verdicts(audit(write_example(reversible, tmp_path / "b"), CATALOGS))["notice/7.1"].verdict == "non-compliant"
    md5 = {"systems": [{"id": "s", "auth_data": [{"kind": "password", "storage": "one-way-hash", "algorithm": "MD5"}]}]}
    assert verdicts(audit(write_example(md5, tmp_path / "c"), CATALOGS))["notice/7.1"].verdict == "non-compliant"


def test_the_server_intrusion_example_traces_each_finding_to_its_article():
    result = audit(INTRUSION / "facts.yaml", CATALOGS)
    failing = {c.id: {ch.id for ch in c.checks if ch.status == "fail"} for c in result.controls if c.verdict == "non-compliant"}
    assert failing == {
        "notice/5.5": {"no-plaintext-secrets"},
        # Art 6(1) asks for IP restriction and a response to detected leak attempts, not internet separation
        "notice/6.1": {"leak-attempts-answered"},
        "notice/7.1": {"other-authentication-data-encrypted"},
        "notice/7.2": {"user-identifiers-encrypted"},
        "notice/8.2": {"review-cycle-kept"},
        "notice/9.1": {"servers-protected"},
        "notice/9.2": {"patch-lag", "known-vulnerabilities-fixed"},
        "pipa/21.1": {"no-production-copies-outside-production"},
        "pipa/24-2.2": {"rrn-encrypted"},  # unencrypted RRNs: one finding, under Art 24-2(2), which displaces Art 24(3)
        "pipa/34.1": {"notice-contents-seven"},
        "pipa/34.2": {"possible-leak-notified-72h"},
    }
    assert verdicts(result)["pipa/34.4"].verdict == "compliant"  # reported 18 h after the confirmation
    assert not [c for c in result.controls if c.verdict == "insufficient-evidence"]


# ----------------------------------------------------------------- sanctions as PIPC computes them


def test_cap_uses_related_or_average_revenue_less_unrelated(tmp_path):
    text = (SEED / "facts.yaml").read_text()
    shutil.copytree(SEED / "evidence", tmp_path / "evidence")

    def cap(extra):
        f = write(tmp_path, "facts.yaml", text.replace("  revenue_krw: 41000000000000\n", "  revenue_krw: 41000000000000\n" + extra))
        s = next(s for s in audit(f, CATALOGS).sanctions if s.id == "pipa/64-2.1.9-2023")
        return s.max_krw, s.basis

    assert cap("") == (1_230_000_000_000, "revenue")
    assert cap("  revenue_3y_avg_krw: 30000000000000\n  unrelated_revenue_krw: 10000000000000\n") == (600_000_000_000, "revenue-3y-average-less-unrelated")
    assert cap("  related_revenue_krw: 1000000000000\n") == (30_000_000_000, "related-revenue")


def test_precedents_citing_the_same_duties_are_shown_with_sources():
    result = audit(SEED / "facts.yaml", CATALOGS)
    ids = [p["id"] for p in result.precedents]
    decided = [p["decided_on"] for p in result.precedents]
    assert decided == sorted(decided, reverse=True) and max(decided) <= "2025-11-30"  # decided by the as-of date, newest first
    assert {"pipc-2024-05-08-golfzon", "pipc-2023-07-12-lguplus", "pipc-2024-05-22-kakao"} <= set(ids)
    assert all(p["sources"] and p["matched"] for p in result.precedents)
    later = audit(SEED / "facts.yaml", CATALOGS, as_of=dt.date(2026, 11, 25))
    assert "pipc-2026-06-11-coupang" in [p["id"] for p in later.precedents]


def test_aggravated_cap_only_where_the_grounds_are_stated(tmp_path):
    base = {"as_of": "2026-11-25", "organization": {"revenue_krw": 1_000_000_000_000},
            "systems": [{"id": "s", "ip_restricted": False}],
            "incidents": [{"id": "i", "aware_at": "2026-10-01T09:00:00+09:00", "subjects_affected": 12_000_000}]}
    ids = {s.id for s in audit(write_example(base, tmp_path / "a"), CATALOGS).sanctions}
    assert "pipa/64-2.1.9" in ids and "pipa/64-2.2" not in ids
    grounds = {**base, "incidents": [{**base["incidents"][0], "aggravating_grounds": ["intent-or-gross-negligence"]}]}
    caps = {s.id: s.max_krw for s in audit(write_example(grounds, tmp_path / "b"), CATALOGS).sanctions}
    assert caps["pipa/64-2.2"] == 100_000_000_000  # 10/100


# ----------------------------------------------------------------- waivers


def test_waiver_rules_are_the_same_in_validate_and_check(tmp_path):
    cases = {
        "no approver": ("waivers:\n  - {control: notice/6.4, owner: o, justification: 'a long enough reason', expires: 2026-03-31}\n", "approved_by"),
        "expires before granted": ("waivers:\n  - {control: notice/6.4, owner: o, justification: 'a long enough reason', approved_by: CPO, granted_on: 2026-04-01, expires: 2026-03-31}\n", "must be after granted_on"),
        "not waivable": ("waivers:\n  - {control: pipa/34.1, owner: o, justification: 'a long enough reason', approved_by: CPO, expires: 2026-03-31}\n", "cannot be waived"),
    }
    for name, (text, needle) in cases.items():
        w = write(tmp_path, f"{name.replace(' ', '-')}.yaml", text)
        for proc in (cli("validate", w), cli("check", SEED / "facts.yaml", "--waivers", w)):
            assert proc.returncode == 2 and needle in proc.stderr, (name, proc.stderr)


def test_aggravated_cap_reaches_a_leak_known_before_act_21445_but_not_ended_by_it(tmp_path):
    incident = {"id": "i", "aware_at": "2026-08-01T09:00:00+09:00", "subjects_affected": 12_000_000,
                "aggravating_grounds": ["intent-or-gross-negligence"]}
    base = {"as_of": "2026-11-25", "organization": {"revenue_krw": 1_000_000_000_000}, "systems": [{"id": "s", "ip_restricted": False}]}
    ongoing = {s.id for s in audit(write_example({**base, "incidents": [incident]}, tmp_path / "a"), CATALOGS).sanctions}
    assert "pipa/64-2.2" in ongoing  # never contained: the violation had not ended on 2026-09-11
    ended = {**incident, "contained_at": "2026-08-02T09:00:00+09:00"}
    before = {s.id for s in audit(write_example({**base, "incidents": [ended]}, tmp_path / "b"), CATALOGS).sanctions}
    assert "pipa/64-2.2" not in before and "pipa/64-2.1.9-2023" in before


def test_attestation_statements_appear_in_the_report(tmp_path):
    proc = cli("report", SEED / "facts.yaml", "-o", tmp_path / "r.md", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "r.md").read_text(encoding="utf-8")
    section = md.split("## Attestations (duties no fact can show)")[1].split("\n## ")[0]
    assert "`notice/10.1`" in section and "Park CPO" in section
    assert "Badge entry to both server rooms, entry log reviewed monthly by facilities" in section
