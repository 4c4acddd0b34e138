"""Paired timing of child processes: a command and its baseline run in turn, each run's CPU seconds (user + system)
as the operating system accounts the finished child, so a busy machine slows both alike."""

from __future__ import annotations

import os
import statistics
import subprocess

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""Children run with bytecode caching on, as an install does (see bench_targets.py)."""


def cpu_paired(a: list[str], b: list[str], runs: int, codes: tuple[int, ...] = (0,), cwd=None) -> tuple[float, float, float, int]:
    """Median CPU seconds of ``a`` and of ``b`` run in turn ``runs`` times, the median of the pairs' ratios, and a's
    largest peak RSS in MB. An exit code outside ``codes`` stops the measure with the child's error output."""
    ta, tb, peak = [], [], 0
    for _ in range(runs):
        for cmd, kept in ((a, ta), (b, tb)):
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, cwd=cwd)
            err = proc.stderr.read().decode("utf-8", "replace")
            proc.stderr.close()
            _, status, usage = os.wait4(proc.pid, 0)
            code = os.waitstatus_to_exitcode(status)
            if code not in codes:
                raise SystemExit(f"{' '.join(cmd)}: exit {code}\n{err}")
            kept.append(usage.ru_utime + usage.ru_stime)
            if kept is ta:
                peak = max(peak, usage.ru_maxrss // 1024)
    return statistics.median(ta), statistics.median(tb), statistics.median(x / y for x, y in zip(ta, tb)), peak
