"""Guards found by mutation testing (benchmarks/mutation.md): `-o` naming one of this process's descriptors
writes through that descriptor, and a failed write there is one line naming the target, exit 2."""

from __future__ import annotations

import json
import os
import subprocess

from compliance.cli import main

from .conftest import CLEAN
from .test_hardening import exe


def test_output_to_dev_stderr_goes_to_stderr_not_stdout(tmp_path):
    """`-o /dev/stderr` is descriptor 2: the result goes there, standard output stays empty."""
    err = tmp_path / "stderr.txt"
    with open(err, "wb") as fh:
        proc = subprocess.run([exe(), "check", str(CLEAN / "facts.yaml"), "--format", "json", "-o", "/dev/stderr"],
                              stdout=subprocess.PIPE, stderr=fh, timeout=120)
    assert proc.returncode in (0, 1)
    assert proc.stdout == b""
    result, _ = json.JSONDecoder().raw_decode(err.read_text())  # notes on stderr may follow the result
    assert result["summary"]["total"] > 0


def test_output_to_an_open_descriptor_is_written_through_it(tmp_path, capsys):
    """`-o /proc/self/fd/N` writes the result through descriptor N (here a file); nothing on stdout."""
    target = tmp_path / "through-fd.json"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        code = main(["check", str(CLEAN / "facts.yaml"), "--format", "json", "-o", f"/proc/self/fd/{fd}"])
    finally:
        os.close(fd)
    out = capsys.readouterr()
    assert code in (0, 1), out.err
    assert out.out == ""
    assert json.loads(target.read_text())["summary"]["total"] > 0


def test_a_failed_write_to_a_descriptor_is_one_line_naming_it_exit_2(tmp_path, capsys):
    """A pipe whose reader is gone: the write fails with EPIPE; the error names the `-o` path, exit 2."""
    r, w = os.pipe()
    os.close(r)
    try:
        code = main(["check", str(CLEAN / "facts.yaml"), "--format", "json", "-o", f"/proc/self/fd/{w}"])
    finally:
        os.close(w)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.splitlines() == [f"/proc/self/fd/{w}: cannot write: Broken pipe"]
