"""Where the time of `check` on a big JSON file goes, stage by stage, and the least any run of this design must
spend: the ratio a faster validator could reach at best (run on demand, not in CI).

    python benchmarks/generate.py -n 100000 -o /tmp/pipa-bench/facts.json --json
    python benchmarks/floor.py /tmp/pipa-bench/facts.json [--runs 3]

Child processes (CPU seconds, median of --runs, bytecode cached as in an install): `python -c pass`, json.loads
of the file with the collector off (the issue's baseline), `check` on the bundled clean example (what every check
pays before its facts: interpreter, pydantic, the project's models, the catalogs), against importing pydantic and
PyYAML (that target's baseline) and importing the modules that define the models, and the whole `check`.

In one process, with the collector off, each stage on the big file as `check` runs it (``pipeline.prepare``): parse
(the long lists decoded straight into ``row_decoder`` structs, duplicate keys refused), pydantic validation of the
rest, id/reference integrity, the evaluation form, the checks, and the text summary.

The floor is what no validator can remove: the fixed cost, reading the JSON, and running the catalog's checks
over every row (whose offenders the result holds). msgspec's bare typed decode of the same rows into dicts is timed
as well: the least a one-pass parse-and-validate can cost (dates left as text, no refusal of repeated keys).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_targets import ENV, EXE, PY, ROOT, cpu  # noqa: E402 - one way to time a child


def stages(path: str) -> dict[str, float]:
    """CPU seconds of each stage of `check` on ``path``, run in this process as the command runs them."""
    from compliance.catalog import default_catalog_dir, in_force, load_catalogs
    from compliance.chronology import impossible_dates
    from compliance.evaluate import Inputs, evaluate
    from compliance.facts import Facts, to_evaluation_dict
    from compliance.integrity import reference_problems
    from compliance.loading import load, validate_file
    from compliance.render import Options, registry

    out: dict[str, float] = {}

    def timed(name, fn):
        t0 = time.process_time()
        value = fn()
        out[name] = time.process_time() - t0
        return value

    gc.disable()  # each stage as `check` runs it (pipeline.prepare): the long lists decoded into structs
    catalogs = timed("catalogs", lambda: load_catalogs(default_catalog_dir()))
    data, text = timed("parse (the long lists decoded into structs)", lambda: load(path, rows_of=Facts))
    facts, _ = timed("validation (pydantic, the rest)", lambda d=data: validate_file(path, Facts, d, text, rows_as_structs=True))
    del data
    timed("integrity and dates", lambda: reference_problems(facts, text, path) + impossible_dates(facts, text, path))
    root = timed("evaluation form", lambda: to_evaluation_dict(facts, release=True, keep_structs=True))
    inputs = Inputs(in_force(catalogs, facts.as_of), root, path, text, facts.as_of, [], [])
    result = timed("checks", lambda: evaluate(inputs))
    text_format = registry()["text"]
    timed("text summary", lambda: text_format.render(result, Options(catalog_dir=default_catalog_dir())))
    gc.enable()
    return out


def msgspec_decode(path: str, runs: int) -> float:
    """CPU seconds of msgspec decoding the file with the row lists typed (TypedDicts of the row models' fields).
    Dates stay text here: converting them is a further pass this does not count."""
    import msgspec
    from typing import Literal, NotRequired, TypedDict, get_args, get_origin

    from compliance.facts import Account, Credential, Handler

    def plain(annotation):
        """The row field's type as msgspec can check it: text, flags, numbers, lists of text, fixed words."""
        args = [a for a in get_args(annotation) if a is not type(None)] or [annotation]
        if all(get_origin(a) is Literal for a in args) and len(args) == 1:
            return args[0] | None
        if all(a in (bool, int, str) for a in args) and len(args) == 1:
            return args[0] | None
        if get_origin(args[0]) is list:
            return list[str] | None
        return str | None  # dates and 'unknown' travel as text

    def row(model):
        return TypedDict(model.__name__, {n: NotRequired[plain(f.annotation)] for n, f in model.model_fields.items()})

    doc = TypedDict("Doc", {"handlers": NotRequired[list[row(Handler)]], "accounts": NotRequired[list[row(Account)]],
                            "credentials": NotRequired[list[row(Credential)]]}, total=False)
    decoder = msgspec.json.Decoder(doc)
    raw = Path(path).read_bytes()
    times = []
    for _ in range(runs):
        gc.disable()
        t0 = time.process_time()
        decoder.decode(raw)
        times.append(time.process_time() - t0)
        gc.enable()
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("facts", help="a big JSON facts file (benchmarks/generate.py --json)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "compliance")], check=True, env=ENV)
    clean = str(ROOT / "examples" / "clean" / "facts.yaml")
    child = {
        "python -c pass": cpu([PY, "-c", "pass"], args.runs)[0],
        "json.loads (the baseline)": cpu([PY, "-c", f"import gc,json; gc.disable(); json.loads(open({args.facts!r}, encoding='utf-8').read())"], args.runs)[0],
        "import pydantic, yaml (the clean example's baseline)": cpu([PY, "-c", "import pydantic, yaml"], args.runs)[0],
        "import the models (facts, catalog, result; no work)": cpu([PY, "-c", "import compliance.facts, compliance.catalog, compliance.result"], args.runs)[0],
        "check, clean example (fixed cost)": cpu([EXE, "check", "--fail-on", "none", clean], args.runs)[0],
        "check, this file": cpu([EXE, "check", "--fail-on", "none", args.facts], args.runs)[0],
    }
    inner = stages(args.facts)
    base = child["json.loads (the baseline)"]
    print(f"{args.facts}: CPU seconds, median of {args.runs} runs for child processes\n")
    print("| measure | seconds | x json.loads |\n|---|---:|---:|")
    for name, t in child.items():
        print(f"| {name} | {t:.3f} | {t / base:.2f} |")
    for name, t in inner.items():
        print(f"| stage: {name} | {t:.3f} | {t / base:.2f} |")
    floor = child["check, clean example (fixed cost)"] + base + inner["checks"]
    print(f"\nfloor (fixed cost + json.loads + checks): {floor:.3f} s = {floor / base:.2f}x json.loads")
    fast = msgspec_decode(args.facts, args.runs)
    today = sum(t for name, t in inner.items() if name.startswith(("parse", "validation", "evaluation form")))
    print(f"msgspec typed decode of the same rows: {fast:.3f} s = {fast / base:.2f}x json.loads "
          f"(parse + validation + evaluation form today: {today:.3f} s)")


if __name__ == "__main__":
    main()
