"""``pipa-audit``: init · validate · check · report · diff · demo · schema · catalog.

This module parses arguments and sets exit codes; how each output format looks lives in
``compliance.render`` (one module per format), which findings fail a run in ``compliance.gate``.

Exit codes are one matrix, ``EXIT_CODES``, printed by ``--help`` and in the README. Also: killed by
SIGTERM while writing a file, the temporary file is removed and the process ends by the signal (143
in a shell); a reader that closes the pipe of ``check``/``report``/``schema`` output early does not
change their exit code. Bad input prints ``file:line: field: message`` lines and never a traceback or
a partial file; values in messages are printed inert (control characters escaped, one line each).
"""

from __future__ import annotations

import argparse
import gc
import sys

from compliance import __version__

# The commands' own modules (pydantic models, catalogs, the loader) are imported by _import_commands() once the
# arguments have parsed: `--help`, `--version` and usage errors never pay for them (measured: 0.31 s -> see
# benchmarks/README.md).
default_catalog_dir = in_force = load_catalog = load_catalogs = None
InputError = Problem = fail = forget_inputs = inert = load = None
ensure_folder = silence_stdout = write_output = write_outputs = None
dt = json = partial = Path = None


def _import_commands() -> None:
    global dt, json, partial, Path
    import datetime as dt
    import json
    from functools import partial
    from pathlib import Path

    global default_catalog_dir, in_force, load_catalog, load_catalogs
    global InputError, Problem, fail, forget_inputs, inert, load
    global ensure_folder, silence_stdout, write_output, write_outputs
    from compliance.catalog import default_catalog_dir, in_force, load_catalog, load_catalogs
    from compliance.loading import InputError, Problem, fail, forget_inputs, inert, load
    from compliance.output import ensure_folder, silence_stdout, write_output, write_outputs

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in pipa-audit, never confused with findings (1) or bad input (2)
EXIT_PIPE = 141  # 128 + SIGPIPE: standard output closed before a listing was complete

