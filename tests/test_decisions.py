"""Real PIPC decisions, encoded by hand from public reporting (tests/decisions/<decision id>/), audited as they stand:
how many of the regulator's findings the audit reproduces, and that it finds nothing the regulator did not (issue 20).

Each case is two files. ``facts.yaml`` states only what the reports support, each fact in the field meant for it
(its header cites the sources, fact by fact); where the reports are silent the fact is left out, so a duty that turns
on it is insufficient evidence, never a pass or a failure. ``expected.yaml`` lists the decision's findings as
reported, the controls that judge each (``via: successor`` where the decision applied an instrument since replaced
and today's control judges the same duty), ``why_missed`` for each expected control the audit does not find failing,
``not_modelled`` for findings no control models (reported, not counted), and the penalty provisions the result must
engage (``sanctions``).

Counted: a control is *reproduced* when its verdict is non-compliant; *unsupported* when it is non-compliant and no
finding names it. The honest rate is below the issue's 90 %: FLOOR is the measured rate, rounded down, so the suite
fails if an encoding or a change of the catalogs loses a finding, and ``why_missed`` says what each miss needs.
Run with ``-s`` for the per-case figures.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import pytest
import yaml

from compliance.catalog import load_catalogs, matches_control
from compliance.pipeline import audit
from compliance.precedents import load_precedents

from .conftest import CATALOGS

DECISIONS = Path(__file__).resolve().parent / "decisions"
CASES = sorted(p.name for p in DECISIONS.iterdir() if (p / "facts.yaml").is_file())
FLOOR = 0.84
"""The measured rate (22 of 26 expected controls, 0.846; 18 of 26 before data stores, devices beyond the VPN and the
officer's remit were judged), rounded down to the hundredth: the issue's target is 0.9."""
URL = re.compile(r"https?://\S+")


def _expected(case: str) -> dict:
    return yaml.safe_load((DECISIONS / case / "expected.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict]:
    out = {}
    for case in CASES:
        exp = _expected(case)
        result = audit(DECISIONS / case / "facts.yaml", CATALOGS)
        verdicts = {c.id: c.verdict for c in result.controls}
        expected = {cid: f.get("via", "direct") for f in exp["findings"] for cid in f["controls"]}
        failing = {cid for cid, v in verdicts.items() if v == "non-compliant"}
        out[case] = {
            "exp": exp,
            "result": result,
            "verdicts": verdicts,
            "expected": expected,
            "reproduced": sorted(set(expected) & failing),
            "missed": sorted(set(expected) - failing),
            "unsupported": sorted(failing - set(expected)),
        }
    return out


def test_there_are_cases_and_each_is_a_shipped_decision_audited_on_its_date():
    assert len(CASES) >= 6, CASES
    decisions = {p.id: p for p in load_precedents(CATALOGS)}
    for case in CASES:
        exp = _expected(case)
        assert exp["decision"] == case, f"{case}: expected.yaml names {exp['decision']}"
        assert case in decisions, f"{case}: not in controls/precedents/"
        facts = yaml.safe_load((DECISIONS / case / "facts.yaml").read_text(encoding="utf-8"))
        as_of = facts["as_of"]
        decided = decisions[case].decided_on
        assert as_of in (decided, decided - dt.timedelta(days=1)), f"{case}: as_of {as_of}, decided on {decided}"


def test_every_facts_file_cites_its_sources():
    for case in CASES:
        text = (DECISIONS / case / "facts.yaml").read_text(encoding="utf-8")
        header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
        assert len(URL.findall(header)) >= 2, f"{case}: the header comment must cite the reports the facts come from"


def test_expected_controls_exist_and_every_finding_says_what_it_is():
    known = {c.control.id for cat in load_catalogs(CATALOGS) for c in cat.controls}
    for case in CASES:
        exp = _expected(case)
        assert exp["findings"], case
        for f in exp["findings"]:
            assert f["finding"] and f["provision"] and f["basis"] in ("reported", "inferred", "not-verified"), (case, f)
            assert f.get("via", "direct") in ("direct", "successor"), (case, f)
            for cid in f["controls"]:
                assert cid in known, f"{case}: no control {cid}"
        for f in exp.get("not_modelled") or []:
            assert f["finding"] and f["provision"] and f["why"], (case, f)


def test_no_unsupported_finding(outcomes):
    """Every control the audit finds failing is one the decision found: the facts state nothing that breaks a duty the
    regulator did not find broken."""
    unsupported = {case: o["unsupported"] for case, o in outcomes.items() if o["unsupported"]}
    assert not unsupported, unsupported


def test_reproduction_rate(outcomes):
    total = sum(len(o["expected"]) for o in outcomes.values())
    hit = sum(len(o["reproduced"]) for o in outcomes.values())
    direct = [(case, cid) for case, o in outcomes.items() for cid, via in o["expected"].items() if via == "direct"]
    direct_hit = sum(1 for case, cid in direct if cid in outcomes[case]["reproduced"])
    print()
    for case, o in outcomes.items():
        n = len(o["expected"])
        print(f"{case:42} {len(o['reproduced'])}/{n}  reproduced {o['reproduced']}  missed {o['missed']}"
              f"  not modelled {len(o['exp'].get('not_modelled') or [])}")
        for cid in o["missed"]:
            print(f"    miss {cid} ({o['verdicts'].get(cid)}): {o['exp'].get('why_missed', {}).get(cid)}")
    print(f"overall {hit}/{total} = {hit / total:.3f} (direct links only {direct_hit}/{len(direct)} = "
          f"{direct_hit / len(direct):.3f}); floor {FLOOR}, issue target 0.9")
    assert hit / total >= FLOOR
    # the floor is the measured rate rounded down: raise it when a miss is fixed
    assert math.floor(hit / total * 100) / 100 == FLOOR, f"the rate is now {hit / total:.3f}: update FLOOR"


def test_each_miss_is_the_documented_one(outcomes):
    """``why_missed`` names exactly the expected controls the audit does not find failing, so the reasons stay true."""
    for case, o in outcomes.items():
        documented = set((o["exp"].get("why_missed") or {}))
        assert documented == set(o["missed"]), f"{case}: missed {o['missed']}, documented {sorted(documented)}"
        for cid in o["missed"]:  # a miss is never a false pass on a stated failure: it lacks evidence or scope
            assert o["verdicts"][cid] in ("insufficient-evidence", "compliant", "not-applicable"), (case, cid)


def test_sanctions_engage_the_regime_the_decision_applied(outcomes):
    for case, o in outcomes.items():
        engaged = {s.id: s for s in o["result"].sanctions}
        for want in o["exp"].get("sanctions") or []:
            assert want["id"] in engaged, f"{case}: {want['id']} not engaged ({want['why']}); engaged {sorted(engaged)}"
            s = engaged[want["id"]]
            assert set(s.triggered_by) <= set(o["reproduced"]), (case, s.id, s.triggered_by)


def test_the_report_lists_the_decision_itself(outcomes):
    """Where a control the precedent file links fails, the report shows that decision among the precedents."""
    decisions = {p.id: p for p in load_precedents(CATALOGS)}
    for case, o in outcomes.items():
        p = decisions[case]
        links = [pat for c in p.cites for pat in [*c.controls, *c.successors]]
        if any(matches_control(pat, cid) for pat in links for cid in o["reproduced"]):
            assert case in {d["id"] for d in o["result"].precedents}, case
