"""Promises at the edges, each held by a test that fails when the edge moves: which incident date selects the
law, the first day of an amendment, the last day of a waiver, the 72nd hour, dash look-alikes in ids, SARIF
fingerprints per file, and access-record analyses bound only to controls that exist.

Audits run the way users run them (``python -m compliance check … --format json``) on small facts files in
temporary folders; the module API is used only where the command line cannot reach (the analyses' bindings)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from compliance.catalog import load_catalogs
from compliance.logs import analyses
from compliance.render import sarif as sarif_format

from .conftest import CATALOGS, python_module, write

NOTICE_FIVE = "[items, when-how, self-help, response, contact]"


def facts_file(tmp_path: Path, body: str, as_of: str = "2025-11-30", name: str = "facts.yaml") -> Path:
    """A facts file: ``as_of``, a minimal organisation, then ``body`` (YAML, dedented)."""
    return write(tmp_path, name, f"as_of: {as_of}\norganization: {{name: T}}\n" + textwrap.dedent(body).lstrip("\n"))


def check_json(facts: Path, *args: str) -> dict:
    """``check --format json``: the audit ran (exit 0 or 1, never an input error) and its result."""
    proc = python_module("check", facts, "--format", "json", *args)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def control(result: dict, cid: str) -> dict:
    return next(c for c in result["controls"] if c["id"] == cid)


def laws(result: dict, cid: str) -> list[tuple[str, list[str] | None]]:
    """(first day of the wording, the incidents judged under it) for each wording that judged the control."""
    return [(law["start"], law["incidents"]) for law in control(result, cid)["law"]]


def failing(result: dict, cid: str) -> dict[str, list[str]]:
    """check id -> offenders, for the checks of the control that failed."""
    checks = control(result, cid)["checks"]
    return {ch["id"]: [o["id"] for o in ch["offenders"]] for ch in checks if ch["status"] == "fail"}


def failing_ids(ctl: dict) -> set[str]:
    return {o["id"] for ch in ctl["checks"] if ch["status"] == "fail" for o in ch["offenders"]}


def clocks(result: dict) -> dict[tuple[str, str], str]:
    """(incident, deadline) -> met / missed / open / … on the incidents' timelines."""
    return {(t["id"], d["id"]): d["status"] for t in result["timelines"] for d in t["deadlines"]}


# ------------------------------------------------------------------ 1. which incident date selects the law


def test_harm_minimisation_is_judged_by_the_day_the_leak_began_not_the_day_it_became_known(tmp_path):
    """Art 34(3) (pipa/34.3, judged_by [began_on, aware_at]): a leak that began before Act 21445 (2026-09-11) is
    judged under the 2023 wording even if it became known afterwards, so the 2026 duty to attempt retrieval or
    deletion does not reach it; a leak that began after it does; without began_on, awareness decides."""
    f = facts_file(tmp_path, """
        incidents:
          - id: began-before
            began_on: 2026-09-01
            aware_at: "2026-09-20T09:00:00+09:00"
            retrieval_or_deletion_attempted: false
          - id: began-after
            began_on: 2026-09-12
            aware_at: "2026-09-20T09:00:00+09:00"
            retrieval_or_deletion_attempted: false
          - id: start-unknown
            aware_at: "2026-09-20T09:00:00+09:00"
            retrieval_or_deletion_attempted: false
        """, as_of="2026-11-25")
    result = check_json(f)
    assert laws(result, "pipa/34.3") == [
        ("2023-09-15", ["began-before"]), ("2026-09-11", ["began-after", "start-unknown"])]
    assert failing(result, "pipa/34.3") == {"retrieval-or-deletion": ["began-after", "start-unknown"]}


def test_a_possible_leak_is_judged_by_the_day_the_possibility_became_known(tmp_path):
    """Art 34(2) (pipa/34.2, judged_by [possible_leak_aware_at, aware_at]) governs possibilities known from
    2026-09-11: one known on 2026-09-08 is outside it even though the leak was confirmed on 2026-09-14, so its
    missing possible-leak notice is no finding; one known on 2026-09-12 is."""
    f = facts_file(tmp_path, """
        incidents:
          - {id: known-before, possible_leak_aware_at: "2026-09-08T09:00:00+09:00", aware_at: "2026-09-14T09:00:00+09:00"}
          - {id: known-after, possible_leak_aware_at: "2026-09-12T09:00:00+09:00", aware_at: "2026-09-14T09:00:00+09:00"}
        """, as_of="2026-11-25")
    result = check_json(f)
    assert laws(result, "pipa/34.2") == [("2026-09-11", ["known-after"])]
    assert failing(result, "pipa/34.2") == {"possible-leak-notified-72h": ["known-after"]}
    assert ("known-before", "notify-possible-leak") not in clocks(result)


