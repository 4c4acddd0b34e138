"""The shipped PIPC decisions as data: every figure sourced and typed, and every link to a control honest for the
decision's date (the control was the law when the violation ended, or the link is marked as the former
instrument's duty)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml

from compliance.catalog import load_catalogs, matches_control
from compliance.precedents import Precedent, PrecedentFile, control_windows, link_problems, load_precedents, relevant

from .conftest import CATALOGS

DATA = CATALOGS / "precedents" / "pipc-decisions.yaml"
URL = re.compile(r"^https?://[^\s/]+\.[^\s/]+/?\S*$")


@pytest.fixture(scope="module")
def raw():
    """The file as YAML gives it, before the model coerces anything."""
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))["precedents"]


@pytest.fixture(scope="module")
def precedents():
    return load_precedents(CATALOGS)


@pytest.fixture(scope="module")
def windows():
    return control_windows(load_catalogs(CATALOGS))


def by_id(precedents, pid) -> Precedent:
    return next(p for p in precedents if p.id == pid)


# ----------------------------------------------------------------- every figure sourced and typed


def test_every_precedent_has_a_date_sources_and_integer_amounts(raw):
    assert raw, "no precedents shipped"
    ids = [p["id"] for p in raw]
    assert len(ids) == len(set(ids)), "duplicate precedent id"
    for p in raw:
        where = p["id"]
        assert isinstance(p["decided_on"], dt.date), where
        assert isinstance(p["violation"]["until"], dt.date), where
        assert p["violation"]["until"] <= p["decided_on"], f"{where}: violation after the decision"
        assert p["sources"] and all(isinstance(u, str) and URL.match(u) for u in p["sources"]), where
        for key in ("administrative_fine_krw", "fine_krw", "subjects_affected"):
            value = p[key]  # present even when null: unknown is said, not left out
            assert value is None or (type(value) is int and value > 0), f"{where}: {key}={value!r}"
        assert p["administrative_fine_krw"] is not None or p["fine_krw"] is not None, f"{where}: no amount"
        for f in p.get("figures", []):
            assert type(f["value"]) is int and f["value"] > 0, f"{where}: figure {f['label']}"
            assert f["sources"] and all(URL.match(u) for u in f["sources"]), f"{where}: figure {f['label']}"


def test_amounts_must_be_integers_as_reported():
    """The model itself refuses a number written as text or as a float (e.g. '68억', 6.8e9)."""
    base = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    for bad in ("68억", 6.8e9, True):
        doc = {"precedents": [{**base["precedents"][0], "administrative_fine_krw": bad}]}
        with pytest.raises(ValueError):
            PrecedentFile.model_validate(doc)


def test_the_required_decisions_are_there_with_their_reported_amounts(precedents):
    skt = by_id(precedents, "pipc-2025-08-27-sktelecom")
    assert (skt.decided_on, skt.administrative_fine_krw, skt.fine_krw) == (dt.date(2025, 8, 27), 134_791_000_000, 9_600_000)
    kakao = by_id(precedents, "pipc-2024-05-22-kakao")
    assert (kakao.decided_on, kakao.administrative_fine_krw, kakao.fine_krw) == (dt.date(2024, 5, 22), 15_141_960_000, 7_800_000)
    lgu = by_id(precedents, "pipc-2023-07-12-lguplus")
    assert (lgu.administrative_fine_krw, lgu.fine_krw, lgu.subjects_affected) == (6_800_000_000, 27_000_000, 297_117)


def test_coupang_keeps_the_decisions_figures_and_the_earlier_count_labelled(precedents):
    c = by_id(precedents, "pipc-2026-06-11-coupang")
    assert c.administrative_fine_krw == 423_500_000_000 and c.subjects_affected == 37_600_000
    figures = {(f.unit, f.value): f for f in c.figures}
    assert ("KRW", 624_680_000_000) in figures and ("KRW", 201_100_000_000) in figures
    msit = figures[("records", 33_670_000)]  # the joint team's February count, kept but labelled as such
    assert "2026-02-10" in msit.label.en and "before the decision" in msit.label.en


# ----------------------------------------------------------------- links honest for the date


def test_every_link_names_a_shipped_control_in_force_when_the_violation_ended(precedents, windows):
    """A control linked under ``controls`` must be the law on the violation's last day; a link that is not (today's
    control for a duty decided under a replaced instrument) is allowed only as a successor of a former provision."""
    assert link_problems(precedents, load_catalogs(CATALOGS)) == []
    for p in precedents:
        day = p.violation.until
        for c in p.cites:
            for pat in c.controls:
                ids = [cid for cid in windows if matches_control(pat, cid)]
                assert ids, f"{p.id}: '{pat}' names no shipped control"
                for cid in ids:
                    start, end = windows[cid]
                    assert start <= day and (end is None or day < end), f"{p.id}: {cid} in force {start}..{end}, violation {day}"
            for pat in c.successors:
                assert c.former, f"{p.id}: successor '{pat}' on a provision not marked former"
                assert any(matches_control(pat, cid) for cid in windows), f"{p.id}: successor '{pat}' names no shipped control"


def test_lguplus_cites_the_former_law_and_notice_2021_3_not_todays_notice(precedents, windows):
    lgu = by_id(precedents, "pipc-2023-07-12-lguplus")
    assert lgu.violation.until < dt.date(2023, 9, 15)
    linked = [pat for c in lgu.cites for pat in c.controls]
    assert not [pat for pat in linked if pat.startswith("notice/")], linked
    assert "pipa/21.1" not in linked
    assert all(c.former for c in lgu.cites)
    safety = lgu.cites[0]
    assert "2021-3" in safety.provision.ko and "개정 전" in safety.provision.ko
    assert "2021-3" in lgu.cites_as_reported.ko  # the report's own words say which instrument applied


def test_a_decision_under_a_former_instrument_is_listed_as_such_in_the_report(precedents):
    later = relevant(precedents, ["notice/6.1"], dt.date(2026, 11, 25))
    lgu = next(p for p in later if p["id"] == "pipc-2023-07-12-lguplus")
    assert lgu["matched"] == ["notice/6.1"] and lgu["matched_via_former"] == ["notice/6.1"]
    golfzon = next(p for p in later if p["id"] == "pipc-2024-05-08-golfzon")
    assert golfzon["matched_via_former"] == []
    assert all(p["decided_on"] <= "2026-11-25" for p in later)
    assert not [p for p in relevant(precedents, ["notice/6.1"], dt.date(2025, 8, 26)) if p["id"] == "pipc-2025-08-27-sktelecom"]


# ----------------------------------------------------------------- the checks bite


def _replace(p: Precedent, **changes) -> Precedent:
    return Precedent.model_validate({**p.model_dump(by_alias=True), **changes})


def _cite(p: Precedent, i: int, **changes) -> Precedent:
    cites = [c.model_dump(by_alias=True) for c in p.cites]
    cites[i] = {**cites[i], **changes}
    return _replace(p, cites=cites)


def test_link_checks_catch_a_dishonest_link(precedents):
    catalogs = load_catalogs(CATALOGS)
    lgu = by_id(precedents, "pipc-2023-07-12-lguplus")
    # today's notice linked as if it had applied in January 2023
    assert any("notice/6.1" in m and "2023-01-31" in m for m in link_problems([_cite(lgu, 0, controls=["notice/6.1"])], catalogs))
    # pipa/21.1's window starts 2023-09-15
    assert link_problems([_cite(lgu, 1, controls=["pipa/21.1"])], catalogs)
    # a pattern reaching a control not yet in force (notice/18.x from 2027) is caught too
    golfzon = by_id(precedents, "pipc-2024-05-08-golfzon")
    assert any("notice/18.1" in m for m in link_problems([_cite(golfzon, 0, controls=["notice/*"])], catalogs))
    # an id that names nothing
    assert any("names no shipped control" in m for m in link_problems([_cite(golfzon, 0, controls=["notice/99.9"])], catalogs))
    # the former catalog's control is honest for a 2023 decision, not for a 2024 violation
    assert link_problems([_cite(lgu, 0, controls=["notice-2021-3/6-2"])], catalogs) == []
    assert link_problems([_cite(golfzon, 1, controls=["notice-2021-3/6-2"])], catalogs)


def test_successors_only_on_a_former_provision(precedents):
    golfzon = by_id(precedents, "pipc-2024-05-08-golfzon")
    with pytest.raises(ValueError, match="former provision only"):
        _cite(golfzon, 0, successors=["notice/6.1"])


def test_violation_dates_are_ordered(precedents):
    lgu = by_id(precedents, "pipc-2023-07-12-lguplus")
    with pytest.raises(ValueError, match="after violation.until"):
        _replace(lgu, violation={"from": "2024-01-01", "until": "2023-01-31", "basis": lgu.violation.basis.model_dump()})


def test_a_match_through_a_former_instrument_is_labelled_in_the_report(tmp_path):
    """LG U+ (2023) applied the pre-2023 Act and Notice 2021-3: a failing control of today's notice matches it only as
    that duty's successor, and the report says so rather than implying the decision applied today's control."""
    from .conftest import SEED, cli
    proc = cli("report", SEED / "facts.yaml", "-o", tmp_path / "r.md", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "r.md").read_text(encoding="utf-8")
    row = next(line for line in md.splitlines() if "LG" in line and line.startswith("| 2023-07-12"))
    assert "decided under the former instrument" in row
