"""Glue from files to an AuditResult: load and validate every input, then evaluate.

Every input problem is collected and raised as one InputError before anything is
evaluated or written, so bad input never yields a partial result.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from compliance.catalog import Catalog, in_force, load_catalogs
from compliance.versions import diff
from compliance.evaluate import Inputs, evaluate
from compliance.evidence import inspect
from compliance.facts import Facts, to_evaluation_dict
from compliance.i18n import _
from compliance.integrity import reference_problems
from compliance.precedents import load_precedents
from compliance.loading import InputError, Problem, validate_file
from compliance.located import Document
from compliance.result import AuditResult
from compliance.waivers import load_waivers


def prepare(
    facts_path: str | Path,
    catalog_dir: str | Path,
    waivers_path: str | Path | None = None,
    as_of: dt.date | None = None,
    derived_path: str | Path | None = None,
) -> Inputs:
    """Load facts, catalogs, waivers and attachments; every problem of any of them is one InputError
    (``check_facts`` holds the facts file's rules, the same for ``validate``)."""
    catalogs: list[Catalog] = load_catalogs(catalog_dir)
    aliases = former_ids(catalogs)
    facts, text, statuses, problems = check_facts(facts_path, catalogs, aliases=aliases, rows_as_structs=True)
    when = as_of or facts.as_of
    chosen = in_force(catalogs, when)
    if not chosen:  # the date's fault, not the catalog folder's: name the option, or the facts file's as_of line
        first = min((c.meta.effective for c in catalogs), default=None)
        why = (_("no catalog is in force on that date: the earliest takes effect on {date}; give a date on or after it").format(
            date=first.isoformat()) if first and when < first else _("no catalog is in force on that date"))
        if as_of is not None:
            raise InputError([Problem(f"--as-of {when.isoformat()}", 0, why)])
        raise InputError([Document(str(facts_path), text).problem(("as_of",), f"{when.isoformat()}: {why}")])
    waivers = []
    if waivers_path is not None:
        try:
            waivers = load_waivers(waivers_path, catalogs, when)
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    # facts is only read again to compare with records; the long lists may stay structs (expr.read_as_structs)
    root = to_evaluation_dict(facts, release=derived_path is None, keep_structs=True)
    disagreements = []
    if root.pop("observed", None):  # stated and observed stay apart: observed rows join, disagreements fail controls
        from compliance.facts import struct_lists_as_dicts
        from compliance.observed import listed, merge

        struct_lists_as_dicts(root)  # observed rows join stated ones in place
        disagreements, strangers = merge(root, listed(str(facts_path)))
        if strangers:  # at the facts file's line that lists the document
            doc, at = Document(str(facts_path), text), {ref.path: i for i, ref in enumerate(facts.observed or [])}
            raise InputError([doc.problem(("observed", at.get(name, 0), "path"), message) for name, message in strangers])
    for section in ("attestations", "remediation_plan"):
        for entry in root.get(section) or []:
            entry["control"] = aliases.get(entry.get("control"), entry.get("control"))
    changes = law_changes_during(catalogs, facts.period_start, when)
    inputs = Inputs(chosen, root, str(facts_path), text, when, statuses, waivers, aliases, changes, load_precedents(catalog_dir))
    inputs.disagreements = disagreements
    if derived_path is not None:  # stated facts and observed facts stay apart; a check compares them
        from compliance.logs.compare import compare, load_derived  # no engine import: derived facts are JSON

        known = {c.control.id for cat in catalogs for c in cat.controls} | set(aliases)
        derived = load_derived(derived_path, facts_path, known)
        inputs.observations = compare(facts, derived)
        inputs.access_records = access_record_summary(derived_path, derived, inputs.observations)
    return inputs


def access_record_summary(path, derived, observations) -> dict:
    """What the report shows of the access-record analysis: where it came from, the rows, each observation with
    its first examples, and records and reviews per month per system (for the chart)."""
    examples = lambda o: [  # noqa: E731 - a small projection
        {"source": f"{e.source}:{e.line}", "at": e.at.isoformat() if e.at else None, "ip": e.ip, "country": e.country}
        for e in o.examples[:5]
    ]
    return {
        "file": Path(path).name,
        "engine": derived.engine.model_dump(mode="json"),
        "dataset": derived.dataset.model_dump(mode="json"),
        "inputs": [i.model_dump(mode="json") for i in derived.inputs],
        # the working calendar "off-hours" was judged by (None: derived facts written before it was recorded)
        "calendar": derived.calendar.model_dump(mode="json") if derived.calendar else None,
        "observations": [
            {"control": o.control, "analysis": o.analysis, "subject": o.subject, "status": o.status,
             "text": o.text.model_dump(), "examples": examples(o)}
            for o in observations if o.status != "clear"
        ],
        # per analysis: how many findings it counted and how many it kept as examples (a check counts them all)
        "analyses": {
            a.id: {"items_total": a.items_total, "items_kept": len(a.items), "counts": a.counts}
            for a in (getattr(derived.analyses, name) for name in type(derived.analyses).model_fields)
            if a is not None and hasattr(a, "items_total")
        },
        "monthly": [
            {"system": i.system, "period": i.period, "records": i.records, "reviews": i.reviews, "missed": i.missed}
            for i in derived.analyses.reviews.items
        ],
    }


def check_facts(facts_path, catalogs: list[Catalog], data=None, text: str | None = None, aliases=None,
                rows_as_structs: bool = False):
    """The facts file and everything it names, under one rule for ``validate``, ``check`` and ``report``:
    returns (facts, text, evidence manifest, problems). Every problem is an input error (exit 2): the model,
    tabular sources (``compliance.sources``), an attachment that is missing or differs from its stated
    SHA-256, references that do not resolve, dates that cannot be right (``compliance.chronology``).
    Raises InputError when the file itself cannot be read as facts.

    ``rows_as_structs``: the caller reads the row lists only by attribute and through ``to_evaluation_dict``, never
    by ``model_dump`` (``loading.validate_file``): the long lists are then decoded without a pydantic model per row."""
    from compliance.chronology import impossible_dates
    from compliance.loading import load
    from compliance.sources import expand, relocate

    path = str(facts_path)
    if data is None or text is None:
        data, text = load(facts_path, rows_of=Facts if rows_as_structs else None)
    # a {source: …} list names the key "source": without that text there is nothing to expand (and no walk of
    # every row: 0.05 s at 100k rows); a key spelled with escapes is not expanded, and then fails validation
    sourced, problems = (expand(data, text, path, Facts, rows_as_structs) if isinstance(data, dict) and "source" in text
                         else ([], []))
    try:
        facts, text = validate_file(facts_path, Facts, data, text, rows_as_structs=rows_as_structs)
    except InputError as exc:
        raise InputError(problems + exc.problems) from None
    if problems:
        raise InputError(problems)
    statuses, refusals, gaps = inspect(facts.attachments or [], Path(facts_path).parent, path, text)
    problems = refusals + gaps + unknown_references(facts, text, path, catalogs, aliases) + impossible_dates(facts, text, path)
    observed = []
    if facts.observed:  # what tools' outputs show (compliance.observed): read, hashed and checked like attachments
        from compliance.observed import read_listed

        _listed, observed, wrong = read_listed(facts, path, text)
        problems += wrong
    return facts, text, statuses + [s.status() for s in sourced] + observed, relocate(problems, sourced)


def unwaivable(catalogs: list[Catalog], aliases: dict[str, str] | None = None) -> dict[str, str]:
    """Control ids (and their former ids) no waiver may set aside, with the catalog's reason."""
    out = {c.control.id: c.control.not_waivable.en for cat in catalogs for c in cat.controls if c.control.not_waivable}
    return out | {old: out[new] for old, new in (aliases or {}).items() if new in out}


def former_ids(catalogs: list[Catalog]) -> dict[str, str]:
    """Ids a control had before a renumbering, mapped to its id now: evidence written earlier still applies."""
    return {old: c.control.id for cat in catalogs for c in cat.controls for old in c.control.formerly}


def law_changes_during(catalogs: list[Catalog], start, end) -> list[str]:
    """Changes of law inside an audit period: the audit judges the state on its as-of date, so say so."""
    if start is None or start >= end:
        return []
    return [ch.line() for ch in diff(catalogs, start, end)]


def unknown_references(facts: Facts, text: str, path: str, catalogs: list[Catalog], aliases=None) -> list[Problem]:
    """Attestations and plan items must name a known control, and attestations a listed attachment:
    a typo there would otherwise only show up as a silent evidence gap."""
    by_id = {c.control.id: c for cat in catalogs for c in cat.controls}
    by_id |= {old: by_id[new] for old, new in (aliases or {}).items() if new in by_id}
    attachments = {a.id for a in facts.attachments or []}
    doc = Document(path, text)
    problems = reference_problems(facts, text, path)
    for section in ("attestations", "remediation_plan"):
        for i, entry in enumerate(getattr(facts, section) or []):
            loc = (section, i, "control")
            if entry.control not in by_id:
                problems.append(doc.problem(loc, _("no control '{control}' in the catalogs").format(control=entry.control)))
            elif section == "attestations" and by_id[entry.control].control.attestation is None:
                problems.append(doc.problem(loc, _("control '{control}' is judged on facts, not on an attestation: state the "
                                                   "facts it reads instead").format(control=entry.control)))
            ref = getattr(entry, "attachment", None)
            if ref is not None and ref not in attachments:
                loc = (section, i, "attachment")
                problems.append(doc.problem(loc, _("no attachment with id '{id}'").format(id=ref)))
    # a delay ground's document: a typo would turn a lawful delay into a late notice without saying why
    for i, inc in enumerate(facts.incidents or []):
        for field in ("notice_delay", "report_delay"):
            ground = getattr(inc, field)
            if ground is not None and ground.attachment is not None and ground.attachment not in attachments:
                loc = ("incidents", i, field, "attachment")
                problems.append(doc.problem(loc, _("no attachment with id '{id}'").format(id=ground.attachment)))
    return problems


def audit(facts_path, catalog_dir, waivers_path=None, as_of=None, derived_path=None) -> AuditResult:
    return evaluate(prepare(facts_path, catalog_dir, waivers_path, as_of, derived_path))