def test_an_incident_without_a_stated_date_is_judged_under_the_law_of_the_as_of_date(tmp_path):
    """An incident stating none of the dates its duties are judged by (no began_on, no aware_at) is judged under
    the wording in force on the as-of date — never dropped, never an internal error."""
    f = facts_file(tmp_path, """
        incidents:
          - {id: undated, subjects_affected: 10}
        """, as_of="2026-11-25")
    result = check_json(f)
    for cid in ("pipa/34.1", "pipa/34.3", "pipa/34.4"):
        assert laws(result, cid) == [("2026-09-11", ["undated"])], cid


def test_a_possible_leak_known_only_before_art_34_2_existed_is_not_judged_under_it(tmp_path):
    """When every incident stated falls before the period Art 34(2) governs, the provision does not apply (and
    says why) rather than judging those incidents under a law that did not exist when they became known."""
    f = facts_file(tmp_path, """
        incidents:
          - {id: known-before, possible_leak_aware_at: "2026-09-08T09:00:00+09:00", aware_at: "2026-09-14T09:00:00+09:00"}
        """, as_of="2026-11-25")
    possible = control(check_json(f), "pipa/34.2")
    assert possible["verdict"] == "not-applicable" and failing_ids(possible) == set()
    assert possible["not_applicable"]["en"] == "No incident stated falls in the period this provision governs"


# ------------------------------------------------------------------ 2. an amendment on its first day


def test_an_amendment_applies_from_its_in_force_date_and_not_the_day_before(tmp_path):
    """Audited as of the day PIPC Notice 2025-9 took effect (2025-10-31), the renumbered Art 6-2(1) judges and the
    amendment is listed as applied; as of the day before, Art 6(6) judges and 2025-9 is not yet in force."""
    f = facts_file(tmp_path, "")
    for as_of, cite, applied in (("2025-10-31", "PIPC Safety Notice Art 6-2(1)", True),
                                 ("2025-10-30", "PIPC Safety Notice Art 6(6)", False)):
        result = check_json(f, "--as-of", as_of)
        assert result["as_of"] == as_of
        assert control(result, "notice/6-2.1")["cite"]["en"] == cite, as_of
        notice = next(v for v in result["law_versions"] if v["catalog"] == "pipc-notice")
        in_force = {a["id"] for a in notice["amendments"]}
        not_yet = {a["id"] for a in notice["not_yet"]}
        assert (("2025-9" in in_force), ("2025-9" in not_yet)) == (applied, not applied), as_of


def test_act_21445_is_listed_as_applied_on_its_first_day(tmp_path):
    """The report's scope lists Act 21445 (in force 2026-09-11) as applied when the as-of date is that day, and as
    not yet in force the day before."""
    f = facts_file(tmp_path, "")
    for as_of, applied in (("2026-09-11", True), ("2026-09-10", False)):
        pipa = next(v for v in check_json(f, "--as-of", as_of)["law_versions"] if v["catalog"] == "pipa")
        assert ("21445" in {a["id"] for a in pipa["amendments"]}) is applied, as_of
        assert ("21445" in {a["id"] for a in pipa["not_yet"]}) is not applied, as_of


def test_a_new_notice_replaces_the_former_ones_on_its_effective_date(tmp_path):
    """PIPC Notice 2023-6 (effective 2023-09-22) supersedes Notices 2021-2 and 2021-3: an audit as of 2023-09-22
    is judged under it, one as of 2023-09-21 still under the former notices."""
    f = facts_file(tmp_path, "")
    on_the_day = {c["id"] for c in check_json(f, "--as-of", "2023-09-22")["catalogs"]}
    day_before = {c["id"] for c in check_json(f, "--as-of", "2023-09-21")["catalogs"]}
    assert on_the_day == {"pipa", "pipc-notice"}
    assert day_before == {"pipa", "pipc-notice-2021-2", "pipc-notice-2021-3"}


