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


def test_a_pdf_lays_out_after_the_result_is_freed_and_every_other_output_is_whole(tmp_path, monkeypatch):
    """The last PDF of a check takes the result and lets go of it once its HTML is made: a 1M-row audit's 870,000
    offenders (1 GB) no longer sit beside WeasyPrint's layout (2.2 GB peak before). The other outputs, rendered
    first, and the exit code are what they are without a PDF, and the PDF is the one ``render_pdf`` makes."""
    import gc
    import weakref

    from compliance import cli as cli_module
    from compliance import pipeline
    from compliance.render import pdf

    made, alive_at_layout = [], []
    evaluate, layout = pipeline.evaluate, pdf._layout

    def remembering(inputs):
        result = evaluate(inputs)
        made.append(weakref.ref(result))
        return result

    def spying(*args):
        alive_at_layout.append(made[-1]() is not None)
        return layout(*args)

    monkeypatch.setattr(pipeline, "evaluate", remembering)
    monkeypatch.setattr(pdf, "_layout", spying)
    monkeypatch.setattr(cli_module, "_ENDING", True)
    monkeypatch.setattr(cli_module, "_KEPT", [])
    facts = str(SEED / "facts.yaml")
    try:
        code = main(["check", facts, "-o", str(tmp_path / "a.pdf"), "-o", str(tmp_path / "r.json"),
                     "-o", str(tmp_path / "b.pdf"), "-o", str(tmp_path / "r.sarif")])
        assert main(["check", facts, "-o", str(tmp_path / "alone.json"), "-o", str(tmp_path / "alone.sarif")]) == code == 1
    finally:
        gc.enable()
    assert alive_at_layout == [True, False]  # the first PDF reads it; the last one lays out without it
    assert _same(json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))) == \
        _same(json.loads((tmp_path / "alone.json").read_text(encoding="utf-8")))
    assert (tmp_path / "r.sarif").read_bytes() == (tmp_path / "alone.sarif").read_bytes()
    from compliance.pipeline import audit
    from compliance.catalog import default_catalog_dir

    whole = pdf.render_pdf(audit(facts, default_catalog_dir()), "ko")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes() == whole
