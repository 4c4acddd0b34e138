"""Long runs say they are alive in a CI log: whole lines (no carriage returns), rate-limited; -q silences them."""

import os
import subprocess
import sys
from pathlib import Path

from .conftest import write


def run(*args, env_extra=None):
    exe = str(Path(sys.executable).parent / "pipa-audit")
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, env=env, timeout=300)


def test_progress_is_plain_lines_when_stderr_is_not_a_terminal(tmp_path):
    rows = "".join(f"u{i % 7},2025-03-{1 + i % 28:02d} 10:00:00,10.0.0.{i % 200},sys,view\n" for i in range(5000))
    src = write(tmp_path, "e.csv", "account,timestamp,ip,system,action\n" + rows)
    facts = write(tmp_path, "facts.yaml", "as_of: 2025-03-31\norganization: {name: X}\nsystems: [{id: sys}]\n")
    ingest = run("logs", "ingest", src, "-o", tmp_path / "rec", env_extra={"PIPA_AUDIT_PROGRESS_SECONDS": "0"})
    assert ingest.returncode == 0, ingest.stderr
    analyze = run("logs", "analyze", tmp_path / "rec", "--facts", facts, "-o", tmp_path / "d.json",
                  env_extra={"PIPA_AUDIT_PROGRESS_SECONDS": "0"})
    assert analyze.returncode == 0, analyze.stderr
    for proc in (ingest, analyze):
        assert "\r" not in proc.stderr and "\033[" not in proc.stderr
    assert any("rows" in line for line in ingest.stderr.splitlines())
    stages = [line for line in analyze.stderr.splitlines() if line.startswith("duckdb: ")]
    assert any("after_departure" in line for line in stages)  # one line per analysis
    quiet = run("logs", "analyze", tmp_path / "rec", "--facts", facts, "-o", tmp_path / "q.json", "-q",
                env_extra={"PIPA_AUDIT_PROGRESS_SECONDS": "0"})
    assert quiet.returncode == 0 and not [line for line in quiet.stderr.splitlines() if line.startswith("duckdb: ")]