def test_a_leak_known_on_the_first_day_of_the_new_wording_is_judged_under_it(tmp_path):
    """Art 34(1): awareness at 00:00 on 2026-09-11 (Act 21445's first day) brings the seven-item notice; awareness
    one minute earlier, on 2026-09-10, is judged under the 2023 wording's five items."""
    f = facts_file(tmp_path, f"""
        incidents:
          - id: first-day
            aware_at: "2026-09-11T00:00:00+09:00"
            subjects_notified_at: "2026-09-12T09:00:00+09:00"
            notice_contents: {NOTICE_FIVE}
          - id: day-before
            aware_at: "2026-09-10T23:59:00+09:00"
            subjects_notified_at: "2026-09-12T09:00:00+09:00"
            notice_contents: {NOTICE_FIVE}
        """, as_of="2026-11-25")
    result = check_json(f)
    assert laws(result, "pipa/34.1") == [("2023-09-15", ["day-before"]), ("2026-09-11", ["first-day"])]
    assert failing(result, "pipa/34.1") == {"notice-contents-seven": ["first-day"]}


def catalog_changes(start: str, end: str) -> set[tuple[str, str, str]]:
    """``catalog diff --from start --to end``: (day, control, kind) of each change listed."""
    proc = python_module("catalog", "diff", "--from", start, "--to", end, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return {(c["on"], c["control"], c["kind"]) for c in json.loads(proc.stdout)["changes"]}


def test_catalog_diff_lists_a_change_on_its_to_date_and_not_on_its_from_date():
    """`catalog diff --from A --to B` lists what changed after A up to and including B: Notice 2023-6's provisions
    (2023-09-22), the end of its addendum's deferral (2024-09-15) and Art 34(2) (2026-09-11) are listed when B is
    that day, not when A is."""
    assert ("2023-09-22", "notice/10.1", "added") in catalog_changes("2023-09-21", "2023-09-22")
    assert not {c for c in catalog_changes("2023-09-22", "2023-09-23") if c[1] == "notice/10.1"}
    assert ("2024-09-15", "notice/11", "deferral-ended") in catalog_changes("2024-09-14", "2024-09-15")
    assert catalog_changes("2024-09-15", "2024-09-16") == set()
    assert ("2026-09-11", "pipa/34.2", "added") in catalog_changes("2026-09-10", "2026-09-11")
    assert not {c for c in catalog_changes("2026-09-11", "2026-09-12") if c[1] == "pipa/34.2"}


def test_catalog_diff_dates_a_superseded_notice_by_the_day_it_stopped_applying():
    """The former notices (2021-2, 2021-3) stopped applying when Notice 2023-6 superseded them on 2023-09-22:
    a diff over 2023 says they were no longer in force from that day, not from the first day asked about."""
    removed = {(on, cid) for on, cid, kind in catalog_changes("2023-01-01", "2023-12-31") if kind == "removed"}
    assert removed and {on for on, cid in removed if cid.startswith("notice-2021-")} == {"2023-09-22"}


# ------------------------------------------------------------------ 3. a waiver's last day


DEPARTED = """
    handlers:
      - {id: h-1, left_on: 2025-01-01}
    """


def waiver_file(tmp_path: Path, expires: str, granted_on: str | None = None) -> Path:
    granted = f", granted_on: {granted_on}" if granted_on else ""
    return write(tmp_path, "waivers.yaml", "waivers:\n  - {control: notice/5.2, owner: CISO, approved_by: CPO, "
                 f"justification: 'accepted until the HR feed is live', expires: {expires}{granted}}}\n")


def test_a_waiver_still_waives_on_its_expiry_day_and_not_the_day_after(tmp_path):
    """``expires`` is the last day a waiver applies: audited on that day the finding is waived (exit status and
    dashboards treat it as accepted); one day later it is non-compliant again and the waiver shows as expired."""
    f, w = facts_file(tmp_path, DEPARTED), waiver_file(tmp_path, "2025-11-30")
    on_the_day = control(check_json(f, "--waivers", w, "--as-of", "2025-11-30"), "notice/5.2")
    assert (on_the_day["verdict"], on_the_day["underlying_verdict"], on_the_day["waiver"]["status"]) == (
        "waived", "non-compliant", "active")
    day_after = control(check_json(f, "--waivers", w, "--as-of", "2025-12-01"), "notice/5.2")
    assert (day_after["verdict"], day_after["waiver"]["status"]) == ("non-compliant", "expired")


def test_a_waiver_waives_from_the_day_it_was_granted(tmp_path):
    """``granted_on`` is the first day a waiver applies: audited that day it waives; the day before it does not."""
    f, w = facts_file(tmp_path, DEPARTED), waiver_file(tmp_path, "2025-12-31", granted_on="2025-11-30")
    assert control(check_json(f, "--waivers", w, "--as-of", "2025-11-30"), "notice/5.2")["verdict"] == "waived"
    before = control(check_json(f, "--waivers", w, "--as-of", "2025-11-29"), "notice/5.2")
    assert (before["verdict"], before["waiver"]["status"]) == ("non-compliant", "not-yet-granted")


# ------------------------------------------------------------------ 4. the 72nd hour


SEVENTY_TWO = [
    # (control, its check, its clock on the timeline, as_of, the incident, the act due within 72 h of the clock's start)
    ("pipa/34.1", "subjects-notified-72h", "notify-subjects", "2025-11-30",
     f"aware_at: '2025-10-01T09:00:00+09:00', notice_contents: {NOTICE_FIVE}", "subjects_notified_at"),
    ("pipa/34.4", "reported-72h", "report-pipc", "2025-11-30",
      "aware_at: '2025-10-01T09:00:00+09:00', subjects_affected: 5000, sensitive_or_unique: false, "
     "unlawful_external_access: false", "reported_to_pipc_at"),
    ("pipa/34.2", "possible-leak-notified-72h", "notify-possible-leak", "2026-11-25",  # law from 2026-09-11
     "possible_leak_aware_at: '2026-10-01T09:00:00+09:00', aware_at: '2026-10-06T09:00:00+09:00'",
     "possible_leak_notified_at"),
]


@pytest.mark.parametrize("cid, check, deadline, as_of, incident, act", SEVENTY_TWO, ids=[c[0] for c in SEVENTY_TWO])
def test_exactly_72_hours_is_on_time_and_one_minute_more_is_late(tmp_path, cid, check, deadline, as_of, incident, act):
    """The 72-hour duties (notify subjects, report to the PIPC or KISA, notify a possible leak) are met by an act
    exactly 72 hours after the clock starts — also when the act is stamped in another UTC offset — and missed by
    one a minute later: in the control's check and on the incident's timeline alike."""
    year = as_of[:4]  # the clock starts on 10-01 09:00 +09:00 of that year
    acts = {
        "exactly-72h": f"{year}-10-04T09:00:00+09:00",
        "72h-in-utc": f"{year}-10-04T00:00:00Z",
        "72h-and-1min": f"{year}-10-04T09:01:00+09:00",
    }
    rows = "".join(f"  - {{id: {name}, {incident}, {act}: '{at}'}}\n" for name, at in acts.items())
    result = check_json(facts_file(tmp_path, "incidents:\n" + rows, as_of=as_of))
    assert failing(result, cid).get(check) == ["72h-and-1min"]
    on_timeline = {inc: status for (inc, d), status in clocks(result).items() if d == deadline}
    assert on_timeline == {"exactly-72h": "met", "72h-in-utc": "met", "72h-and-1min": "missed"}


# ------------------------------------------------------------------ 5. dash look-alikes in ids


DASHES = {
    "\u2010": "HYPHEN",
    "\u2011": "NON-BREAKING HYPHEN",
    "\u2012": "FIGURE DASH",
    "\u2013": "EN DASH",
    "\u2014": "EM DASH",
    "\u2015": "HORIZONTAL BAR",
    "\ufe58": "SMALL EM DASH",
    "\ufe63": "SMALL HYPHEN-MINUS",
    "\uff0d": "FULLWIDTH HYPHEN-MINUS",
    "\u00ad": "SOFT HYPHEN",
}


def assert_refused(facts: Path, char: str, lines: list[int]):
    """validate and check refuse the file alike (exit 2): one FILE:LINE message for each of ``lines``, each naming
    the code point."""
    for command in ("validate", "check"):
        proc = python_module(command, facts)
        assert proc.returncode == 2, (command, proc.stdout, proc.stderr)
        said = {int(m.split(":", 2)[1]): m for m in proc.stderr.splitlines() if m.startswith(f"{facts}:")}
        assert sorted(said) == lines, (command, proc.stderr)
        assert all(f"U+{ord(char):04X}" in m for m in said.values()), (command, proc.stderr)


@pytest.mark.parametrize("char", list(DASHES), ids=list(DASHES.values()))
def test_a_dash_look_alike_in_an_id_or_a_reference_is_refused(tmp_path, char):
    """An id is compared character by character, so 'h–0042' (EN DASH) is another handler than 'h-0042': a second,
    clean row, or a key's owner, typed with a dash look-alike would silently change what is judged. Every
    non-ASCII dash is refused as input with its file, line and code point — in an id and in a reference."""
    facts = facts_file(tmp_path, f"""
        handlers:
          - {{id: h-0042}}
          - {{id: "h{char}0043"}}
        credentials:
          - {{id: k1, owner: "h{char}0042"}}
        """)
    assert_refused(facts, char, [5, 7])


def test_a_minus_sign_in_an_id_is_refused_like_a_dash(tmp_path):
    """U+2212 MINUS SIGN looks exactly like '-' (Unicode's confusables map it to '-'; word processors and PDFs
    produce it): 'h−0042' must be refused like 'h–0042', not read as a handler of its own."""
    assert_refused(facts_file(tmp_path, 'handlers:\n  - {id: "h\u22120042"}\n'), "\u2212", [4])


# ------------------------------------------------------------------ 6. SARIF fingerprints per file


def sarif_results(facts: Path) -> dict[str, dict]:
    proc = python_module("check", facts, "--format", "sarif")
    assert proc.returncode == 1, proc.stderr
    return {r["ruleId"]: r for r in json.loads(proc.stdout)["runs"][0]["results"]}


def test_sarif_fingerprints_tell_files_apart_and_survive_moved_lines(tmp_path):
    """Code scanning keys an alert on partialFingerprints: the same control failing in two facts files of one
    repository is two alerts (two fingerprints), and a finding whose line moves is still the same alert."""
    (tmp_path / ".git").mkdir()  # the repository the facts files are in (SARIF paths are relative to it)
    a = facts_file(tmp_path / "team-a", DEPARTED)
    b = facts_file(tmp_path / "team-b", DEPARTED)
    key = sarif_format.FINGERPRINT
    in_a, in_b = sarif_results(a)["notice/5.2"], sarif_results(b)["notice/5.2"]
    uri = lambda r: r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]  # noqa: E731
    line = lambda r: r["locations"][0]["physicalLocation"]["region"]["startLine"]  # noqa: E731
    assert (uri(in_a), uri(in_b)) == ("team-a/facts.yaml", "team-b/facts.yaml")
    assert in_a["partialFingerprints"][key] != in_b["partialFingerprints"][key]
    a.write_text("# two comment lines\n# move every finding down\n" + a.read_text(encoding="utf-8"), encoding="utf-8")
    moved = sarif_results(a)["notice/5.2"]
    assert line(moved) == line(in_a) + 2
    assert moved["partialFingerprints"][key] == in_a["partialFingerprints"][key]


