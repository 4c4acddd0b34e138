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
import os
import sys

from compliance import __version__, i18n
from compliance.i18n import _

# The commands' own modules (pydantic models, catalogs, the loader, the located problem types) are imported by
# _import_commands() once the arguments have parsed and the outputs are planned: `--help`, `--version` and usage
# errors never pay for them. A usage error is a UsageError printed inert (_import_usage; measured in
# benchmarks/README.md).
default_catalog_dir = in_force = load_catalog = load_catalogs = None
InputError = Problem = fail = forget_inputs = inert = load = None
ensure_folder = silence_stdout = write_output = write_outputs = None
dt = json = partial = Path = None


class UsageError(Exception):
    """A usage error about the outputs or a name on the command line (exit 2): the line ``PATH: message`` a located
    problem without a line prints, decided before ``compliance.located`` loads (its ``dataclasses`` were 5 ms)."""

    def __init__(self, path, message: str):
        super().__init__(f"{path}: {message}")


def _import_usage() -> None:
    global Path, inert
    from pathlib import Path

    from compliance.inert import inert


def _import_commands() -> None:
    global dt, json, partial
    import datetime as dt
    import json
    from functools import partial

    global InputError, Problem, fail
    from compliance.located import InputError, Problem, fail

    global default_catalog_dir, in_force, load_catalog, load_catalogs, forget_inputs, load
    global ensure_folder, silence_stdout, write_output, write_outputs
    from compliance.catalog import default_catalog_dir, in_force, load_catalog, load_catalogs
    from compliance.loading import forget_inputs, load
    from compliance.output import ensure_folder, silence_stdout, write_output, write_outputs

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in pipa-audit, never confused with findings (1) or bad input (2)
EXIT_PIPE = 141  # 128 + SIGPIPE: standard output closed before a listing was complete

def exit_codes() -> str:
    """The exit-code matrix, in the user's language (printed by --help and quoted in the README)."""
    return _("""\
exit codes:
  0    pass: check - no failing finding; check --todo - nothing missing; diff - no regression;
       validate, catalog lint - all valid; catalog coverage - every duty covered; other commands - done
  1    check - a finding at or above --fail-on (default low); insufficient evidence counts unless
       --insufficient warn (--insufficient only: it alone counts); check --todo - a fact, attestation or
       attachment still missing (whatever --fail-on); diff - a regression (same policy);
       catalog coverage - a duty with neither a control nor a written reason
  2    bad input or usage: invalid or unreadable input (FILE:LINE: message), unknown option or
       output extension, an output that cannot be written, a date computed out of range
  70   internal error (a bug: please report)
  130  interrupted (Ctrl-C)
  141  standard output closed by its reader before a listing was complete
""")


