"""``logs analyze``: run every analysis on one engine and write derived facts with their evidence."""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

from compliance import __version__
from compliance.i18n import _, current
from compliance.loading import fail, validate_file
from compliance.logs import analyses, tables, timestamps
from compliance.logs import derived as d
from compliance.logs import manifest as mf
from compliance.logs import params as lp
from compliance.logs.progress import Progress


def _unmet(spec, params) -> bool:
    """The analysis needs a parameter the run was not given (e.g. networks): it is not run, saying why."""
    return bool(spec.needs) and not getattr(params, spec.needs)


def load_inputs(folder: str, facts_path: str, params_path: str | None, verify: bool = True):
    from compliance.facts import Facts

    manifest = mf.load(folder, verify=verify)
    facts, text = validate_file(facts_path, Facts)
    if facts.observed:  # the principals the records name may be known from the tools' outputs only
        from compliance.observed import with_observed

        facts = with_observed(facts, str(facts_path), text)
    params = lp.load(params_path)  # its geo_file read beside it, under the attachment rules
    return manifest, facts, params


def run_queries(engine, files: list[str] | None = None, progress: Progress | None = None) -> dict[str, analyses.Rows]:
    """Run SQL files (default: every registered analysis's) and return their rows in canonical order."""
    out = {}
    names = files or [p.name for p in analyses.sql_files()]
    columns = analyses.columns()
    for i, name in enumerate(names, 1):
        if progress:
            progress.show(f"{engine.name}: {name} ({i}/{len(names)})", force=True)
        try:
            cols, rows = engine.query(analyses.query_text(name))
        except Exception as exc:  # engine errors (memory cap, unreadable file) as one line, not a traceback
            raise _engine_error(exc, f"sql/{name}", _("{engine} failed").format(engine=engine.name)) from None
        expected = columns.get(name)
        if expected is not None and tuple(cols) != expected:  # an engine naming a column otherwise: no silent gap
            raise fail(f"sql/{name}", _("{engine} returned the columns {got}, not the query's {expected}").format(
                engine=engine.name, got=", ".join(cols), expected=", ".join(expected)))
        out[name] = analyses.canonical(cols, rows)
    return out


def _engine_error(exc: Exception, where: str, what: str) -> Exception:
    """An engine's own error (DuckDB, Spark) as one located line; anything else is left as it is."""
    if type(exc).__module__.split(".")[0].lstrip("_") not in ("duckdb", "pyspark", "py4j"):  # DuckDB 2's are _duckdb.*
        return exc
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return fail(where, f"{what}: {first}")


def derive(folder: str, facts_path: str, params_path: str | None, engine, examples: int | None = None,
           progress: Progress | None = None) -> d.DerivedFacts:
    """Load the ingested folder and the facts, run every analysis on ``engine``, build the derived facts."""
    from concurrent.futures import ThreadPoolExecutor

    manifest, facts, params = load_inputs(folder, facts_path, params_path, verify=False)
    built = tables.build(facts, params, manifest.first_day, manifest.last_day)
    root = Path(folder)
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashes = pool.submit(mf.check_hashes, root, manifest)  # verified while the queries run, before any result
        wanted = [f for s in analyses.registry().values() if not _unmet(s, params) for f in s.files]
        reads = {s.id: pool.submit(s.reads, root, manifest) for s in analyses.registry().values()
                 if s.reads and not _unmet(s, params)}  # what analyses read from the folder itself, after the hashes
        try:
            try:
                engine.load([root / o.path for o in manifest.outputs], built.tables)
            except Exception as exc:  # a damaged Parquet file fails here, when the engine reads its footer
                what = _("{engine} cannot read the records").format(engine=engine.name)
                raise _engine_error(exc, str(root), what) from None
            results = run_queries(engine, wanted, progress)
        except Exception:
            hashes.result()  # a changed file explains a failing query: say that first
            raise
        hashes.result()
        results.update({aid: future.result() for aid, future in reads.items()})
    t = manifest.totals
    ratio = t.rows_rejected / t.rows_in if t.rows_in else 0.0
    dataset = d.Dataset(timezone=manifest.timezone, first_day=manifest.first_day, last_day=manifest.last_day,
                        rows_in=t.rows_in, rows_out=t.rows_out, rows_rejected=t.rows_rejected,
                        rejected_ratio=round(ratio, 6), max_rejected_ratio=params.max_rejected_ratio,
                        sufficient=ratio <= params.max_rejected_ratio)
    refs = [d.InputRef(role="records", path=o.path, sha256=o.sha256, rows=o.rows) for o in manifest.outputs]
    refs.append(d.InputRef(role="manifest", path=mf.MANIFEST, sha256=manifest.sha256))
    if manifest.rejects:
        refs.append(d.InputRef(role="rejects", path=manifest.rejects.path, sha256=manifest.rejects.sha256,
                               rows=manifest.rejects.rows))
    engine_ref = d.Engine(name=engine.name, version=engine.version, threads=engine.threads,
                          memory_limit=engine.memory_limit, url=getattr(engine, "redacted_url", None))
    return assemble(facts, facts_path, params, params_path, built, results, dataset, engine_ref, refs, examples,
                    manifest.inputs)


