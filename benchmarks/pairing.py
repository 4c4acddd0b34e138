"""Paired timing for the benchmark scripts: a baseline and the code measured, run in turn."""

import time


def best_of(baseline, importer, runs: int = 3) -> tuple[float, float]:
    """Best time of each, the two run in turn so that a busy machine slows both alike."""
    times: tuple[list, list] = ([], [])
    for _ in range(runs):
        for fn, kept in zip((baseline, importer), times):
            t = time.perf_counter()
            fn()
            kept.append(time.perf_counter() - t)
    return min(times[0]), min(times[1])