def _columns(text: str) -> int:
    """Terminal columns ``text`` takes: Hangul and other wide characters take two (ASCII text, most help, is its length:
    asking unicodedata for each of its characters was 3 ms of every --help)."""
    if text.isascii():
        return len(text)
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns`` as argparse asks it: $COLUMNS, else standard output's terminal, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
        except (AttributeError, ValueError, OSError):
            columns = 80
    return columns


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Help wrapped by the columns a terminal shows: argparse counts characters, so Korean help ran past the edge."""

    def __init__(self, prog, indent_increment=2, max_help_position=24, width=None):
        if width is None:  # what argparse computes, without importing shutil (2 ms of every command: add_argument
            width = _terminal_columns() - 2  # makes a formatter too)
        super().__init__(prog, indent_increment, max_help_position, width)

    def _split_lines(self, text, width):
        lines, line = [], ""
        for word in " ".join(text.split()).split(" "):
            candidate = f"{line} {word}" if line else word
            if line and _columns(candidate) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        return [*lines, line] if line else lines


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message):  # usage errors: one line, exit 2
        self.exit(EXIT_INPUT, _("%(prog)s: error: %(message)s\n") % {"prog": self.prog, "message": message})


def _date(text: str) -> dt.date:
    import datetime as dt

    import re

    try:  # fromisoformat also takes 20250101 and 2025-W48-1: only the form the message names
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("invalid date {value} (use YYYY-MM-DD)").format(value=repr(text))) from None


def _docs_url(text: str) -> str:
    """--docs-url: the absolute http(s) URL SARIF rules link to (``helpUri``, which the SARIF schema and GitHub's upload
    require to be an absolute URI). Checked when the arguments are parsed, so a bad value is a usage error before any
    audit runs. A host written in Unicode is given in its ASCII (IDNA) form and other characters of the path are
    percent-encoded, as a URI writes them; anything that cannot be made a URI is refused."""
    import ipaddress
    import re
    from urllib.parse import quote, urlsplit, urlunsplit

    def bad(why: str):
        return argparse.ArgumentTypeError(
            _("{value} is not a usable docs URL: {why} (e.g. https://example.org/pipa-docs/)").format(value=repr(text), why=why))

    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise bad(_("it holds a space or a control character"))
    if re.search(r"%(?![0-9A-Fa-f]{2})", text):
        raise bad(_("'%' must start a percent-escape such as %20"))
    try:
        parts = urlsplit(text)
        port = parts.port  # a port that is not a number in range raises here
    except ValueError as exc:
        raise bad(str(exc)) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise bad(_("give an absolute http:// or https:// URL"))
    host = parts.hostname or ""
    if not host:
        raise bad(_("it has no host"))
    if parts.username is not None or parts.password is not None:
        raise bad(_("a user name or password would be published in every SARIF file"))
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise bad(_("no query or fragment: rules link to <URL>/catalog.html#<control>"))
    if parts.netloc.split("@")[-1].startswith("["):  # an IPv6 literal
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise bad(_("[{host}] is not an IPv6 address").format(host=host)) from None
        host = f"[{host}]"
    else:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise bad(_("the host is not a valid domain name")) from None
        if not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.?", host):
            raise bad(_("{host} is not a valid host name").format(host=repr(host)))
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
            raise fail(args.source, _("expected a mapping at the top level, found {kind}").format(kind=type(existing).__name__), 1)
        _only_facts_fields(args.source, existing, text)
    out = None if args.output == "-" else Path(args.output)
    if out is not None:
        if out.suffix.lower() == ".json":
            raise fail(out, _("init writes YAML (it carries comments) or a workbook; name the output .yaml or .xlsx"))
        if (out.exists() or out.is_symlink()) and not args.force:
            same = args.source and out.exists() and out.samefile(args.source)
            raise fail(out, _("already exists; use --force to overwrite (it is the --from file)") if same
                       else _("already exists; use --force to overwrite"))
        if args.source is not None and out.exists() and out.samefile(args.source):
            forget_inputs()  # --force: the one input init may replace is the file it was asked to re-generate
    catalogs = load_catalogs(args.catalog)
    if out is not None and out.suffix.lower() == ".xlsx":  # the officer's workbook: the same model, another face
        from compliance.workbook import write_workbook

        ensure_folder(out.parent)
        write_output(out, lambda: write_workbook(catalogs, existing, args.source))
        print(inert(_("wrote {path}").format(path=out)), file=sys.stderr)
        return EXIT_OK
    body = render_template(catalogs, existing, args.source).encode("utf-8")
    if out is None:
        write_output(None, body)
        return EXIT_OK
    ensure_folder(out.parent)
    schema = out.parent / SCHEMA_FILE
    if _ours(schema):
        write_output(schema, schema_bytes())
    else:
        print(inert(_("{path}: not written (a file of that name exists and is not a pipa-audit facts schema)").format(path=schema)), file=sys.stderr)
    write_output(out, body)
    print(inert(_("wrote {path}").format(path=out)), file=sys.stderr)
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
        raise InputError([Problem(str(path), locator.line((key,)), _("'{key}' is not a facts field: init --from would drop it "
                                  "(is this a facts file? check the spelling)").format(key=key)) for key in unknown])


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
                facts, _text, _statuses, wrong = check_facts(name, catalogs, data, text, former_ids(catalogs), rows_as_structs=True)
                if wrong:
                    raise InputError(wrong)
                as_of = as_of or facts.as_of
            print(inert(_("{path}: ok ({kind})").format(path=name, kind=kind)))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return EXIT_OK


def _progress(args):
    """One line on a terminal (loading, evaluating, rendering); silent when stderr is not a terminal or with --quiet."""
    from compliance.logs.progress import Progress

    return Progress(enabled=False if getattr(args, "quiet", False) else None)


def _audit(args, progress=None, keep_facts: bool = True):
    """The audit of ``args.facts``. A check keeps what it built until the process ends (``_keep``), unless
    ``keep_facts`` is false: the facts and the result are then freed before the outputs are rendered (the result as
    soon as the last output needing it has read it: ``_run_outputs``), for an output whose renderer needs the memory
    (a PDF's layout at 1M rows peaked at 3.2 GB beside both, 2.2 GB beside the result)."""
    from compliance.pipeline import evaluate, prepare

    progress = progress or _progress(args)
    progress.show(_("loading {path} and the catalogs…").format(path=args.facts), force=True)
    prepared = prepare(args.facts, args.catalog, args.waivers, args.as_of, getattr(args, "derived", None))
    progress.show(_("evaluating {path}…").format(path=args.facts), force=True)
    try:
        result = evaluate(prepared)
    finally:
        progress.done()
    if args.command == "check":
        _keep(*((prepared, result) if keep_facts else ()))
    return result


def _plan_of(args) -> list[tuple[str | None, str]]:
    """The plan ``main`` made (``_planned``), or made now (when planning first failed in another way than a usage error:
    the command then reports that failure as every failure is reported, in ``_run``)."""
    if getattr(args, "plan", None) is None:
        args.plan = _planned(args)
    return args.plan


def _planned(args) -> list[tuple[str | None, str]]:
    """The outputs of check, report or diff, each with its format, and every usage error about them (exit 2): --todo
    with --format or -o -, an unknown extension, a file given twice, --framework or --pdfa with a format that cannot
    take it, a binary format on a terminal. ``main`` asks before the models and parsers are imported, so such an
    error takes about as long as ``--help`` (it took 0.2 s); the plan is kept in ``args.plan`` for the command."""
    if args.command == "diff":
        from compliance.vocabulary import DIFF_FORMATS

        return _plan(args, DIFF_FORMATS, "text")
    if getattr(args, "todo", False):
        if args.format or "-" in (args.output or []):
            raise UsageError("--todo", _("prints the list of what is missing on standard output: drop --format and -o - "
                                   "(the JSON result holds the list as 'todo')"))
        if not args.output:
            return []
    from compliance.format_index import declared

    formats = declared()
    plan = _plan(args, {f.name: f.suffixes for f in formats.values()}, "text" if args.command == "check" else "pdf")
    chosen = [fmt for _, fmt in plan]
    if getattr(args, "framework", None) and any(not formats[f].framework for f in chosen):
        able = " or ".join(sorted((f.name for f in formats.values() if f.framework), key=lambda n: (n != "text", n)))
        raise UsageError(args.facts, _("--framework works with --format {formats}").format(formats=able))
    if args.pdfa and "pdf" not in chosen:
        raise UsageError(args.output[0] if args.output else args.facts, _("--pdfa applies to PDF output only"))
    for path, fmt in plan:  # binary bytes on a terminal garble it: only to a file or a pipe
        if path is None and formats[fmt].binary and sys.stdout.isatty():
            raise UsageError("-", _("standard output is a terminal and {format} is binary; give -o FILE or redirect to a file or pipe").format(format=fmt))
    return plan


def _plan(args, formats: dict[str, tuple[str, ...]], default: str) -> list[tuple[str | None, str]]:
    """Each output with its format, decided before any work: standard output (``-`` or no -o)
    takes --format or ``default``; a file takes --format when it is the only output, else the
    format its extension names. An unknown extension is a usage error (exit 2)."""
    from compliance.format_index import format_for_path

    outputs = args.output or ["-"]
    if args.format and len(outputs) > 1 and "-" not in outputs:
        raise UsageError(outputs[0], _("--format applies to standard output or a single -o; with several -o, each extension names its format"))
    plan: list[tuple[str | None, str]] = []
    seen: set[str] = set()
    for out in outputs:
        key = "-" if out == "-" else os.path.realpath(out)  # not Path.resolve: a symlink loop raises there (exit 70)
        if key in seen:
            raise UsageError(out, _("given twice as -o"))
        seen.add(key)
        if out == "-":
            plan.append((None, args.format or default))
            continue
        target = Path(out)
        if target.is_dir():
            raise UsageError(out, _("is a directory; give a file name"))
        if target.is_symlink() and not target.exists():
            raise UsageError(out, _("is a symlink to nothing; give a real file name"))
        if not target.parent.is_dir():
            raise UsageError(out, _("folder {folder} does not exist").format(folder=target.parent))
        fmt = args.format if args.format and len(outputs) == 1 else format_for_path(out, formats)
        if fmt is None:
            known = ", ".join(sorted(s for suffixes in formats.values() for s in suffixes))
            raise UsageError(out, _("unknown output extension; use one of {known}, or --format with a single -o").format(known=known))
        plan.append((out, fmt))
    return plan


def _render_options(args):
    from compliance.render import Options

    return Options(
        lang=_document_lang(args), threshold=getattr(args, "fail_on", "low"), insufficient=getattr(args, "insufficient", "fail"),
        pdfa=args.pdfa, framework=getattr(args, "framework", None), catalog_dir=args.catalog, facts_path=args.facts,
        sarif_root=args.sarif_root, sarif_category=args.sarif_category, docs_url=args.docs_url,
        audience=getattr(args, "audience", "internal"),
        show_statutory_maximum=getattr(args, "show_statutory_maximum", False),
    )


def _run_outputs(args, after):
    """check and report: the outputs planned (``_planned``), audit once, render every output, then write them.
    Returns ``after(result)`` (what the command reads once the outputs are written) and the plan.

    With an output whose layout needs more memory than the facts (a PDF: its format declares ``handover``), the facts
    are freed before the renders, those outputs are rendered last, and the last of them takes the result: it lets go
    of it once its text is made, before the layout. ``after`` is asked first, so that nothing else holds the result
    by then."""
    from compliance.format_index import declared  # what the renderers declare, without importing them

    plan = _plan_of(args)
    progress = _progress(args)
    formats = declared()
    heavy = [i for i, (_path, fmt) in enumerate(plan) if formats[fmt].handover]
    result = _audit(args, progress, keep_facts=not heavy)
    kept = after(result)
    held = [result]  # the one reference left once ``result`` is deleted: the last heavy output empties it
    del result
    if args.command == "check":
        _keep(held)
    options = _render_options(args)
    from compliance.render import registry  # the renderers, once there is something to render: imported before
    renderers = registry()  # the outputs' signal handlers are set, so a SIGTERM never lands inside an import

    def rendering(path, fmt, last):
        def run():
            progress.show(_("rendering {path} ({format})…").format(path=path or _("standard output"), format=fmt), force=True)
            chosen = renderers[fmt]
            if last and chosen.handover is not None:
                return chosen.handover(held, options)
            return (chosen.stream or chosen.render)(held[0], options)  # pieces, where the format gives them

        return run

    order = [i for i in range(len(plan)) if i not in heavy] + heavy  # the renders that read the result whole, first
    # targets checked and temporary files reserved first, then every render, then the renames:
    # a refusal or a render error writes nothing, and SIGTERM during a render leaves no temporary file
    try:
        write_outputs([(plan[i][0], rendering(*plan[i], bool(heavy) and i == heavy[-1])) for i in order])
    finally:
        progress.done()
    return kept, plan


def cmd_check(args) -> int:
    from compliance.gate import failing

    if args.todo:
        return _check_todo(args)
    outcome = _run_outputs(args, lambda r: _After(r, failing(r, args.fail_on, args.insufficient)))[0]
    if outcome.law_changes:  # the audit judges the as-of date: say, in one line, that the law moved inside the period
        print(inert(_(
            "warning: the law changed inside the audit period ({count} change(s), first: {first}); duties are judged under "
            "the law in force on {as_of}, incidents under the law of their date; see `pipa-audit catalog diff --from "
            "{start} --to {as_of}`").format(count=len(outcome.law_changes), first=outcome.law_changes[0], as_of=outcome.as_of,
                                            start=outcome.period_start)), file=sys.stderr)
    return EXIT_FINDINGS if outcome.failing else EXIT_OK


class _After:
    """What ``check`` reads of the result once its outputs are written (the result itself may be gone: a PDF)."""

    __slots__ = ("law_changes", "as_of", "period_start", "failing")

    def __init__(self, result, failing: bool):
        self.law_changes, self.as_of, self.period_start = result.law_changes, result.as_of, result.period_start
        self.failing = failing


def _check_todo(args) -> int:
    """check --todo: what is still missing, by item, on standard output; exit 1 while anything is."""
    from compliance.todo import text

    _plan_of(args)  # --todo's own usage errors
    todo = _run_outputs(args, lambda r: r.todo)[0] if args.output else _audit(args).todo
    sys.stdout.write(text(todo))
    return EXIT_FINDINGS if todo else EXIT_OK


def cmd_report(args) -> int:
    _nothing, plan = _run_outputs(args, lambda result: None)
    for path, fmt in plan:
        if path is not None:
            print(inert(_("wrote {path} ({format}, {lang})").format(path=path, format=fmt, lang=_document_lang(args))), file=sys.stderr)
    return EXIT_OK


def cmd_diff(args) -> int:
    from compliance import diff

    plan = _plan_of(args)
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
    lang = _document_lang(args)
    pdf = out / f"ecommerce-breach-report.{lang}.pdf"
    write_output(pdf, lambda: render(result, "pdf", lang))
    write_output(out / "ecommerce-breach-result.json", lambda: render(result, "json"))
    print(table(result), end="")
    print("\n" + inert(_("wrote {path}").format(path=pdf)), file=sys.stderr)
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
            raise fail("--before", _("{kind} is not a scan whose findings can be compared: give one file").format(kind=args.kind))
        before = (args.before, read_bytes(args.before, MAX_IMPORT_BYTES))
        bound_containers(args.kind, before[1], args.before)
        observed = module.read(data, args.file, ids, kind=args.kind, before=before)
    else:
        observed = module.read(data, args.file, ids, kind=args.kind)
    doc = document(args.kind, observed, args.file, data, ids, before)
    write_output(args.output, dumps(doc))
    rows = sum(len(v) for v in doc.lists.values()) + sum(len(v) for f in doc.systems.values() for k, v in f.items() if isinstance(v, list))
    print(inert(_("{path}: {rows} rows from {source} ({tool}); {unmapped} unmapped").format(
        path=args.output, rows=rows, source=args.file, tool=doc.tool, unmapped=len(doc.unmapped))), file=sys.stderr)
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
        print(_("{catalogs} catalogs, {controls} controls: ok").format(catalogs=len(catalogs), controls=n))
        return EXIT_OK
    if args.action == "coverage":
        return _coverage(args, catalogs)
    if args.action == "diff":
        return _law_diff(args, catalogs)
    if args.action == "export":
        return _export(args, catalogs)
    if args.action == "docs":
        from compliance.docs import write_docs

        if not args.output:
            raise fail("catalog docs", _("needs -o DIR"))
        for path in write_docs(catalogs, args.catalog, ensure_folder(args.output)):
            print(inert(_("wrote {path}").format(path=path)), file=sys.stderr)
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


def _export(args, catalogs) -> int:
    """The catalogs in force on a date as OSCAL catalogs and profiles, and the assessment plan OSCAL results import:
    what GRC tools resolve the results' control ids against (compliance.oscal_catalog)."""
    from compliance.oscal_catalog import export

    if args.diff_format != "oscal":
        raise fail("catalog export", _("needs --format oscal"))
    if not args.output:
        raise fail("catalog export", _("needs -o DIR"))
    if args.as_of is None:
        raise fail("catalog export", _("needs --as-of DATE: the date the law is taken as in force (an audit's as_of)"))
    for path in export(catalogs, args.catalog, args.as_of, ensure_folder(args.output)):
        print(inert(_("wrote {path}").format(path=path)), file=sys.stderr)
    return EXIT_OK


def _law_diff(args, catalogs) -> int:
    """Provisions added, removed, re-worded, renumbered and re-checked between two dates."""
    from compliance.versions import diff

    if args.date_from is None or args.date_to is None:
        raise fail("catalog diff", _("needs --from DATE and --to DATE"))
    if args.date_from > args.date_to:
        raise fail("catalog diff", _("--from {start} is after --to {end}: give the earlier date first").format(start=args.date_from, end=args.date_to))
    if args.diff_format == "oscal":
        raise fail("catalog diff", _("--format oscal is for catalog export; diff writes text or json"))
    changes = diff(catalogs, args.date_from, args.date_to)
    if args.diff_format == "json":
        rows = [{**c.__dict__, "on": c.on.isoformat()} for c in changes]
        _emit((json.dumps({"from": args.date_from.isoformat(), "to": args.date_to.isoformat(), "changes": rows}, ensure_ascii=False, indent=2) + "\n").encode("utf-8"), args.output)
        return EXIT_OK
    lines = [_("changes of law between {start} and {end}: {count}").format(start=args.date_from, end=args.date_to, count=len(changes)),
             *(c.line() for c in changes)]
    _emit(("\n".join(lines) + "\n").encode("utf-8"), args.output)
    return EXIT_OK


def _coverage(args, catalogs) -> int:
    from compliance.coverage import coverage, load_outlines

    outlines = [o for o in load_outlines(args.catalog) if args.instrument in (None, o.outline.id)]
    if not outlines:
        raise fail(args.catalog, _("no outline {name} in outlines/").format(name=repr(args.instrument)) if args.instrument
                   else _("no outline in outlines/"))
    gaps = 0
    for outline in outlines:
        rows = coverage(catalogs, outline, args.as_of)
        duties = [r for r in rows if r.node.duty]
        covered = sum(1 for r in duties if r.status == "covered")
        reasoned = sum(1 for r in duties if r.status == "reason")
        when = _("law in force on {date}").format(date=args.as_of) if args.as_of else _("every version")
        title = outline.outline.title.ko if i18n.current() == "ko" else outline.outline.title.en
        print(inert(f"{outline.outline.id}: {title} ({when})"))
        for r in rows:
            what = ", ".join(r.controls) if r.controls else (r.node.reason or _("NO CONTROL"))
            print(inert(f"  {r.status:<8} {r.cite:<16} {(r.node.title or ''):<28} {what}"))
        missing = len(duties) - covered - reasoned
        gaps += missing
        print("  " + _("duties {duties}: {covered} covered by controls, {reasoned} with a written reason, {missing} uncovered "
                       "({percent}%)").format(duties=len(duties), covered=covered, reasoned=reasoned, missing=missing,
                                              percent=100 * (covered + reasoned) // max(len(duties), 1)) + "\n")
    return EXIT_FINDINGS if gaps else EXIT_OK


# ------------------------------------------------------------------------------------ parser


def audit_commands() -> dict[str, str]:
    return {
        "check": _("evaluate; exit 1 on failing findings"),
        "report": _("render the auditor's report (PDF, HTML, Markdown, …)"),
        "diff": _("compare two JSON results: regressions, fixes, waivers, law changes; exit 1 on regressions"),
    }


AUDIT_COMMANDS = ("check", "report", "diff")


def _lang_option(parser) -> None:
    """--lang on every command: messages, help and the text table (default: the locale's language); for documents
    (PDF, HTML, Markdown) the report's language (default: Korean). Read before parsing (``main``), so --help obeys it."""
    parser.add_argument("--lang", choices=list(i18n.LANGS), default=argparse.SUPPRESS,
                        help=_("ko or en: messages, help and the text table (default: the locale's language); "
                               "reports (pdf, html, md) default to ko"))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or (``only``: the command about to run, '' for none) one whose other commands are named with
    their one-line help only: the overview (``pipa-audit --help``) and argparse's "invalid choice" need no more, and
    building every command's options (the import command's tools, the logs subcommands, the output formats the
    renderers declare) was most of the time ``--help`` and a usage error took."""
    p = _Parser(
        prog="pipa-audit",
        description=_("Audit evidence against Korea's PIPA and the PIPC safety-measures standard.\n\n"
                      "the flow:\n"
                      "  1. init -o 점검표.xlsx     write the workbook (or facts.yaml) to fill in\n"
                      "  2. validate 점검표.xlsx    check what you filled: every problem with its cell or line\n"
                      "  3. check 점검표.xlsx       the verdicts; --todo lists what is still missing, by item\n"
                      "  4. report 점검표.xlsx -o report.pdf [--audience regulator]   the report to sign"),
        epilog=exit_codes(), formatter_class=_Formatter,
    )
    p.add_argument("--version", action="version", version=f"pipa-audit {__version__}", help=_("show program's version number and exit"))
    _lang_option(p)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser, title=_("commands"), metavar="COMMAND")
    catalog_kw = {"default": None, "help": _("catalog folder (default: the bundled catalogs)")}

    def command(name: str, helptext: str, **kw) -> argparse.ArgumentParser | None:
        """The command's parser to add its options to, or None when another command runs (named, not built)."""
        s = sub.add_parser(name, help=helptext, description=helptext, **(kw if only in (None, name) else {}))
        _lang_option(s)
        return s if only in (None, name) else None

    s = command("init", _("write the facts template (.yaml) or the officer's workbook (.xlsx), generated from the catalogs"))
    if s:
        s.add_argument("--catalog", **catalog_kw)
        s.add_argument("-o", "--output", default="facts.yaml", help=_(
            "the template: .yaml (facts.schema.json is written beside it for editors) or .xlsx (a workbook with one sheet "
            "per list); folders created; - is standard output"))
        s.add_argument("--force", action="store_true", help=_("overwrite an existing file"))
        s.add_argument("--from", dest="source", default=None, metavar="FACTS", help=_(
            "re-generate around a filled facts file or workbook: its values kept, fields the catalogs also read added"))
        s.set_defaults(func=cmd_init)

    s = command("validate", _("validate facts (YAML, JSON, workbook), waivers and catalog files"))
    if s:
        s.add_argument("files", nargs="+", metavar="FILE", help=_("facts, waivers or catalog files"))
        s.add_argument("--catalog", **catalog_kw)
        s.set_defaults(func=cmd_validate)

    _add_audit_commands(command, catalog_kw)

    s = command("demo", _("run the bundled seed scenario and write its PDF report"))
    if s:
        s.add_argument("-o", "--output", default="pipa-audit-demo", help=_("folder for the report and the JSON result"))
        s.add_argument("--catalog", **catalog_kw)
        s.set_defaults(func=cmd_demo)

    s = command("import", _("turn a tool's output (IAM credential report, IdP users, scanners, Prowler, Wazuh) "
                            "into observed facts: import KIND FILE -o evidence/observed/x.json"))
    if s:
        from compliance.importer_index import MODULES

        s.add_argument("kind", choices=sorted(MODULES), metavar="KIND", help=_("the tool and format: {kinds}").format(kinds=", ".join(sorted(MODULES))))
        s.add_argument("file", help=_("the tool's output, as the tool wrote it"))
        s.add_argument("--map", default=None, metavar="IDENTITIES",
                       help=_("YAML: handlers: {tool user: handler id}, systems: {account/target/agent: system id}"))
        s.add_argument("--before", default=None, metavar="FILE",
                       help=_("scanners: the earlier scan of the same targets; what it found and FILE does not was fixed in between"))
        s.add_argument("-o", "--output", required=True, help=_("the observed-facts JSON to write (list it under observed: in the facts)"))
        s.set_defaults(func=cmd_import)

    s = command("schema", _("print a JSON Schema: result, facts, catalog, waivers or observed"))
    if s:
        s.add_argument("which", choices=["result", "facts", "catalog", "waivers", "observed"], help=_("which schema"))
        s.add_argument("-o", "--output", default=None, help=_("write here instead of standard output"))
        s.set_defaults(func=cmd_schema)

    s = command(
        "catalog",
        _("list, lint, coverage (exit 1 on an uncovered duty), docs -o DIR, diff --from DATE --to DATE (what the law "
          "changed), export --format oscal --as-of DATE -o DIR (OSCAL catalogs, profiles and assessment plan)"),
    )
    if s:
        s.add_argument("action", choices=["list", "lint", "coverage", "docs", "diff", "export"], help=_("what to do with the catalogs"))
        s.add_argument("--catalog", **catalog_kw)
        s.add_argument("--as-of", type=_date, default=None, metavar="DATE", help=_("list/coverage/export: the law in force on this date"))
        s.add_argument("--from", dest="date_from", type=_date, default=None, help=_("diff: the earlier date"))
        s.add_argument("--to", dest="date_to", type=_date, default=None, help=_("diff: the later date"))
        s.add_argument("--format", dest="diff_format", choices=["text", "json", "oscal"], default="text",
                       help=_("diff: text or json; export: oscal"))
        s.add_argument("--instrument", default=None, help=_("coverage of one outline id only"))
        s.add_argument("-o", "--output", default=None, help=_("docs, export: output folder; diff: output file"))
        s.set_defaults(func=cmd_catalog)

    if only in (None, "logs"):
        from compliance.logs.cli import add_logs_parser  # parser only; engines load when a logs command runs

        add_logs_parser(sub, _Parser)
    else:  # its help as add_logs_parser gives it (a test holds the overview to the whole parser's)
        command("logs", _("access records (접속기록): ingest exports, analyse them, export the SQL"))
    return p


def _add_audit_commands(command, catalog_kw: dict) -> None:
    """check, report and diff (each built only when it runs, or for the whole parser): the options of check and report
    list the output formats, which the renderers declare (``compliance.format_index``: read without importing them)."""
    from compliance.vocabulary import DIFF_FORMATS, INSUFFICIENT, THRESHOLDS

    policy = {
        "--fail-on": {"choices": THRESHOLDS, "default": "low", "help": _("lowest severity that fails (exit 1); none: never")},
        "--insufficient": {
            "choices": INSUFFICIENT, "default": "fail",
            "help": _("fail (default): insufficient evidence fails like a finding of its severity; warn: report it "
                      "without failing on it; only: fail on insufficient evidence alone (a separate evidence gate)"),
        },
    }
    helps = audit_commands()
    for name, func in (("check", cmd_check), ("report", cmd_report)):
        s = command(name, helps[name], epilog=exit_codes(), formatter_class=_Formatter)
        if s is None:
            continue
        from compliance.format_index import declared

        formats = declared()
        suffixes = ", ".join(f"{'/'.join(f.suffixes)} {f.name}" for f in formats.values())
        s.add_argument("facts", metavar="FACTS", help=_("the facts file: .yaml, .json or the officer's workbook .xlsx"))
        s.add_argument("--catalog", **catalog_kw)
        s.add_argument("--waivers", default=None, metavar="WAIVERS", help=_("the waivers file (owner, justification, expiry per control)"))
        s.add_argument(
            "--derived", default=None, metavar="DERIVED.json",
            help=_("what the access records show (from `pipa-audit logs analyze`): checked against the stated facts"),
        )
        s.add_argument("--as-of", type=_date, default=None, metavar="DATE", help=_("judge on this date (default: as_of in the facts)"))
        s.add_argument(
            "-o", "--output", action="append", default=None, metavar="FILE",
            help=_("write here; repeat for several outputs of one audit, each in the format its extension names ({suffixes}); "
                   "- is standard output").format(suffixes=suffixes),
        )
        default = "text" if name == "check" else _("from the extension; pdf on standard output")
        s.add_argument(
            "--format", choices=list(formats), default=None,
            help=_("format of standard output or of a single -o (default: {default}): {formats}").format(
                default=default, formats="; ".join(f"{f.name} - {i18n.translate(f.summary)}" for f in formats.values())),
        )
        s.add_argument("--pdfa", action="store_true", help=_("PDF/A-3b (archival) with the JSON result embedded"))
        s.add_argument("--quiet", "-q", action="store_true",
                       help=_("no progress line on the terminal (it is never shown when stderr is not a terminal)"))
        if name == "report":
            s.add_argument(
                "--audience", choices=["internal", "regulator"], default="internal",
                help=_("internal (default): review copy stamped 'internal review', with what is still missing and the penalty "
                       "provisions the findings engage; regulator: the copy submitted to the PIPC, stamped "
                       "'대외비 — 규제기관 제출용', in Korean, with the submission sign-off and no penalty review"),
            )
            s.add_argument(
                "--show-statutory-maximum", action="store_true",
                help=_("internal copy: print the statutory maximum of each penalty (a legal ceiling from the stated revenue, "
                       "never the expected fine)"),
            )
        s.add_argument("--sarif-root", default=None, metavar="DIR",
                       help=_("SARIF paths relative to this folder (default: the git repository holding the facts file)"))
        s.add_argument("--sarif-category", default=None, metavar="CATEGORY",
                       help=_("SARIF: code scanning category, written as automationDetails.id CATEGORY/ (default: "
                              "pipa-audit/<facts file>/, one per facts file)"))
        s.add_argument("--docs-url", type=_docs_url, default=None, metavar="URL",
                       help=_("where `catalog docs` output is published (an absolute http(s) URL); SARIF rules link there (helpUri)"))
        s.set_defaults(func=func)
        if name == "check":
            for flag, kw in policy.items():
                s.add_argument(flag, **kw)
            s.add_argument("--framework", default=None, help=_("group the result by a framework, e.g. isms-p (text, json)"))
            s.add_argument("--todo", action="store_true", help=_(
                "print what is still missing instead of the table, one line per item and field (item · label · field · "
                "provision): facts not stated, attestations due, attachments expected; exit 0 when nothing is missing, "
                "1 when something is (whatever --fail-on); -o files are still written"))

    s = command("diff", helps["diff"], epilog=exit_codes(), formatter_class=_Formatter)
    if s is None:
        return
    s.add_argument("old", help=_("earlier result (check -o result.json)"))
    s.add_argument("new", help=_("later result"))
    s.add_argument("--format", choices=list(DIFF_FORMATS), default=None, help=_("md: for a CI job summary (default: text)"))
    s.add_argument("-o", "--output", action="append", default=None, metavar="FILE",
                   help=_("write here (repeatable: .txt text, .md md, .json json); - is standard output"))
    for flag, kw in policy.items():
        s.add_argument(flag, **kw)
    s.add_argument("--catalog", **catalog_kw)
    s.set_defaults(func=cmd_diff)


_KEPT: list = []
"""What ``check`` built (the facts as the checks read them, the result), kept until the process ends when it runs as
the console command (``run``): freeing millions of rows one by one at the end of the command was 10% of a 1M-row
check, and the process is about to end anyway."""
_ENDING = False


def _keep(*objects) -> None:
    if _ENDING:
        _KEPT.extend(objects)


def run() -> None:
    """The ``pipa-audit`` console command: ``main``, then, after a ``check`` whose outputs are all written, flushed
    and closed, the process ends without freeing what it built (``os._exit``); every other command ends as usual."""
    global _ENDING
    _ENDING = True
    code = main()
    if not _KEPT:
        raise SystemExit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken stream: main already said so and chose the code
            pass
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    for stream in (sys.stdout, sys.stderr):  # a locale that cannot show Hangul (latin-1, C) gets \uXXXX, not a crash
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):  # replaced by a caller with a stream of another kind
            pass
    i18n.use(_lang_asked(argv))  # before the parser is built: its help is in that language
    parser = build_parser(next((a for a in argv if not a.startswith("-") and a not in i18n.LANGS), ""))
    args = parser.parse_args(argv)
    if args.command == "report" and not args.output:
        parser.error(_("report needs -o FILE (use -o - for standard output)"))
    _import_usage()
    if args.command in AUDIT_COMMANDS:  # usage errors about the outputs before any model or parser is imported
        try:
            _names_are_utf8(args)
            args.plan = _planned(args)
        except UsageError as exc:
            _say(str(exc))
            return EXIT_INPUT
        except Exception:  # noqa: BLE001 - not a usage error: planned again by the command, and reported by _run
            args.plan = None
    _import_commands()
    if getattr(args, "catalog", "unset") is None:
        args.catalog = default_catalog_dir()
    forget_inputs()
    # A run builds millions of small objects and frees them at exit: the cyclic collector only costs time here
    # (measured: 45% of `check` on a 100k-row JSON file), so it is off for the command, as the loader already did.
    gc.disable()
    try:
        code = _run(args)
    finally:
        if not _KEPT:  # else the process ends now (run): the first allocation after enable() would collect every
            gc.enable()  # object made while it was off, 1.3 s of a 1M-row check (measured), for nothing
    try:  # flush here, not at exit: a failing flush at exit becomes Python's exit 120 and a traceback
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
    except OSError as exc:
        silence_stdout()
        if code in (EXIT_OK, EXIT_FINDINGS):  # else the error was already reported
            _say(_("standard output: cannot write: {why}").format(why=exc.strerror or exc))
            return EXIT_INPUT
    return code


def _lang_asked(argv: list[str]) -> str | None:
    """The language --lang names (its last use), before argparse has run; None: the locale's."""
    lang = None
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            lang = argv[i + 1]
        elif arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
    return lang if lang in i18n.LANGS else None


def _document_lang(args) -> str:
    """Reports are Korean-first: PDF, HTML and Markdown are Korean unless --lang says otherwise, from check and report
    alike; messages and the text table follow the locale (``i18n.current``)."""
    return getattr(args, "lang", None) or "ko"


def _run(args) -> int:
    try:
        _names_are_utf8(args)
        return args.func(args)
    except InputError as exc:
        for problem in exc.problems:
            _say(str(problem))
        return EXIT_INPUT
    except UsageError as exc:  # planned again by the command (``_plan_of``)
        _say(str(exc))
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # a listing cut short by its reader: not a success, not a finding
        silence_stdout()
        return EXIT_PIPE
    except UnicodeEncodeError as exc:  # a name from the file system that is no UTF-8 (e.g. the working folder's)
        _say(_("pipa-audit: {text} in a file or folder name is not UTF-8 text; rename it (reports name their inputs in UTF-8)").format(
            text=repr(exc.object[exc.start:exc.end])))
        return EXIT_INPUT
    except OverflowError as exc:  # date arithmetic past year 9999 (or before year 1) in a check
        _say(_("{path}: a date or number computed from the facts is out of range ({why}); check dates near year 1 or 9999").format(
            path=getattr(args, "facts", None) or "pipa-audit", why=exc))
        return EXIT_INPUT
    except OSError as exc:  # what no boundary converted (an unreadable catalog folder, a full stdout, …)
        where = exc.filename if isinstance(exc.filename, str) else "pipa-audit"
        _say(f"{where}: {exc.strerror or exc}")
        return EXIT_INPUT
    except Exception as exc:  # last resort: one line and a code of its own, never 1 (findings)
        _say(_("pipa-audit: internal error: {kind}: {why}; please report").format(kind=type(exc).__name__, why=exc))
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
                    raise UsageError(item, _("the name is not UTF-8 text; rename the file or folder (reports name their inputs in UTF-8)")) from None


def _say(line: str) -> None:
    """One inert line on stderr (control characters escaped); a closed stderr is not a crash."""
    try:
        print(inert(line), file=sys.stderr)
    except (OSError, ValueError):
        pass