# ------------------------------------------------------------------ 7. analyses bound to controls that exist


def all_control_ids() -> set[str]:
    return {ctl.control.id for cat in load_catalogs(CATALOGS) for ctl in cat.controls}


def test_every_access_record_analysis_informs_a_control_the_catalogs_have():
    """Each analysis of the access records names the catalog controls whose checks it informs (written into the
    derived facts by `logs analyze`): every one of them must exist, or its findings would reach no verdict."""
    known = all_control_ids()
    for spec in analyses.SPECS:
        assert spec.provision.controls, spec.id
        assert set(spec.provision.controls) <= known, (spec.id, spec.provision.controls)


@pytest.fixture(scope="module")
def derived_world(tmp_path_factory):
    """Two access records of one system, ingested and analysed as a user would: (facts, derived facts JSON)."""
    root = tmp_path_factory.mktemp("records")
    export = write(root, "export.csv", "account,timestamp,ip,system,action\n"
                   "u1,2025-03-03 10:00:00,10.0.0.1,sys,view\nu1,2025-03-04 10:00:00,10.0.0.1,sys,view\n")
    facts = write(root, "facts.yaml", "as_of: 2025-03-31\norganization: {name: X}\nsystems: [{id: sys}]\n")
    proc = python_module("logs", "ingest", export, "-o", root / "rec", "-q")
    assert proc.returncode == 0, proc.stderr
    proc = python_module("logs", "analyze", root / "rec", "--facts", facts, "-o", root / "derived.json", "-q")
    assert proc.returncode == 0, proc.stderr
    return facts, json.loads((root / "derived.json").read_text(encoding="utf-8"))


