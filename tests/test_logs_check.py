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


def test_the_report_says_which_working_calendar_judged_off_hours(derived, tmp_path):
    """The seed states no working calendar: the report says the public holidays and 09:00-18:00 were used, in the
    reader's language; a calendar stated in the facts is named with its hours and days."""
    for lang, said in (("en", "the organisation stated no working calendar"), ("ko", "기관의 근무 달력이 기재되지 않아")):
        proc = cli("report", SEED / "facts.yaml", "--derived", derived, "-o", tmp_path / f"r-{lang}.md", "--lang", lang)
        assert proc.returncode == 0, proc.stderr
        md = (tmp_path / f"r-{lang}.md").read_text(encoding="utf-8")
        assert said in md and "09:00" in md and "18:00" in md
    facts = tmp_path / "facts.yaml"
    text = (SEED / "facts.yaml").read_text(encoding="utf-8")
    facts.write_text(text + "\nworking_calendar:\n  holidays: [{date: 2025-05-02, name: 창립기념일}]\n"
                     "  workdays: [2025-05-05]\n  working_hours: {start: '08:30', end: '17:30'}\n", encoding="utf-8")
    for name in ("evidence", "waivers.yaml"):
        src = SEED / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    work = tmp_path / "again"
    assert cli("logs", "ingest", SEED / "evidence" / "access-records-sys-auth.csv", "-o", work).returncode == 0
    out = tmp_path / "derived-stated.json"
    proc = cli("logs", "analyze", work, "--facts", facts, "--params", SEED / "evidence" / "access-log-analysis.yaml", "-o", out)
    assert proc.returncode == 0, proc.stderr
    proc = cli("report", facts, "--derived", out, "-o", tmp_path / "stated.md", "--lang", "ko")
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "stated.md").read_text(encoding="utf-8")
    assert "기관이 기재한 근무 달력(근무시간 08:30~17:30, 기관 휴무일 1일, 휴일 근무일 1일)" in md


def test_an_output_naming_the_derived_facts_is_refused_and_they_stay(derived, tmp_path):
    copy = tmp_path / "derived.json"
    shutil.copy(derived, copy)
    before = copy.read_bytes()
    proc = cli("check", SEED / "facts.yaml", "--derived", copy, "--format", "json", "-o", copy)
    assert proc.returncode == 2 and "is an input of this run" in proc.stderr, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and copy.read_bytes() == before



def test_a_finding_lists_only_what_the_records_flag_and_in_the_reports_language():
    """Clear results belong to the access-record section, not under a duty not met; anomalies are said in both
    languages so a Korean report never shows the English sentence."""
    from compliance.evaluate import _with_observations
    from compliance.logs import derived as d
    from compliance.logs.compare import Observation
    from compliance.render import Say

    def obs(status, subject, ko, en):
        return Observation(control="notice/8.2", analysis="off_hours_bursts", subject=subject, status=status,
                           contradicts_stated=False, text=d.Text(ko=ko, en=en))

    seen = [obs("violation", "u1", "위반", "violation"), obs("clear", "sys", "이상 없음", "nothing found"),
            obs("anomaly", "u2", "평소와 다른 야간 접속", "unusual night access")]
    verdict, checks, _evidence, _why = _with_observations(("compliant", [], [], None), seen)
    (ch,) = checks
    assert verdict == "non-compliant" and [o.id for o in ch.offenders] == ["u1"]
    assert list(ch.observed) == ["off_hours_bursts u2"]  # the clear result is not part of the finding
    (value,) = ch.observed.values()
    assert Say("ko").value(value) == "평소와 다른 야간 접속" and Say("en").value(value) == "unusual night access"


def _concurrent(tmp_path, account_line):
    tmp_path.mkdir(parents=True, exist_ok=True)
    rows = []
    for d in range(3, 8):
        rows += [f"acc-1,2025-03-{d:02d} 10:00:00,10.20.0.5,sys,view", f"acc-1,2025-03-{d:02d} 10:00:40,198.51.100.23,sys,view"]
    src = tmp_path / "e.csv"
    src.write_text("account,timestamp,ip,system,action\n" + "\n".join(rows) + "\n", encoding="utf-8")
    facts = tmp_path / "facts.yaml"
    facts.write_text("as_of: 2025-03-31\norganization: {name: X}\nsystems: [{id: sys}]\n"
                     "handlers: [{id: h-1, systems: [sys]}, {id: h-2, systems: [sys]}]\n" + account_line, encoding="utf-8")
    assert cli("logs", "ingest", src, "-o", tmp_path / "rec", "-q").returncode == 0
    proc = cli("logs", "analyze", tmp_path / "rec", "--facts", facts, "-o", tmp_path / "d.json", "-q")
    assert proc.returncode == 0, proc.stderr
    result = audit(facts, CATALOGS, derived_path=tmp_path / "d.json")
    obs = [o for o in result.access_records["observations"] if o["analysis"] == "concurrent_addresses"]
    return {c.id: c for c in result.controls}["notice/5.4"], obs


def test_one_persons_account_used_from_two_networks_at_once_is_a_finding_naming_both_duties(tmp_path):
    control, obs = _concurrent(tmp_path / "a", "accounts: [{id: acc-1, system: sys, holders: [h-1]}]\n")
    assert control.verdict == "non-compliant" and obs[0]["status"] == "violation"
    assert "Art 5(4)" in obs[0]["text"]["en"] and "Art 6(1) item 2" in obs[0]["text"]["en"]
    assert "제5조제4항" in obs[0]["text"]["ko"] and "제6조제1항제2호" in obs[0]["text"]["ko"]
    shared = "accounts: [{id: acc-1, system: sys, holders: [h-1, h-2], shared_reason: 'night shift hand-over'}]\n"
    control, obs = _concurrent(tmp_path / "b", shared)
    assert not [o for o in obs if o["status"] != "clear"] and control.verdict != "non-compliant"  # shared by design