def assemble(facts, facts_path, params, params_path, built, results, dataset, engine_ref, refs, examples=None,
             inputs=None):
    """Rows of every query → DerivedFacts (shared by ``analyze`` and ``import-results``). ``inputs``: the ingest
    manifest's inputs (their columns and task names), when known: an analysis whose duty the records cannot show
    says so (``analyses.missing_columns``), and an analysis may take further fields from them
    (``Spec.extra``: the downloads' task names the mapping did not know)."""
    limit = params.examples if examples is None else examples
    conv = analyses.Convert(timestamps.parse_offset(dataset.timezone))
    as_of_day = built.tables["params"][0][0]
    missing = analyses.missing_columns(inputs or [])
    built_analyses = {}
    for spec in analyses.registry().values():
        lacking = missing.get(spec.id, {})
        more = spec.extra(inputs or []) if spec.extra else {}
        if _unmet(spec, params):
            built_analyses[spec.id] = analyses.build(spec, None, conv, as_of_day, limit, spec.unmet, lacking, **more)
        elif spec.reads and spec.id not in results:  # imported results: the folder it reads is not there
            built_analyses[spec.id] = analyses.build(spec, None, conv, as_of_day, limit, analyses.NOT_READ, lacking,
                                                     **more)
        elif lacking and not spec.run_lacking:  # without them, a download is invisible or every one a violation
            built_analyses[spec.id] = analyses.build(spec, None, conv, as_of_day, limit, analyses.cannot_show(lacking),
                                                     lacking, **more)
        else:
            built_analyses[spec.id] = analyses.build(spec, results, conv, as_of_day, limit, None, lacking, **more)
    facts_sha = mf.sha256_file(Path(facts_path))
    refs = [*refs, d.InputRef(role="facts", path=str(facts_path), sha256=facts_sha)]
    if params_path:
        refs.append(d.InputRef(role="params", path=str(params_path), sha256=mf.sha256_file(Path(params_path))))
    geo_file = params.geo_table()
    if geo_file:
        refs.append(d.InputRef(role="geo", path=params.geo_file, sha256=geo_file[2]))
    return d.DerivedFacts(
        tool=f"pipa-audit {__version__}", as_of=facts.as_of, period_start=tables.period_start(facts),
        facts_sha256=facts_sha, engine=engine_ref, parameters=params.model_dump(mode="json"), inputs=refs,
        dataset=dataset, notes=built.notes, calendar=built.calendar or None, analyses=d.Analyses(**built_analyses))


