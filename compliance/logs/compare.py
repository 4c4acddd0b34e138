"""Stated against observed: what a check needs from the derived facts, one ``Observation`` per finding.

``compare(facts, derived)`` turns the analyses into observations tied to catalog controls, each citing the
stated fact and what the records show ("stated retention 730 days; the records reach back to 2025-07-16:
138 days"), with its examples. Each analysis's module says what it observes (``Spec.observe``, in
``compliance/logs/analyses/``); what it observed is filed under every control the catalogs bind it to (its
``provision.controls`` in the derived facts), never under a control written here. The evaluator decides verdicts from
``status``:

- ``violation``: the records show the duty was not met (an offender for the control);
- ``insufficient``: the records cannot support a finding (too many rejected rows, no records for a system);
- ``anomaly``: worth an auditor's look (off-hours burst, one account on two networks), not a verdict by itself;
- ``clear``: the analysis ran and found nothing against the statement.

``load_derived(path, facts_path)`` validates the JSON against ``DerivedFacts`` and refuses derived facts made
from another version of the facts file (their SHA-256 is recorded).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from compliance.i18n import _
from compliance.loading import InputError, fail, load, located
from compliance.located import Document
from compliance.logs import derived as d
from compliance.logs.manifest import sha256_file


class Observation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    control: str  # catalog control id, e.g. "notice/8.1"
    analysis: str  # derived-facts analysis id
    subject: str  # system, account, credential or "dataset"
    status: Literal["violation", "insufficient", "anomaly", "clear"]
    contradicts_stated: bool  # the records contradict something the facts state
    stated: dict[str, Any] = {}
    observed: dict[str, Any] = {}
    text: d.Text
    examples: list[d.Example] = []


def load_derived(path: str | Path, facts_path: str | Path | None = None, controls: set[str] | None = None) -> d.DerivedFacts:
    """The derived facts of ``path``; with ``controls`` (the ids the catalogs know), an analysis bound to a control no
    catalog has is refused at its line: what it found would otherwise inform nothing, without a word."""
    p = Path(path)
    # bounded, regular files only, an input of the run (no output may overwrite it); duplicate keys, deep nesting
    # and huge numbers are one located line
    data, text = load(p, as_json=True)
    if not isinstance(data, dict):
        raise fail(p, _("not derived facts: expected a JSON object, found {kind}").format(kind=type(data).__name__), 1)
    try:
        derived = d.DerivedFacts.model_validate(data)
    except ValidationError as exc:
        problems = located(p, text, exc).problems
        first = problems[0]
        text = _("not derived facts of this version ({field}: {message}; {count} problem(s)); run 'logs analyze' again")
        raise fail(p, text.format(field=first.field, message=first.message, count=len(problems)), first.line) from None
    if facts_path is not None and sha256_file(Path(facts_path)) != derived.facts_sha256:
        raise fail(p, _("was derived from another version of {facts} (SHA-256 differs); run 'logs analyze' "
                        "again").format(facts=facts_path))
    if controls is not None:
        doc = Document(str(p), text)
        unknown = [doc.problem(("analyses", name, "provision", "controls", i),
                               _("no control '{control}' in the catalogs: the {analysis} analysis would inform "
                                 "nothing; run 'logs analyze' with these catalogs again").format(control=cid,
                                                                                                  analysis=name))
                   for name, an in dict(derived.analyses).items() for i, cid in enumerate(an.provision.controls) if cid not in controls]
        if unknown:
            raise InputError(unknown)
    return derived


def _obs(control, analysis, subject, status, text_ko, text_en, stated=None, observed=None, examples=(),
         contradicts=False) -> Observation:
    return Observation(control=control, analysis=analysis, subject=subject, status=status,
                       contradicts_stated=contradicts, stated=stated or {}, observed=observed or {},
                       text=d.Text(ko=text_ko, en=text_en), examples=list(examples))


FIELD_KO = {"subject": "처리한 정보주체 정보", "action": "수행업무", "records": "처리건수", "reason": "사유"}


@dataclass(frozen=True)
class Seen:
    """What an analysis observed, before it is filed under each control its catalog binding names."""

    subject: str
    status: str
    text_ko: str
    text_en: str
    stated: dict | None = None
    observed: dict | None = None
    examples: tuple | list = ()
    contradicts: bool = False


class Context:
    """What an analysis's ``observe`` compares its section with: the stated facts and the derived facts."""

    def __init__(self, facts, derived: d.DerivedFacts):
        self.facts, self.derived = facts, derived
        self.systems = {s.id: s for s in facts.systems or []}
        self.accounts = {x.id: x for x in facts.accounts or []}

    @staticmethod
    def seen(subject, status, text_ko, text_en, stated=None, observed=None, examples=(), contradicts=False) -> Seen:
        return Seen(subject, status, text_ko, text_en, stated, observed, examples, contradicts)


def _cannot_show(name: str, en_fields: str, ko_fields: str) -> tuple[str, str]:
    """(English, Korean) of an export that lacks the columns an analysis needs (unless it words it: ``lacking_text``)."""
    return (f"{name}: no column for {en_fields}: the records cannot show this duty",
            f"{name}: {ko_fields} 열이 없어 접속기록으로 확인할 수 없음")


def compare(facts, derived: d.DerivedFacts) -> list[Observation]:
    """Every analysis of the registry, in its order: what it observed, filed under each control it is bound to."""
    from compliance.logs.analyses import registry

    out: list[Observation] = []
    sections = [(spec, getattr(derived.analyses, spec.id)) for spec in registry().values()]

    def add(an, seen: Seen) -> None:
        for control in an.provision.controls:
            out.append(_obs(control, an.id, seen.subject, seen.status, seen.text_ko, seen.text_en, seen.stated,
                            seen.observed, seen.examples, seen.contradicts))

    ds = derived.dataset
    if not ds.sufficient:
        why_en = ("the share of rejected rows is unknown" if ds.rejected_ratio is None else
                  f"{ds.rows_rejected:,} of {ds.rows_in:,} rows were rejected ({ds.rejected_ratio:.2%} > "
                  f"{ds.max_rejected_ratio:.2%})")
        why_ko = ("거부된 행의 비율을 알 수 없음" if ds.rejected_ratio is None else
                  f"전체 {ds.rows_in:,}행 중 {ds.rows_rejected:,}행 거부({ds.rejected_ratio:.2%} > {ds.max_rejected_ratio:.2%})")
        for _spec, an in sections:
            add(an, Seen("dataset", "insufficient", f"접속기록으로 판단할 수 없음: {why_ko}",
                         f"The access records cannot support a finding: {why_en}",
                         observed={"rows_in": ds.rows_in, "rows_rejected": ds.rows_rejected}))
        return out
    ctx = Context(facts, derived)

    # duties the records cannot show: columns an export lacks, then what each analysis adds (unknown task names)
    for spec, an in sections:
        for name, fields in sorted(an.missing_columns.items()):
            en, ko = (spec.lacking_text or _cannot_show)(name, ", ".join(fields),
                                                          ", ".join(FIELD_KO.get(f, f) for f in fields))
            add(an, Seen(name, "insufficient", ko, en, observed={"missing_columns": fields}))
    for spec, an in sections:
        for seen in spec.limits(ctx, an) if spec.limits else ():
            add(an, seen)

    # what each analysis shows against the statements (its module's observe)
    for spec, an in sections:
        for seen in spec.observe(ctx, an):
            add(an, seen)
    return out