EXIT_CODES = """\
exit codes:
  0    pass: check - no failing finding; diff - no regression; validate, catalog lint - all valid;
       catalog coverage - every duty covered; other commands - done
  1    check - a finding at or above --fail-on (default low); insufficient evidence counts unless
       --insufficient warn (--insufficient only: it alone counts); diff - a regression (same policy);
       catalog coverage - a duty with neither a control nor a written reason
  2    bad input or usage: invalid or unreadable input (FILE:LINE: message), unknown option or
       output extension, an output that cannot be written, a date computed out of range
  70   internal error (a bug: please report)
  130  interrupted (Ctrl-C)
  141  standard output closed by its reader before a listing was complete
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors: one line, exit 2
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")


def _date(text: str) -> dt.date:
    import datetime as dt

    import re

    try:  # fromisoformat also takes 20250101 and 2025-W48-1: only the form the message names
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r} (use YYYY-MM-DD)") from None


def _docs_url(text: str) -> str:
    """--docs-url: the absolute http(s) URL SARIF rules link to (``helpUri``, which the SARIF schema and GitHub's upload
    require to be an absolute URI). Checked when the arguments are parsed, so a bad value is a usage error before any
    audit runs. A host written in Unicode is given in its ASCII (IDNA) form and other characters of the path are
    percent-encoded, as a URI writes them; anything that cannot be made a URI is refused."""
    import ipaddress
    import re
    from urllib.parse import quote, urlsplit, urlunsplit

    def bad(why: str):
        return argparse.ArgumentTypeError(f"{text!r} is not a usable docs URL: {why} (e.g. https://example.org/pipa-docs/)")

    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise bad("it holds a space or a control character")
    if re.search(r"%(?![0-9A-Fa-f]{2})", text):
        raise bad("'%' must start a percent-escape such as %20")
    try:
        parts = urlsplit(text)
        port = parts.port  # a port that is not a number in range raises here
    except ValueError as exc:
        raise bad(str(exc)) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise bad("give an absolute http:// or https:// URL")
    host = parts.hostname or ""
    if not host:
        raise bad("it has no host")
    if parts.username is not None or parts.password is not None:
        raise bad("a user name or password would be published in every SARIF file")
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise bad("no query or fragment: rules link to <URL>/catalog.html#<control>")
    if parts.netloc.split("@")[-1].startswith("["):  # an IPv6 literal
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise bad(f"[{host}] is not an IPv6 address") from None
        host = f"[{host}]"
    else:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise bad("the host is not a valid domain name") from None
        if not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.?", host):
            raise bad(f"{host!r} is not a valid host name")
    netloc = host if port is None else f"{host}:{port}"
    path = quote(parts.path, safe="/%:@!$&'()*+,;=-._~")
    return urlunsplit((parts.scheme.lower(), netloc, path, "", ""))


def _emit(data, output: str | None) -> None:
    """bytes or a callable producing them (rendered once the target is known to be writable)."""
    write_output(output, data)


# ------------------------------------------------------------------------------------ commands


def cmd_init(args) -> int:
    """The template (or, with --from, the template around a filled file), and its schema beside it."""
    from compliance.template import SCHEMA_FILE, render_template, schema_bytes

    existing = None
    if args.source is not None:
        existing, text = load(args.source)
        if not isinstance(existing, dict):
            raise fail(args.source, f"expected a mapping at the top level, found {type(existing).__name__}", 1)
        _only_facts_fields(args.source, existing, text)
    out = None if args.output == "-" else Path(args.output)
    if out is not None:
        if out.suffix.lower() == ".json":
            raise fail(out, "init writes YAML (it carries comments); name the output .yaml")
        if (out.exists() or out.is_symlink()) and not args.force:
            raise fail(out, "already exists; use --force to overwrite" + (" (it is the --from file)" if args.source and out.exists() and out.samefile(args.source) else ""))
        if args.source is not None and out.exists() and out.samefile(args.source):
            forget_inputs()  # --force: the one input init may replace is the file it was asked to re-generate
    catalogs = load_catalogs(args.catalog)
    body = render_template(catalogs, existing, args.source).encode("utf-8")
    if out is None:
        write_output(None, body)
        return EXIT_OK
    ensure_folder(out.parent)
    schema = out.parent / SCHEMA_FILE
    if _ours(schema):
        write_output(schema, schema_bytes())
    else:
        print(inert(f"{schema}: not written (a file of that name exists and is not a pipa-audit facts schema)"), file=sys.stderr)
    write_output(out, body)
    print(inert(f"wrote {out}"), file=sys.stderr)
    return EXIT_OK


def _only_facts_fields(path, data: dict, text: str) -> None:
    """init --from writes the facts fields it knows: any other top-level key would be dropped without a word (a
    misspelt list, or a waivers file, a result or a catalog given by mistake)."""
    from compliance.facts import Facts
    from compliance.loading import Locator

    known = {f.alias or name for name, f in Facts.model_fields.items()}
    unknown = [key for key in data if key not in known]
    if unknown:
        locator = Locator(text)
        raise InputError([Problem(str(path), locator.line((key,)), f"'{key}' is not a facts field: init --from would drop it "
                                  "(is this a facts file? check the spelling)") for key in unknown])


def _ours(schema: Path) -> bool:
    """Absent, or a facts schema pipa-audit wrote (init refreshes it; it is derived, never edited by hand)."""
    if not schema.exists() and not schema.is_symlink():
        return True
    try:
        data = json.loads(schema.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("title") == "Facts" and "SourceRef" in data.get("$defs", {})


def _kind_of(data) -> str:
    if isinstance(data, dict):
        if "catalog" in data and "controls" in data:
            return "catalog"
        if "waivers" in data:
            return "waivers"
    return "facts"


def cmd_validate(args) -> int:
    from compliance.pipeline import check_facts, former_ids
    from compliance.waivers import load_waivers

    problems: list[Problem] = []
    catalogs = None  # loaded once, for the first facts or waivers file
    loaded, as_of = [], None
    for name in args.files:  # facts first: a waivers file is judged on the as-of date of the facts beside it
        try:
            data, text = load(name)
            loaded.append((name, data, text, _kind_of(data)))
        except InputError as exc:
            problems.extend(exc.problems)
    for name, data, text, kind in sorted(loaded, key=lambda f: f[3] == "waivers"):
        try:
            if kind == "catalog":
                load_catalog(name)
            elif kind == "waivers":  # the same rules as check (compliance.waivers)
                catalogs = catalogs if catalogs is not None else load_catalogs(args.catalog)
                load_waivers(name, catalogs, as_of, data, text)
            else:  # the same rules as check and report (pipeline.check_facts)
                catalogs = catalogs if catalogs is not None else load_catalogs(args.catalog)
                facts, _, _, wrong = check_facts(name, catalogs, data, text, former_ids(catalogs))
                if wrong:
                    raise InputError(wrong)
                as_of = as_of or facts.as_of
            print(inert(f"{name}: ok ({kind})"))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return EXIT_OK


def _progress(args):
    """One line on a terminal (loading, evaluating, rendering); silent when stderr is not a terminal or with --quiet."""
    from compliance.logs.progress import Progress

    return Progress(enabled=False if getattr(args, "quiet", False) else None)


def _audit(args, progress=None):
    from compliance.pipeline import evaluate, prepare

    progress = progress or _progress(args)
    progress.show(f"loading {args.facts} and the catalogs…", force=True)
    prepared = prepare(args.facts, args.catalog, args.waivers, args.as_of, getattr(args, "derived", None))
    progress.show(f"evaluating {args.facts}…", force=True)
    try:
        return evaluate(prepared)
    finally:
        progress.done()


def _plan(args, formats: dict[str, tuple[str, ...]], default: str) -> list[tuple[str | None, str]]:
    """Each output with its format, decided before any work: standard output (``-`` or no -o)
    takes --format or ``default``; a file takes --format when it is the only output, else the
    format its extension names. An unknown extension is a usage error (exit 2)."""
    from compliance.format_index import format_for_path

    outputs = args.output or ["-"]
    if args.format and len(outputs) > 1 and "-" not in outputs:
        raise fail(outputs[0], "--format applies to standard output or a single -o; with several -o, each extension names its format")
    plan: list[tuple[str | None, str]] = []
    seen: set[str] = set()
    for out in outputs:
        key = "-" if out == "-" else str(Path(out).resolve())
        if key in seen:
            raise fail(out, "given twice as -o")
        seen.add(key)
        if out == "-":
            plan.append((None, args.format or default))
            continue
        target = Path(out)
        if target.is_dir():
            raise fail(out, "is a directory; give a file name")
        if target.is_symlink() and not target.exists():
            raise fail(out, "is a symlink to nothing; give a real file name")
        if not target.parent.is_dir():
            raise fail(out, f"folder {target.parent} does not exist")
        fmt = args.format if args.format and len(outputs) == 1 else format_for_path(out, formats)
        if fmt is None:
            known = ", ".join(sorted(s for suffixes in formats.values() for s in suffixes))
            raise fail(out, f"unknown output extension; use one of {known}, or --format with a single -o")
        plan.append((out, fmt))
    return plan


def _render_options(args):
    from compliance.render import Options

    return Options(
        lang=args.lang, threshold=getattr(args, "fail_on", "low"), insufficient=getattr(args, "insufficient", "fail"),
        pdfa=args.pdfa, framework=getattr(args, "framework", None), catalog_dir=args.catalog, facts_path=args.facts,
        sarif_root=args.sarif_root, docs_url=args.docs_url, audience=getattr(args, "audience", "internal"),
        show_statutory_maximum=getattr(args, "show_statutory_maximum", False),
    )


def _run_outputs(args, default: str):
    """check and report: plan the outputs, audit once, render every output, then write them."""
    from compliance.format_index import declared

    formats = declared()
    plan = _plan(args, {f.name: f.suffixes for f in formats.values()}, default)
    chosen = [fmt for _, fmt in plan]
    if getattr(args, "framework", None) and any(not formats[f].framework for f in chosen):
        able = " or ".join(sorted((f.name for f in formats.values() if f.framework), key=lambda n: (n != "text", n)))
        raise fail(args.facts, f"--framework works with --format {able}")
    if args.pdfa and "pdf" not in chosen:
        raise fail(args.output[0] if args.output else args.facts, "--pdfa applies to PDF output only")
    for path, fmt in plan:  # binary bytes on a terminal garble it: only to a file or a pipe
        if path is None and formats[fmt].binary and sys.stdout.isatty():
            raise fail("-", f"standard output is a terminal and {fmt} is binary; give -o FILE or redirect to a file or pipe")
    progress = _progress(args)
    result = _audit(args, progress)
    options = _render_options(args)
    from compliance.render import registry  # the renderers, once there is something to render: imported before
    renderers = registry()  # the outputs' signal handlers are set, so a SIGTERM never lands inside an import

    def rendering(path, fmt):
        def run() -> bytes:
            progress.show(f"rendering {path or 'standard output'} ({fmt})…", force=True)
            return renderers[fmt].render(result, options)

        return run

    # targets checked and temporary files reserved first, then every render, then the renames:
    # a refusal or a render error writes nothing, and SIGTERM during a render leaves no temporary file
    try:
        write_outputs([(path, rendering(path, fmt)) for path, fmt in plan])
    finally:
        progress.done()
    return result, plan


def cmd_check(args) -> int:
    from compliance.gate import failing

    result, _ = _run_outputs(args, "text")
    if result.law_changes:  # the audit judges the as-of date: say, in one line, that the law moved inside the period
        print(
            f"warning: the law changed inside the audit period ({len(result.law_changes)} change(s), first: "
            f"{result.law_changes[0]}); duties are judged under the law in force on {result.as_of}, incidents under the "
            f"law of their date; see `pipa-audit catalog diff --from {result.period_start} --to {result.as_of}`",
            file=sys.stderr,
        )
    return EXIT_FINDINGS if failing(result, args.fail_on, args.insufficient) else EXIT_OK


def cmd_report(args) -> int:
    _, plan = _run_outputs(args, "pdf")
    for path, fmt in plan:
        if path is not None:
            print(inert(f"wrote {path} ({fmt}, {args.lang})"), file=sys.stderr)
    return EXIT_OK


def cmd_diff(args) -> int:
    from compliance import diff

    plan = _plan(args, diff.FORMATS, "text")
    results, problems = [], []
    for name in (args.old, args.new):
        try:
            results.append(diff.load(name))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    report = diff.compare(*results, args.fail_on, args.insufficient, args.catalog)
    write_outputs([(path, partial(diff.render, report, fmt)) for path, fmt in plan])
    return EXIT_FINDINGS if report["regressions"] else EXIT_OK


def cmd_demo(args) -> int:
    from compliance.bundled import bundled_dir
    from compliance.pipeline import audit
    from compliance.render import render
    from compliance.render.text import table

    out = ensure_folder(args.output)
    example = bundled_dir("examples") / "ecommerce-breach"
    derived = out / "ecommerce-breach-derived.json"
    _demo_access_records(example, derived)
    result = audit(example / "facts.yaml", args.catalog, example / "waivers.yaml", derived_path=derived)
    pdf = out / f"ecommerce-breach-report.{args.lang}.pdf"
    write_output(pdf, lambda: render(result, "pdf", args.lang))
    write_output(out / "ecommerce-breach-result.json", lambda: render(result, "json"))
    print(table(result), end="")
    print("\n" + inert(f"wrote {pdf}"), file=sys.stderr)
    return EXIT_OK


def _demo_access_records(example: Path, derived: Path) -> None:
    """Read the seed's access-record export as an auditor would (ingest, then the Art 5/6/8 analyses on the
    embedded engine), so the demo report shows what the records show next to what the facts state."""
    import tempfile

    from compliance.logs import engines, mapping
    from compliance.logs.analyze import derive, write
    from compliance.logs.ingest import ingest
    from compliance.logs.progress import Progress

    evidence = example / "evidence"
    params = evidence / "access-log-analysis.yaml"
    with tempfile.TemporaryDirectory(prefix="pipa-audit-demo-") as tmp:
        records = str(Path(tmp) / "access-records")
        ingest([str(evidence / "access-records-sys-auth.csv")], records, mapping.build(), progress=Progress(False))
        engine = engines.make("duckdb", threads=None, memory_limit="1GB")
        try:
            facts = derive(records, str(example / "facts.yaml"), str(params), engine, progress=Progress(False))
        finally:
            engine.close()
    write(facts, str(derived), [str(example / "facts.yaml"), str(params)])


def cmd_import(args) -> int:
    """One tool output -> one observed-facts document; identities that map to no facts id are listed, not dropped."""
    from compliance.importers import importer
    from compliance.loading import read_bytes
    from compliance.observed import MAX_IMPORT_BYTES, bound_containers, document, dumps, load_identity_map

    ids = load_identity_map(args.map)
    data = read_bytes(args.file, MAX_IMPORT_BYTES)
    bound_containers(args.kind, data, args.file)
    module = importer(args.kind)
    before = None
    if args.before is not None:
        if not getattr(module, "COMPARES_SCANS", False):
            raise fail("--before", f"{args.kind} is not a scan whose findings can be compared: give one file")
        before = (args.before, read_bytes(args.before, MAX_IMPORT_BYTES))
        bound_containers(args.kind, before[1], args.before)
        observed = module.read(data, args.file, ids, kind=args.kind, before=before)
    else:
        observed = module.read(data, args.file, ids, kind=args.kind)
    doc = document(args.kind, observed, args.file, data, ids, before)
    write_output(args.output, dumps(doc))
    rows = sum(len(v) for v in doc.lists.values()) + sum(len(v) for f in doc.systems.values() for k, v in f.items() if isinstance(v, list))
    print(inert(f"{args.output}: {rows} rows from {args.file} ({doc.tool}); {len(doc.unmapped)} unmapped"), file=sys.stderr)
    for u in doc.unmapped[:20]:
        print(inert(f"  {u.at}: {u.identity}: {u.reason}"), file=sys.stderr)
    return EXIT_OK


def cmd_schema(args) -> int:
    from compliance.catalog import CatalogFile
    from compliance.waivers import WaiverFile
    from compliance.facts import Facts
    from compliance.result import AuditResult

    from compliance.observed import ObservedDocument

    model = {"result": AuditResult, "facts": Facts, "catalog": CatalogFile, "waivers": WaiverFile,
             "observed": ObservedDocument}[args.which]
    if args.which == "facts":  # lists may also be {source: …} (compliance.sources): the schema init writes
        from compliance.template import schema_bytes

        _emit(schema_bytes(), args.output)
        return EXIT_OK
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    _emit((json.dumps(schema, ensure_ascii=False, indent=2) + "\n").encode("utf-8"), args.output)
    return EXIT_OK


def cmd_catalog(args) -> int:
    catalogs = load_catalogs(args.catalog)
    if args.action == "lint":
        from compliance.coverage import lint

        problems = lint(args.catalog, catalogs)
        if problems:
            raise InputError(problems)
        n = sum(len(c.controls) for c in catalogs)
        print(f"{len(catalogs)} catalogs, {n} controls: ok")
        return EXIT_OK
    if args.action == "coverage":
        return _coverage(args, catalogs)
    if args.action == "diff":
        return _law_diff(args, catalogs)
    if args.action == "docs":
        from compliance.docs import write_docs

        if not args.output:
            raise fail("catalog docs", "needs -o DIR")
        for path in write_docs(catalogs, args.catalog, ensure_folder(args.output)):
            print(inert(f"wrote {path}"), file=sys.stderr)
        return EXIT_OK
    chosen = {c.meta.id for c in in_force(catalogs, args.as_of)} if args.as_of else None
    for cat in catalogs:
        if chosen is not None and cat.meta.id not in chosen:
            continue
        print(inert(f"{cat.meta.id}  {cat.meta.instrument.en}  (version {cat.meta.version}, effective {cat.meta.effective})"))
        for ctl in cat.controls:
            c = ctl.control
            kind = "attestation" if not c.checks else "checks+attestation" if c.attestation else "checks"
            print(inert(f"  {c.id:<22} {c.severity:<9} {kind:<18} {ctl.cite('en'):<30} {c.title.en}"))
    return EXIT_OK


def _law_diff(args, catalogs) -> int:
    """Provisions added, removed, re-worded, renumbered and re-checked between two dates."""
    from compliance.versions import diff

    if args.date_from is None or args.date_to is None:
        raise fail("catalog diff", "needs --from DATE and --to DATE")
    if args.date_from > args.date_to:
        raise fail("catalog diff", f"--from {args.date_from} is after --to {args.date_to}: give the earlier date first")
    changes = diff(catalogs, args.date_from, args.date_to)
    if args.diff_format == "json":
        rows = [{**c.__dict__, "on": c.on.isoformat()} for c in changes]
        _emit((json.dumps({"from": args.date_from.isoformat(), "to": args.date_to.isoformat(), "changes": rows}, ensure_ascii=False, indent=2) + "\n").encode("utf-8"), args.output)
        return EXIT_OK
    lines = [f"changes of law between {args.date_from} and {args.date_to}: {len(changes)}", *(c.line() for c in changes)]
    _emit(("\n".join(lines) + "\n").encode("utf-8"), args.output)
    return EXIT_OK


def _coverage(args, catalogs) -> int:
    from compliance.coverage import coverage, load_outlines

    outlines = [o for o in load_outlines(args.catalog) if args.instrument in (None, o.outline.id)]
    if not outlines:
        raise fail(args.catalog, f"no outline{' ' + repr(args.instrument) if args.instrument else ''} in outlines/")
    gaps = 0
    for outline in outlines:
        rows = coverage(catalogs, outline, args.as_of)
        duties = [r for r in rows if r.node.duty]
        covered = sum(1 for r in duties if r.status == "covered")
        reasoned = sum(1 for r in duties if r.status == "reason")
        when = f" (law in force on {args.as_of})" if args.as_of else " (every version)"
        print(inert(f"{outline.outline.id}: {outline.outline.title.en}{when}"))
        for r in rows:
            what = ", ".join(r.controls) if r.controls else (r.node.reason or "NO CONTROL")
            print(inert(f"  {r.status:<8} {r.cite:<16} {(r.node.title or ''):<28} {what}"))
        missing = len(duties) - covered - reasoned
        gaps += missing
        print(
            f"  duties {len(duties)}: {covered} covered by controls, {reasoned} with a written reason, {missing} uncovered"
            f" ({100 * (covered + reasoned) // max(len(duties), 1)}%)\n"
        )
    return EXIT_FINDINGS if gaps else EXIT_OK


# ------------------------------------------------------------------------------------ parser


AUDIT_COMMANDS = {
    "check": "evaluate; exit 1 on failing findings",
    "report": "render the auditor's report",
    "diff": "compare two JSON results: regressions, fixes, waivers, law changes; exit 1 on regressions",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or (``only``: the command about to run) one whose other commands' options are not built."""
    p = _Parser(
        prog="pipa-audit", description="Audit evidence against Korea's PIPA and the PIPC safety-measures standard.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"pipa-audit {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    catalog_kw = {"default": None, "help": "catalog folder (default: the bundled catalogs)"}

    s = sub.add_parser("init", help="write an evidence template generated from the catalogs")
    s.add_argument("--catalog", **catalog_kw)
    s.add_argument("-o", "--output", default="facts.yaml", help="the template (folders created; - is standard output); "
                   "facts.schema.json is written beside it for editors")
    s.add_argument("--force", action="store_true", help="overwrite an existing file")
    s.add_argument("--from", dest="source", default=None, metavar="FACTS",
                   help="re-generate around a filled facts file: its values kept, fields the catalogs also read added as comments")
    s.set_defaults(func=cmd_init)

    s = sub.add_parser("validate", help="validate facts, waivers and catalog files")
    s.add_argument("files", nargs="+")
    s.add_argument("--catalog", **catalog_kw)
    s.set_defaults(func=cmd_validate)

    if only is None or only in AUDIT_COMMANDS:
        _add_audit_commands(sub, catalog_kw)
    else:  # named in the overview only: `pipa-audit --help` and the other commands stay light
        for name, helptext in AUDIT_COMMANDS.items():
            sub.add_parser(name, help=helptext)

    s = sub.add_parser("demo", help="run the bundled seed scenario and write its PDF report")
    s.add_argument("-o", "--output", default="pipa-audit-demo")
    s.add_argument("--lang", choices=["ko", "en"], default="ko")
    s.add_argument("--catalog", **catalog_kw)
    s.set_defaults(func=cmd_demo)

    from compliance.importers import MODULES

    s = sub.add_parser("import", help="turn a tool's output (IAM credential report, IdP users, scanners, Prowler, Wazuh) "
                                      "into observed facts: import KIND FILE -o evidence/observed/x.json")
    s.add_argument("kind", choices=sorted(MODULES), metavar="KIND", help=", ".join(sorted(MODULES)))
    s.add_argument("file", help="the tool's output, as the tool wrote it")
    s.add_argument("--map", default=None, metavar="IDENTITIES",
                   help="YAML: handlers: {tool user: handler id}, systems: {account/target/agent: system id}")
    s.add_argument("--before", default=None, metavar="FILE",
                   help="scanners: the earlier scan of the same targets; what it found and FILE does not was fixed in between")
    s.add_argument("-o", "--output", required=True, help="the observed-facts JSON to write (list it under observed: in the facts)")
    s.set_defaults(func=cmd_import)

    s = sub.add_parser("schema", help="print a JSON Schema: result, facts, catalog, waivers or observed")
    s.add_argument("which", choices=["result", "facts", "catalog", "waivers", "observed"])
    s.add_argument("-o", "--output", default=None)
    s.set_defaults(func=cmd_schema)

    s = sub.add_parser(
        "catalog",
        help="list, lint, coverage (exit 1 on an uncovered duty), docs -o DIR, diff --from DATE --to DATE (what the law changed)",
    )
    s.add_argument("action", choices=["list", "lint", "coverage", "docs", "diff"])
    s.add_argument("--catalog", **catalog_kw)
    s.add_argument("--as-of", type=_date, default=None, help="list/coverage: the law in force on this date")
    s.add_argument("--from", dest="date_from", type=_date, default=None, help="diff: the earlier date")
    s.add_argument("--to", dest="date_to", type=_date, default=None, help="diff: the later date")
    s.add_argument("--format", dest="diff_format", choices=["text", "json"], default="text", help="diff: output format")
    s.add_argument("--instrument", default=None, help="coverage of one outline id only")
    s.add_argument("-o", "--output", default=None, help="docs: output folder")
    s.set_defaults(func=cmd_catalog)

    from compliance.logs.cli import add_logs_parser  # parser only; engines load when a logs command runs

    add_logs_parser(sub, _Parser)
    return p


def _add_audit_commands(sub, catalog_kw: dict) -> None:
    """check, report and diff: their options list the output formats, which the renderers declare (importing
    them loads the result models), so they are built only when one of them runs or for the full parser."""
    from compliance.format_index import declared
    from compliance.vocabulary import DIFF_FORMATS, INSUFFICIENT, THRESHOLDS

    formats = declared()
    suffixes = ", ".join(f"{'/'.join(f.suffixes)} {f.name}" for f in formats.values())
    policy = {
        "--fail-on": {"choices": THRESHOLDS, "default": "low", "help": "lowest severity that fails (exit 1); none: never"},
        "--insufficient": {
            "choices": INSUFFICIENT, "default": "fail",
            "help": "fail (default): insufficient evidence fails like a finding of its severity; warn: report it "
            "without failing on it; only: fail on insufficient evidence alone (a separate evidence gate)",
        },
    }
    for name, func in (("check", cmd_check), ("report", cmd_report)):
        s = sub.add_parser(name, help=AUDIT_COMMANDS[name], epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
        s.add_argument("facts")
        s.add_argument("--catalog", **catalog_kw)
        s.add_argument("--waivers", default=None)
        s.add_argument(
            "--derived", default=None, metavar="DERIVED.json",
            help="what the access records show (from `pipa-audit logs analyze`): checked against the stated facts",
        )
        s.add_argument("--as-of", type=_date, default=None, help="judge on this date (default: as_of in the facts)")
        s.add_argument(
            "-o", "--output", action="append", default=None, metavar="FILE",
            help=f"write here; repeat for several outputs of one audit, each in the format its extension names ({suffixes}); "
            "- is standard output",
        )
        s.add_argument(
            "--format", choices=list(formats), default=None,
            help=f"format of standard output or of a single -o (default: {'text' if name == 'check' else 'from the extension; pdf on standard output'}): "
            + "; ".join(f"{f.name} - {f.summary}" for f in formats.values()),
        )
        s.add_argument("--lang", choices=["ko", "en"], default="en" if name == "check" else "ko")
        s.add_argument("--pdfa", action="store_true", help="PDF/A-3b (archival) with the JSON result embedded")
        s.add_argument("--quiet", "-q", action="store_true", help="no progress line on the terminal (it is never shown when stderr is not a terminal)")
        if name == "report":
            s.add_argument(
                "--audience", choices=["internal", "regulator"], default="internal",
                help="internal (default): review copy stamped 'internal review', with the penalty provisions the findings "
                "engage; regulator: the copy submitted to the PIPC, stamped '대외비 — 규제기관 제출용', with the submission "
                "sign-off and no penalty review",
            )
            s.add_argument(
                "--show-statutory-maximum", action="store_true",
                help="internal copy: print the statutory maximum of each penalty (a legal ceiling from the stated revenue, "
                "never the expected fine)",
            )
        s.add_argument("--sarif-root", default=None, metavar="DIR",
                       help="SARIF paths relative to this folder (default: the git repository holding the facts file)")
        s.add_argument("--docs-url", type=_docs_url, default=None, metavar="URL",
                       help="where `catalog docs` output is published (an absolute http(s) URL); SARIF rules link there (helpUri)")
        s.set_defaults(func=func)
        if name == "check":
            for flag, kw in policy.items():
                s.add_argument(flag, **kw)
            s.add_argument("--framework", default=None, help="group the result by a framework, e.g. isms-p (text, json)")

    s = sub.add_parser(
        "diff", help=AUDIT_COMMANDS["diff"],
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("old", help="earlier result (check -o result.json)")
    s.add_argument("new", help="later result")
    s.add_argument("--format", choices=list(DIFF_FORMATS), default=None, help="md: for a CI job summary (default: text)")
    s.add_argument("-o", "--output", action="append", default=None, metavar="FILE",
                   help="write here (repeatable: .txt text, .md md, .json json); - is standard output")
    for flag, kw in policy.items():
        s.add_argument(flag, **kw)
    s.add_argument("--catalog", **catalog_kw)
    s.set_defaults(func=cmd_diff)



def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    for stream in (sys.stdout, sys.stderr):  # a locale that cannot show Hangul (latin-1, C) gets \uXXXX, not a crash
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):  # replaced by a caller with a stream of another kind
            pass
    parser = build_parser(next((a for a in argv if not a.startswith("-")), ""))
    args = parser.parse_args(argv)
    _import_commands()
    if getattr(args, "catalog", "unset") is None:
        args.catalog = default_catalog_dir()
    if args.command == "report" and not args.output:
        parser.error("report needs -o FILE (use -o - for standard output)")
    forget_inputs()
    # A run builds millions of small objects and frees them at exit: the cyclic collector only costs time here
    # (measured: 45% of `check` on a 100k-row JSON file), so it is off for the command, as the loader already did.
    gc.disable()
    try:
        code = _run(args)
    finally:
        gc.enable()
    try:  # flush here, not at exit: a failing flush at exit becomes Python's exit 120 and a traceback
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
    except OSError as exc:
        silence_stdout()
        if code in (EXIT_OK, EXIT_FINDINGS):  # else the error was already reported
            _say(f"standard output: cannot write: {exc.strerror or exc}")
            return EXIT_INPUT
    return code


def _run(args) -> int:
    try:
        _names_are_utf8(args)
        return args.func(args)
    except InputError as exc:
        for problem in exc.problems:
            _say(str(problem))
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # a listing cut short by its reader: not a success, not a finding
        silence_stdout()
        return EXIT_PIPE
    except UnicodeEncodeError as exc:  # a name from the file system that is no UTF-8 (e.g. the working folder's)
        _say(f"pipa-audit: {exc.object[exc.start:exc.end]!r} in a file or folder name is not UTF-8 text; rename it (reports name their inputs in UTF-8)")
        return EXIT_INPUT
    except OverflowError as exc:  # date arithmetic past year 9999 (or before year 1) in a check
        _say(f"{getattr(args, 'facts', None) or 'pipa-audit'}: a date or number computed from the facts is out of range ({exc}); check dates near year 1 or 9999")
        return EXIT_INPUT
    except OSError as exc:  # what no boundary converted (an unreadable catalog folder, a full stdout, …)
        where = exc.filename if isinstance(exc.filename, str) else "pipa-audit"
        _say(f"{where}: {exc.strerror or exc}")
        return EXIT_INPUT
    except Exception as exc:  # last resort: one line and a code of its own, never 1 (findings)
        _say(f"pipa-audit: internal error: {type(exc).__name__}: {exc}; please report")
        return EXIT_INTERNAL


def _names_are_utf8(args) -> None:
    """Every path given on the command line can be written in UTF-8: JSON, SARIF, OSCAL and the PDF name their
    inputs, and a name from a latin-1 or EUC-KR file system (surrogates in Python) cannot be encoded there."""
    for value in vars(args).values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, (str, Path)):
                try:
                    str(item).encode("utf-8")
                except UnicodeEncodeError:
                    raise fail(str(item), "the name is not UTF-8 text; rename the file or folder (reports name their inputs in UTF-8)") from None


def _say(line: str) -> None:
    """One inert line on stderr (control characters escaped); a closed stderr is not a crash."""
    try:
        print(inert(line), file=sys.stderr)
    except (OSError, ValueError):
        pass
