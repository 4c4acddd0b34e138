"""The findings export for auditors (issue 23): one row per offending item, as CSV (``findings_csv``) and as an XLSX
workbook (``findings_xlsx``); both take their rows from :func:`table`, so the two files hold the same text.

Rows. Every control has at least one row, in the order an auditor reads them: the failing controls first (by
severity, then verdict, then catalog order), then the waived, the compliant and the not-applicable ones (catalog
order). A failing or waived control has

- one row per offender of each failed check (``item`` is the offender's id; ``finding`` the catalog's failure
  sentence in the report's language followed by the offender's facts as the report says them; ``location`` where
  the organisation's own tools show it, for a finding from observed facts or from the access records);
- one row for a failed check over plain facts (no item), with the values it read;
- one row per missing fact and item (``missing``) for each check that could not be judged;
- one row per expected kind of attachment not submitted, or stale or undated where the catalog says how
  recent it must be (``missing``).

A compliant or not-applicable control has one row: its verdict, and why it does not apply or what its
compliance is worth (the scope note); the remediation column is for findings only. Auditors asked for
completeness: filtering ``verdict`` gives the findings.

Columns (:data:`COLUMNS`). Each header is ``label (key)``: the label (labels.yaml ``findings_columns``) in the report's
language, so Korean Excel shows Korean headers, and the key fixed, so a program finds a column in either language
(:func:`column_key`). Values are words in the report's language (verdicts, severities, fields), as in the report.

Formula-safe. A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel or LibreOffice opening a CSV (OWASP's list); the same characters after leading blanks, and their full-width
forms (``＝``, typed by a Korean input method, which a spreadsheet may take for ``=``), are treated alike as a
precaution. The CSV writes such a cell after a single quote
(OWASP, CSV injection); the XLSX writes every text as a string cell (``t="inlineStr"``, never ``<f>``) and marks the
risky ones ``quotePrefix`` so that editing the cell in Excel keeps it text. Characters no reader should be shown as
they are (controls, bidirectional overrides; :func:`compliance.render.visible`) are written as their escapes;
line breaks are ``\\n``; a cell longer than Excel holds (32,767 characters) is cut with a mark.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from compliance.catalog import SEVERITIES
from compliance.loading import escaped
from compliance.render import REMEMBERED, Options, Say, labels, shown_values, time_series_note, visible
from compliance.result import FAILING, AuditResult, CheckResult, ControlResult, EvidenceResult, Offender

COLUMNS: tuple[str, ...] = (
    "row", "control", "provision_ko", "provision_en", "title", "severity", "verdict", "check", "requirement", "item",
    "finding", "missing", "location", "evidence", "remediation", "waiver",
)
"""The columns' keys, in order (their labels: labels.yaml ``findings_columns``)."""

RISKY = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
"""A cell starting with one of these is a formula to a spreadsheet (OWASP's list and the full-width forms)."""
_BLANKS = " \n\t\r\u3000\xa0"
CELL_MAX = 32_767
"""the most characters an Excel cell holds"""
_CUT = " …"
_SURROGATE = re.compile("[\ud800-\udfff]")
_KEY = re.compile(r"\(([a-z_]+)\)$")
_ATTESTATION_ROW = re.compile(r"^attestations\[control=[^\]]*\]$")
_RECORDS = "access records: "
_ORDER = {"waived": 1, "compliant": 2, "not-applicable": 3}


def column_key(header: str) -> str | None:
    """The key of a column from its header (``'판정 (verdict)'`` -> ``'verdict'``)."""
    m = _KEY.search(header)
    return m[1] if m else None


def risky(text: str) -> bool:
    """Whether a spreadsheet would read ``text`` as a formula: its first character, or the first after blanks."""
    return bool(text) and (text[0] in RISKY or (text[0] in _BLANKS and text.lstrip(_BLANKS)[:1] in RISKY))