def test_a_finding_counts_every_case_not_only_the_examples_kept(tmp_path):
    """The analysis keeps `examples` items; the check still counts every one it found ("5 of 5", not "2 of 2")."""
    from .conftest import write
    rows = [f"acc-{k},2025-03-{10 + k:02d} 10:00:00,10.20.0.5,sys,view" for k in range(5)]
    src = write(tmp_path, "e.csv", "account,timestamp,ip,system,action\n" + "\n".join(rows) + "\n")
    facts = write(tmp_path, "facts.yaml", "as_of: 2025-03-31\norganization: {name: X}\nsystems: [{id: sys}]\n"
                  "handlers: [" + ", ".join(f"{{id: h-{k}, systems: [sys], left_on: 2025-03-01}}" for k in range(5)) + "]\n"
                  "accounts: [" + ", ".join(f"{{id: acc-{k}, system: sys, holders: [h-{k}]}}" for k in range(5)) + "]\n")
    params = write(tmp_path, "params.yaml", "examples: 2\n")
    assert cli("logs", "ingest", src, "-o", tmp_path / "rec", "-q").returncode == 0
    proc = cli("logs", "analyze", tmp_path / "rec", "--facts", facts, "--params", params, "-o", tmp_path / "d.json", "-q")
    assert proc.returncode == 0, proc.stderr
    result = audit(facts, CATALOGS, derived_path=tmp_path / "d.json")
    ch = next(ch for c in result.controls if c.id == "notice/5.2" for ch in c.checks if ch.id == "access-records")
    assert ch.status == "fail" and len(ch.offenders) == 2 and ch.failed == 5 and ch.in_scope == 5
    text = cli("check", facts, "--derived", tmp_path / "d.json", "--lang", "en")
    assert "5 of 5 in scope fail" in text.stdout, text.stdout


def test_records_without_the_data_subject_are_a_finding_and_a_missing_column_is_not_a_clean_zero(tmp_path):
    """Notice Art 2/8(1): every access record carries the data subject processed and the task."""
    from .conftest import write

    def run(name, header, rows):
        d = tmp_path / name
        d.mkdir()
        src = write(d, "e.csv", header + "\n" + "\n".join(rows) + "\n")
        facts = write(d, "facts.yaml", "as_of: 2025-04-30\norganization: {name: X}\nsystems: [{id: sys}]\n")
        assert cli("logs", "ingest", src, "-o", d / "rec", "-q").returncode == 0
        proc = cli("logs", "analyze", d / "rec", "--facts", facts, "-o", d / "d.json", "-q")
        assert proc.returncode == 0, proc.stderr
        result = audit(facts, CATALOGS, derived_path=d / "d.json")
        return [o for o in result.access_records["observations"] if o["analysis"] == "record_items"]

    rows = [f"acc-1,2025-03-{d:02d} 10:00:00,10.20.0.5,sys,view,cust-{d}" for d in range(3, 8)]
    blank = run("a", "account,timestamp,ip,system,action,subject", rows + ["acc-1,2025-03-10 10:00:00,10.20.0.5,sys,view,"])
    assert [o["status"] for o in blank] == ["violation"] and "1 records without the data subject" in blank[0]["text"]["en"]
    assert run("b", "account,timestamp,ip,system,action,subject", rows) == []  # all carried: clear (not listed)
    # a login processes no data subject: not lacking one; a blank task cell is a record without its task
    logins = run("d", "account,timestamp,ip,system,action,subject",
                 rows + ["acc-1,2025-03-11 09:00:00,10.20.0.5,sys,login,", "acc-1,2025-03-12 10:00:00,10.20.0.5,sys,,cust-9"])
    assert [o["status"] for o in logins] == ["violation"], logins
    assert "0 records without the data subject and 1 without the task" in logins[0]["text"]["en"]
    no_column = run("c", "account,timestamp,ip,system,action", [r.rsplit(",", 1)[0] for r in rows])
    assert [o["status"] for o in no_column] == ["insufficient"]


def test_each_thing_the_records_cannot_show_is_its_own_todo_in_the_readers_language(derived, tmp_path):
    """Three controls the records cannot judge are three entries of what is missing, each with its own control and
    the observation's Korean words, not one entry that names the first observation under all three controls; and the
    report does not follow the Korean sentence with its English."""
    result = audit(SEED / "facts.yaml", CATALOGS, SEED / "waivers.yaml", derived_path=derived)
    gaps = [t for t in result.todo if t.field == "access records"]
    assert len(gaps) >= 2 and len({t.label.en for t in gaps}) == len(gaps)
    assert all(len(t.controls) == 1 for t in gaps), [(t.label.en, t.controls) for t in gaps]
    by_control = {t.controls[0]: t for t in gaps}
    assert "제출된 접속기록 없음" in by_control["notice/8.1"].label.ko
    assert all(t.label.ko.startswith("접속기록 분석: ") and "records" not in t.label.ko for t in gaps)
    proc = cli("report", SEED / "facts.yaml", "--derived", derived, "-o", tmp_path / "r.md", "--lang", "ko")
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "(`access records: " not in md and "no access records submitted" not in md
