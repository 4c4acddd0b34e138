"""Every control of every shipped catalog, proved on its own examples: one compliant fact set, one
non-compliant. The examples live in the catalogs (they also feed `catalog docs`)."""

import datetime as dt

import pytest

from compliance.catalog import load_catalogs
from compliance.examples import write_example
from compliance.loading import InputError
from compliance.pipeline import audit

from .conftest import CATALOGS

CONTROLS = [(cat, ctl) for cat in load_catalogs(CATALOGS) for ctl in cat.controls]


def test_every_control_carries_examples():
    missing = [ctl.control.id for _, ctl in CONTROLS if not ctl.control.example_sets]
    assert missing == []


def test_every_wording_window_of_a_control_with_checks_has_examples():
    """A control whose checks change with the law shows each version on its own examples."""
    gaps = []
    for _, ctl in CONTROLS:
        dates = {e.as_of or dt.date(2025, 11, 30) for e in ctl.control.example_sets}
        windows_with_checks = {tuple(sorted(cc.check.id for cc in ctl.checks_at(w.start))) for w in ctl.wordings}
        if len(windows_with_checks) > 1 and len({tuple(sorted(cc.check.id for cc in ctl.checks_at(d))) for d in dates}) < len(windows_with_checks):
            gaps.append(ctl.control.id)
    assert gaps == []


@pytest.mark.parametrize("cat, ctl", CONTROLS, ids=[ctl.control.id for _, ctl in CONTROLS])
def test_control_examples_give_their_verdicts(tmp_path, cat, ctl):
    c = ctl.control
    for n, ex in enumerate(c.example_sets):
        for kind, expected in (("compliant", "compliant"), ("non_compliant", "non-compliant")):
            fragment = getattr(ex, kind)
            if ex.as_of is not None:
                fragment = {**fragment, "as_of": ex.as_of.isoformat()}
            facts = write_example(fragment, tmp_path / f"{n}-{kind}")
            result = audit(facts, CATALOGS)
            got = next(r for r in result.controls if r.id == c.id)
            assert got.verdict == expected, (ex.as_of, kind, [(ch.id, ch.status, [m.path for m in ch.missing]) for ch in got.checks])


def test_attestation_needs_attester_recent_date_and_document(tmp_path):
    base = {"control": "notice/10.1", "attester": "Choi", "date": "2025-10-15", "attachment": "door", "met": True}
    att = [{"id": "door", "kind": "entry-log", "path": "evidence/door.csv"}]

    def verdict(attestation, attachments=att):
        facts = write_example({"attestations": [attestation], "attachments": attachments}, tmp_path / str(len(list(tmp_path.iterdir()))))
        return next(r for r in audit(facts, CATALOGS).controls if r.id == "notice/10.1")

    assert verdict(base).verdict == "compliant"
    assert verdict({**base, "attester": ""}).verdict == "insufficient-evidence"
    assert verdict({**base, "date": "2024-10-15"}).verdict == "insufficient-evidence"  # older than 365 days
    assert verdict({**base, "date": "2025-12-15"}).verdict == "insufficient-evidence"  # after the as-of date
    no_document = {k: v for k, v in base.items() if k != "attachment"}
    assert verdict(no_document, attachments=[]).verdict == "insufficient-evidence"
    with pytest.raises(InputError, match="no attachment with id 'door'"):  # a dangling id is a typo, not a gap
        verdict(base, attachments=[])
    gap = verdict({**base, "met": False})
    assert gap.verdict == "non-compliant" and gap.checks[-1].observed["attester"] == "Choi"
    none = next(r for r in audit(write_example({}, tmp_path / "none"), CATALOGS).controls if r.id == "notice/10.1")
    assert none.verdict == "insufficient-evidence"
    assert none.checks[-1].missing[0].path == "attestations[control=notice/10.1]"


def test_applicability_tiers_say_why_not(tmp_path):
    small = write_example({"organization": {"size": "small", "subjects": 50000, "daily_users_avg": 10, "kind": "private"}}, tmp_path / "s")
    by_id = {c.id: c for c in audit(small, CATALOGS).controls}
    assert by_id["notice/11"].verdict == "not-applicable"
    assert by_id["notice/11"].not_applicable.en.startswith("Below the size thresholds")
    assert by_id["notice/6-2.1"].verdict == "not-applicable"
    # a private body is outside Chapter 3 even though public_system_operator is not stated
    assert by_id["notice/15"].verdict == "not-applicable"
    public = write_example({"organization": {"kind": "public"}}, tmp_path / "p")
    by_id = {c.id: c for c in audit(public, CATALOGS).controls}
    assert by_id["notice/15"].verdict == "insufficient-evidence"
    assert by_id["notice/15"].checks[0].missing[0].path == "organization.public_system_operator"
