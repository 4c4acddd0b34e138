"""Off-hours bursts measured against ground truth: an intruder's months of nightly use must not become the baseline
that hides them, and a public holiday the whole organisation worked must not flag everyone."""

import json

from compliance.logs import synthetic

from .conftest import cli


def flagged(tmp_path):
    root, truth = synthetic.write_burst_world(tmp_path / "world")
    assert cli("logs", "ingest", root / "export.csv", "-o", root / "rec", "-q").returncode == 0
    proc = cli("logs", "analyze", root / "rec", "--facts", root / "facts.yaml", "--params", root / "params.yaml",
               "-o", root / "d.json", "-q")
    assert proc.returncode == 0, proc.stderr
    items = json.loads((root / "d.json").read_text())["analyses"]["off_hours_bursts"]["items"]
    return {(b["account"], b["day"]) for b in items}, truth


def test_bursts_find_the_intruders_nights_and_not_the_worked_holidays(tmp_path):
    got, truth = flagged(tmp_path)
    hits = got & truth
    precision, recall = len(hits) / max(len(got), 1), len(hits) / len(truth)
    assert recall >= 0.95, (recall, sorted(truth - got)[:5])
    assert precision >= 0.95, (precision, sorted(got - truth)[:5])
    worked = {d.isoformat() for d in synthetic.WORKED_HOLIDAYS}
    assert not [g for g in got if g[1] in worked]  # everyone worked those days: nobody stands out