def one_item_per_analysis(doc: dict) -> dict:
    """The derived facts with one finding in every analysis (shapes as `logs analyze` writes them)."""
    at = "2025-03-20T22:00:00+09:00"
    ex = {"source": "export.csv", "line": 2, "at": at, "ip": "203.0.113.9"}
    a = doc["analyses"]
    a["retention"]["gaps"] = [{"system": "sys", "start": "2025-03-10", "end": "2025-03-14", "days": 5, "workdays": 5}]
    a["downloads"]["items"] = [{"system": "sys", "account": "u1", "downloads": 3, "unknown_size": 0,
                                "records_total": 9000, "first_at": at, "last_at": at, "example": ex}]
    a["after_departure"]["items"] = [{"principal": "u1", "kind": "account", "holder": None, "cutoff": "2025-03-01",
                                      "cutoff_reason": "u1 left on 2025-03-01", "accesses": 2, "days": 2, "addresses": 1,
                                      "systems": 1, "first_at": at, "last_at": at, "example": ex}]
    a["outside_networks"]["items"] = [{"system": "sys", "account": "u1", "ip": "203.0.113.9", "country": None,
                                       "country_source": None, "accesses": 2, "days": 2, "first_at": at, "last_at": at,
                                       "example": ex}]
    a["off_hours_bursts"]["items"] = [{"account": "u1", "day": "2025-03-20", "day_kind": "workday",
                                       "off_hours_events": 30, "events": 30, "baseline_days": 0,
                                       "baseline_off_events": 0, "baseline_mean": None}]
    a["concurrent_addresses"]["items"] = [{"account": "u1", "switches": 2, "days": 1, "first_at": at, "last_at": at,
                                           "example": ex}]
    return doc