def neutralised(text: str) -> str:
    """A CSV cell's text: a risky one after a single quote (OWASP), which Excel and LibreOffice show as text."""
    return "'" + text if risky(text) else text


def clean(value: Any) -> str:
    """A cell's text: line breaks as ``\\n``, undrawable characters and lone surrogates as their escapes, cut to
    what an Excel cell holds."""
    if type(value) is str and value.isascii() and value.isprintable() and len(value) <= CELL_MAX:
        return value  # nothing to replace, escape or cut (no line break, control character or surrogate)
    text = "" if value is None else str(value)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = visible(text)
    if _SURROGATE.search(text):
        text = _SURROGATE.sub(lambda m: escaped(m[0]), text)
    if len(text) > CELL_MAX // 2 and len(text.encode("utf-16-le")) > 2 * CELL_MAX:  # Excel counts UTF-16 units
        units, room = 0, CELL_MAX - len(_CUT)
        for n, ch in enumerate(text):
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > room:
                return text[:n] + _CUT
    return text


def _findings(c: ControlResult) -> bool:
    """Whether a control's rows are its findings (failing, or waived): else one row says why it passes or does not apply."""
    return c.verdict in FAILING or c.verdict == "waived"


class _Rows:
    def __init__(self, result: AuditResult, options: Options):
        self.result = result
        self.lang = options.lang
        self.say = Say(options.lang, result)
        self.lab = self.say.lab
        self.attachments = {a.id: a for a in result.attachments}
        self._checks: dict[int, tuple[CheckResult, str, bool]] = {}
        self.observations: dict[tuple[str, str], list[dict]] = {}
        for o in (result.access_records or {}).get("observations") or []:
            if o.get("status") == "violation":
                self.observations.setdefault((o.get("control"), o.get("subject")), []).append(o)

    def L(self, text) -> str:
        if text is None:
            return ""
        if isinstance(text, dict):
            return text.get(self.lang) or text.get("ko") or ""
        return text if isinstance(text, str) else getattr(text, self.lang)

    def word(self, group: str, key: str | None) -> str:
        entry = self.lab[group].get(key or "")
        return entry[self.lang] if entry else (key or "")

    def kind(self, kind: str) -> str:
        return self.word("evidence_kinds", kind)

    def state(self, e: EvidenceResult) -> str:
        """An expected kind's state in a word: submitted, not submitted, stale, undated."""
        entry = self.lab.get(f"evidence_{e.status}")
        return entry[self.lang] if isinstance(entry, dict) else e.status

    def unmet(self, e: EvidenceResult) -> str:
        """An expected kind that is not ok, as the report says it (with its date, age and rule when it is stale)."""
        kind = self.kind(e.kind)
        key = f"evidence_{e.status}_sentence"
        if key not in self.lab:
            return f"{self.say.t('evidence_required')} ({self.state(e)}): {kind}"
        dated, age = getattr(e, "dated", None), getattr(e, "age_days", None)
        return self.say.t(key, kind=kind, dated=dated.isoformat() if dated else "—",
                          age=f"{age:,}" if age is not None else "—", rule=self.L(getattr(e, "rule", None)) or "—")

    # ------------------------------------------------------------------ per control

    def evidence(self, c: ControlResult) -> str:
        """Each attachment kind the control expects, whether it was submitted, and each attachment with its SHA-256."""
        lines = []
        for e in c.evidence:
            dated = getattr(e, "dated", None)
            lines.append(f"{self.kind(e.kind)} ({e.kind}): {self.state(e)}" + (f" ({dated.isoformat()})" if dated else ""))
            for aid in e.attachments:
                a = self.attachments.get(aid)
                if a is None:
                    lines.append(f"- {aid}")
                    continue
                status = "" if a.status == "ok" else f" [{self.word('attachment_status', a.status)}]"
                lines.append(f"- {a.id} {a.path}{status} SHA-256 {a.sha256 or '—'}")
        return "\n".join(lines)

    def waiver(self, c: ControlResult) -> str:
        w = c.waiver
        if w is None:
            return ""
        t = self.say.t
        parts = [
            f"{t('waiver_status')}: {self.word('waiver_states', w.status)}",
            f"{t('waiver_expires')}: {w.expires.isoformat()}",
            f"{t('waiver_owner')}: {w.owner}",
            f"{self.say.t('findings_approved_by')}: {w.approved_by or t('not_stated')}",
            f"{t('waiver_justification')}: {w.justification}",
        ]
        if c.underlying_verdict:
            parts.append(f"{t('underlying')}: {self.word('verdicts', c.underlying_verdict)}")
        return "\n".join(parts)

    def control(self, c: ControlResult) -> Iterator[dict[str, str]]:
        """The control's rows, one at a time (a check may have hundreds of thousands of offenders); at least one."""
        rows = self._rows(c)
        first = next(rows, None)
        yield first if first is not None else self._base(c)
        yield from rows

    def _base(self, c: ControlResult) -> dict[str, str]:
        base = {
            "control": c.id, "provision_ko": c.cite.ko, "provision_en": c.cite.en, "title": self.L(c.title),
            "severity": self.word("severities", c.severity), "verdict": self.word("verdicts", c.verdict),
            "evidence": self.evidence(c), "waiver": self.waiver(c),
        }
        if _findings(c):  # what to do: for a finding only (a compliant control's remediation would read as a finding)
            base["remediation"] = self.L(c.remediation)
        return base

    def _rows(self, c: ControlResult) -> Iterator[dict[str, str]]:
        base = self._base(c)
        if _findings(c):
            for ch in c.checks:
                if ch.status == "pass":
                    continue
                check = {"check": f"{ch.id} [{ch.law}]" if ch.law else ch.id, "requirement": self.L(ch.description)}
                if ch.status == "fail":
                    if ch.offenders:
                        for o in ch.offenders:
                            yield {**base, **check, **self.offender(c, ch, o)}
                    else:
                        said = self.L(ch.failure or ch.description)
                        facts = "; ".join(self.say.pair(k, v) for k, v in ch.observed.items())
                        yield {**base, **check, "finding": said + (f" ({facts})" if facts else "")}
                for m in ch.missing:  # what could not be judged (a failed check may also lack facts of other items)
                    label, where = self.missing_fact(ch, m.path)
                    finding = self.say.t("insufficient_sentence", what=self.L(ch.description), facts=label)
                    missing = f"{label} ({where})" if where else label
                    for item in m.items or [""]:
                        yield {**base, **check, "item": item, "finding": finding, "missing": missing}
            for e in c.evidence:  # not submitted, or (where the catalog sets how recent) stale or undated
                if e.status != "ok":
                    yield {**base, "requirement": self.say.t("evidence_required"), "finding": self.unmet(e),
                           "missing": f"{self.kind(e.kind)} ({self.state(e)}; attachments[].kind: {e.kind})"}
        elif c.verdict == "not-applicable" and c.not_applicable is not None:
            yield {**base, "finding": f"{self.say.t('not_applicable_reason')}: {self.L(c.not_applicable)}"}
        elif c.scope_note is not None:
            yield {**base, "finding": f"{self.say.t('scope_note_label')}: {self.L(c.scope_note)}"}

    def offender(self, c: ControlResult, ch: CheckResult, o: Offender) -> dict[str, str]:
        values, location = o.values, None
        if "observed at" in values:
            values = dict(values)
            location = values.pop("observed at")
        said, series = self._sentence(ch)
        note = time_series_note(ch, values, self.result, self.say) if series else None
        facts = note or "; ".join(self.say.pair(k, v) for k, v in shown_values(ch, values))
        seen = self.observations.get((c.id, o.id), []) if ch.id == "access-records" else []
        if seen:  # what the access records show, and where
            said = f"{said}: " + "; ".join(self.L(s.get("text")) for s in seen)
            location = ", ".join(e["source"] for s in seen for e in s.get("examples") or [] if e.get("source")) or location
        if o.label != o.id and not o.label.startswith(f"{o.id} ("):
            said = f"{o.label}: {said}"
        return {"item": o.id, "finding": said + (f" ({facts})" if facts else ""), "location": location or ""}

    def _sentence(self, ch: CheckResult) -> tuple[str, bool]:
        """A check's failure sentence, and whether it judges a time series (``time_series_note``), once per check."""
        known = self._checks.get(id(ch))
        if known is None or known[0] is not ch:
            known = self._checks[id(ch)] = (ch, self.L(ch.failure or ch.description),
                                            "missed_months(" in ch.expect or "longest_gap(" in ch.expect)
        return known[1], known[2]

    def missing_fact(self, ch: CheckResult, path: str) -> tuple[str, str]:
        """A fact a check needed, as a reader names it, and where the facts file states it."""
        if _ATTESTATION_ROW.match(path):  # the whole attestation of this control
            return f"{self.word('todo_kinds', 'attestation')}: {self.L(ch.description)}", "attestations[]"
        if path.startswith(_RECORDS):  # what the access records could not show: the sentence is the fact
            return self.say.field(path), ""
        where = path.partition(" ")[0]
        plain = ch.for_each.strip() if ch.for_each else ""
        if where.startswith("item.") and re.fullmatch(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*", plain):
            where = f"{plain}[].{where[len('item.'):]}"
        return self.say.field(path), where

    # ------------------------------------------------------------------ the table

    def rows(self) -> Iterator[dict[str, str]]:
        order = {c.id: n for n, c in enumerate(self.result.controls)}

        def rank(c: ControlResult) -> tuple:
            if c.verdict in FAILING:
                return 0, SEVERITIES.index(c.severity), 0 if c.verdict == "non-compliant" else 1, order[c.id]
            return _ORDER.get(c.verdict, 4), 0, 0, order[c.id]

        for c in sorted(self.result.controls, key=rank):
            yield from self.control(c)


def header(options: Options) -> list[str]:
    """Each column's header: its label in the report's language, then its key in brackets."""
    names = labels()["findings_columns"]
    return [f"{names[k][options.lang]} ({k})" for k in COLUMNS]


def table(result: AuditResult, options: Options) -> list[list[str]]:
    """The header and one list of cell texts per row (cleaned, not yet neutralised: each format makes its cells inert)."""
    return list(rows_of(result, options))


def rows_of(result: AuditResult, options: Options, inert: Callable[[str], str] | None = None) -> Iterator[list[str]]:
    """``table``'s rows one at a time, so that a writer holds one row, not 870,000 of them (a 1M-row audit's table
    was 4 GB); ``inert``, if given, is applied to every cleaned cell (the CSV's ``neutralised``). A text repeated from
    row to row (a control's, a check's) is cleaned once."""
    finish = (lambda text: text) if inert is None else inert
    yield [finish(clean(h)) for h in header(options)]
    said: dict[Any, str] = {}  # a repeated column's text -> its finished cell (cleared when it grows: bounded)
    get = said.get
    for n, row in enumerate(_Rows(result, options).rows(), start=1):
        row["row"] = str(n)
        values = list(map(row.get, COLUMNS, _EMPTY))
        cells = list(map(get, values))
        for i in _OWN_AT:  # texts of this row alone: never remembered
            cells[i] = finish(clean(values[i]))
        if None in cells:  # a repeated text seen for the first time
            if len(said) > REMEMBERED:
                said.clear()
            for i, cell in enumerate(cells):
                if cell is None:
                    cells[i] = said[values[i]] = finish(clean(values[i]))
        yield cells


_EMPTY = ("",) * len(COLUMNS)
OWN_COLUMNS = frozenset({"row", "item", "finding", "missing", "location"})
"""the columns whose text differs from row to row; every other column repeats its control's or check's text"""
_OWN_AT = tuple(COLUMNS.index(k) for k in sorted(OWN_COLUMNS))
