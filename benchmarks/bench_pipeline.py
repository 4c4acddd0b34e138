"""Time each pipeline stage on a large facts file (run on demand, not in CI).

    python benchmarks/generate.py -n 100000 -o /tmp/big/facts.yaml
    python benchmarks/bench_pipeline.py /tmp/big/facts.yaml
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from compliance.catalog import default_catalog_dir, in_force, load_catalogs
from compliance.evaluate import Inputs, evaluate
from compliance.facts import Facts, to_evaluation_dict
from compliance.loading import load


def timed(label: str, fn):
    t0 = time.perf_counter()
    out = fn()
    print(f"{label:<28} {time.perf_counter() - t0:7.3f} s")
    return out


def main(path: str) -> None:
    catalogs = timed("load + compile catalogs", lambda: load_catalogs(default_catalog_dir()))
    data, text = timed("parse facts", lambda: load(path))
    facts = timed("validate (pydantic)", lambda: Facts.model_validate(data))
    plain = timed("to evaluation form", lambda: to_evaluation_dict(facts))
    chosen = in_force(catalogs, facts.as_of)
    inputs = Inputs(chosen, plain, path, text, facts.as_of, [], [])
    result = timed("evaluate all controls", lambda: evaluate(inputs))
    timed("serialise JSON result", lambda: result.model_dump_json())
    print(f"{Path(path).name}: {len(facts.handlers or [])} handlers, {result.summary.by_verdict}")


if __name__ == "__main__":
    main(sys.argv[1])