def _words() -> dict[str, str]:
    """The analyses' words in the summary, by their English: the names of their counts (in English the keys of the
    derived facts themselves, what a reader finds in the JSON; in Korean their translation) and why one did not run
    (``Spec.unmet``: English in the derived facts whatever the language). Each analysis's module gives its own."""
    out = {"items": _("items")}
    for spec in analyses.registry().values():
        out.update(spec.words() if spec.words else {})
    return out


def _width(text: str) -> int:
    """Terminal columns of ``text``: Korean (wide) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def summary(derived: d.DerivedFacts) -> str:
    a = derived.analyses
    ds = derived.dataset
    rows = "?" if ds.rows_out is None else f"{ds.rows_out:,}"
    rejected = "?" if ds.rows_rejected is None else f"{ds.rows_rejected:,}"
    lines = [_("{engine} {version}: {rows} records {first} – {last} ({rejected} rejected)").format(
        engine=derived.engine.name, version=derived.engine.version, rows=rows, first=ds.first_day, last=ds.last_day,
        rejected=rejected)]
    korean = current() == "ko"  # the provision and the analysis as the derived facts name them in Korean
    labels = _words()
    every = [getattr(a, spec_id) for spec_id in analyses.registry()]
    cites = [an.provision.cite.ko if korean else an.provision.cite.en for an in every]
    names = [an.title.ko if korean else an.id for an in every]
    cite_width, name_width = max([24, *map(_width, cites)]), max([22, *map(_width, names)])
    for an, cite, name in zip(every, cites, names):
        lacking = _("the records cannot show it: {files}").format(files="; ".join(
            _("{file} has no column for {fields}").format(file=f, fields=", ".join(c))
            for f, c in sorted(an.missing_columns.items())))
        if an.status == "ran":
            what = ", ".join(f"{labels.get(k, k)} {v:,}" for k, v in an.counts.items())
        elif an.missing_columns:
            what = _("not run: {reason}").format(reason=lacking)
        else:
            reason = labels.get(an.reason, an.reason)
            what = _("not run: {reason}").format(reason=reason)
        lines.append(f"  {_pad(cite, cite_width)} {_pad(name, name_width)} {what}")
        if an.status == "ran" and an.missing_columns:
            lines.append("  " + " " * (cite_width + name_width + 2) + lacking)
    for spec, an in zip(analyses.registry().values(), every):  # what an analysis adds below the table
        lines += spec.notes(an, derived) if spec.notes else []
    if derived.calendar is not None:  # off-hours and working days are counted in this calendar
        hours = "{start}–{end}".format(**derived.calendar.working_hours)
        lines.append(_("working calendar: the facts' working_calendar over the Korean public calendar, {hours}").format(
            hours=hours) if derived.calendar.source == "facts" else _(
            "working calendar: the Korean public calendar, {hours} (the facts state no working_calendar)").format(hours=hours))
    return "\n".join(lines)


def write(derived: d.DerivedFacts, output: str | None, inputs: list[str]) -> None:
    from compliance.output import write_atomic

    data = (json.dumps(derived.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    if output and output != "-":
        out = Path(output).resolve()
        if any(Path(p).resolve() == out for p in inputs if p):
            raise fail(output, _("is one of the inputs; write the derived facts to another file"))
        write_atomic(output, data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def run_cli(args) -> int:
    from compliance.logs import engines

    if args.output and Path(args.output).resolve().is_relative_to(Path(args.folder).resolve()):
        raise fail(args.output, _("is inside the records folder, whose files are hashed inputs; write it elsewhere"))
    progress = Progress(False if args.quiet else None, plain=True)
    engine = engines.make(args.engine, args.threads, args.memory_limit if args.engine == "duckdb" else None,
                          args.spark_url)
    try:
        derived = derive(args.folder, args.facts, args.params, engine, args.examples, progress)
    finally:
        progress.done()
        engine.close()
    write(derived, args.output, [args.facts, args.params])
    print(summary(derived), file=sys.stderr)
    return 0
