"""`pipa-audit check` ends without freeing what it built (``cli.run``: ``os._exit``), and only after every output is
written, flushed and closed: what a user reads from the pipe and the files is whole, and the exit code is the
verdict's."""

from __future__ import annotations

import json

from compliance.cli import main
from tests.conftest import SEED, cli


def _same(doc: dict) -> dict:
    doc.pop("generated_at", None)
    return doc


def test_standard_output_is_whole_when_check_ends_fast(capsys):
    proc = cli("check", SEED / "facts.yaml", "--format", "json")
    assert proc.returncode == 1, proc.stderr  # the seed fails duties: the code is the verdict's
    assert len(proc.stdout) > 65536  # more than a pipe's buffer: a write left in Python's buffer would be lost
    assert main(["check", str(SEED / "facts.yaml"), "--format", "json"]) == 1
    assert _same(json.loads(proc.stdout)) == _same(json.loads(capsys.readouterr().out))


def test_output_files_are_whole_when_check_ends_fast(tmp_path):
    proc = cli("check", SEED / "facts.yaml", "--fail-on", "none", "-o", tmp_path / "r.json", "-o", tmp_path / "r.sarif")
    assert proc.returncode == 0, proc.stderr
    assert main(["check", str(SEED / "facts.yaml"), "--fail-on", "none", "-o", str(tmp_path / "in.json")]) == 0
    assert _same(json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))) == \
        _same(json.loads((tmp_path / "in.json").read_text(encoding="utf-8")))
    assert json.loads((tmp_path / "r.sarif").read_text(encoding="utf-8"))["runs"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.json", "r.json", "r.sarif"]  # no temporary file left


def test_the_facts_are_kept_to_the_end_unless_a_pdf_needs_the_memory(tmp_path, monkeypatch):
    """A check keeps its facts until the process ends (freeing a million rows one by one only costs time); before a
    PDF's layout it lets them go (a 1M-row check's PDF peaked at 3.2 GB beside its facts, 2.2 GB without)."""
    from compliance import cli as cli_module
    from compliance.evaluate import Inputs

    import gc

    monkeypatch.setattr(cli_module, "_ENDING", True)
    try:
        for name, kept in (("r.json", True), ("r.pdf", False)):
            monkeypatch.setattr(cli_module, "_KEPT", [])
            assert main(["check", str(SEED / "facts.yaml"), "--fail-on", "none", "-o", str(tmp_path / name)]) == 0
            assert any(isinstance(o, Inputs) for o in cli_module._KEPT) is kept, name
            assert cli_module._KEPT and (tmp_path / name).stat().st_size > 1000
    finally:
        gc.enable()  # main leaves the collector off when it keeps what it built (the process was to end)