def test_each_observation_goes_to_a_control_its_analysis_is_bound_to(derived_world):
    """Whatever an analysis finds becomes an observation for one of the controls its provision names — so a
    finding of the records is never filed under a control the analysis does not inform, or one that does not
    exist; and records that cannot support a finding make every bound control say so."""
    from compliance.facts import Facts
    from compliance.loading import validate_file
    from compliance.logs.compare import compare
    from compliance.logs.derived import DerivedFacts

    facts_path, doc = derived_world
    facts, _ = validate_file(facts_path, Facts)
    derived = DerivedFacts.model_validate(one_item_per_analysis(json.loads(json.dumps(doc))))
    known = all_control_ids()
    for sufficient in (True, False):
        derived.dataset.sufficient = sufficient
        seen = compare(facts, derived)
        bound = {name: getattr(derived.analyses, name).provision.controls for name in type(derived.analyses).model_fields}
        assert {o.analysis for o in seen} == set(bound), sufficient  # every analysis said something
        for o in seen:
            assert o.control in bound[o.analysis] and o.control in known, (sufficient, o.analysis, o.control)
        if not sufficient:
            assert {(o.analysis, o.control) for o in seen} == {(n, c) for n, cs in bound.items() for c in cs}


@pytest.mark.parametrize("sufficient", [True, False], ids=["records-sufficient", "records-insufficient"])
def test_derived_facts_binding_an_analysis_to_an_unknown_control_are_refused(tmp_path, derived_world, sufficient):
    """Derived facts are an input: the derived facts `logs analyze` wrote are accepted, but if one of their
    analyses is bound to a control no catalog has ('notice/8.9' for the retention analysis), `check --derived`
    refuses them (exit 2, naming the control) instead of dropping what that analysis found. With records too
    broken to support a finding this matters most: the binding is all that carries the insufficiency."""
    facts, doc = derived_world
    doc = json.loads(json.dumps(doc))
    doc["dataset"].update(sufficient=sufficient)
    good = write(tmp_path, "derived.json", json.dumps(doc))
    assert python_module("check", facts, "--derived", good, "--format", "json").returncode in (0, 1)
    doc["analyses"]["retention"]["provision"]["controls"] = ["notice/8.9"]
    rebound = write(tmp_path, "rebound.json", json.dumps(doc))
    proc = python_module("check", facts, "--derived", rebound, "--format", "json")
    assert proc.returncode == 2 and "notice/8.9" in proc.stderr, (proc.returncode, proc.stderr[-500:])
