"""Renderers: a registry of output formats, each turning an AuditResult into bytes.

One module per format declares ``FORMAT = Format(name, suffixes, binary, render, ...)``; the CLI
takes its ``--format`` choices and the ``-o`` suffix mapping from :func:`registry`, so adding a
format is adding one module here. Renderers read the AuditResult (and the :class:`Options` the CLI
passes) only. Words come from ``reports/templates/labels.yaml`` and the catalogs, never from Python.
WeasyPrint is imported only when a PDF is rendered, so ``check`` stays fast.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import re
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from compliance.bundled import bundled_dir
from compliance.format_index import format_for_path  # noqa: F401 - re-exported: the renderers' suffixes
from compliance.loading import escaped
from compliance.catalog import SEVERITIES
from compliance.result import FAILING, VERDICTS, AuditResult, CheckResult, ControlResult, EvidenceResult, failed_count


@dataclass(frozen=True)
class Options:
    """What a renderer may need beyond the result; every field has a default that renders offline."""

    lang: str = "en"
    threshold: str = "low"
    """--fail-on: which findings the text table marks as failing"""
    insufficient: str = "fail"
    pdfa: bool = False
    framework: str | None = None
    """group the result by this framework's criteria (formats with ``framework=True`` only)"""
    catalog_dir: str | Path | None = None
    """where the framework files are (``frameworks/`` beside the catalogs)"""
    facts_path: str | Path | None = None
    """the facts file as given on the command line: SARIF locations and line numbers"""
    sarif_root: str | Path | None = None
    """SARIF paths are relative to this folder (default: the git repository holding the facts file)"""
    sarif_category: str | None = None
    """code scanning category: SARIF ``automationDetails.id`` is ``<category>/`` (default ``pipa-audit/<facts uri>/``)"""
    docs_url: str | None = None
    """base URL of the published ``catalog docs`` output, for SARIF helpUri"""
    audience: str = "internal"
    """the auditor's report: ``internal`` (review copy, penalty provisions engaged) or ``regulator`` (the copy
    submitted: its stamp and sign-off, no review of penalty provisions)"""
    show_statutory_maximum: bool = False
    """the report prints the statutory maximum (a legal ceiling, never an expected fine) only when asked"""


@dataclass(frozen=True)
class Format:
    name: str
    suffixes: tuple[str, ...]
    """file name endings that select this format for ``-o`` (longest match wins: ``.sarif.json``)"""
    binary: bool
    render: Callable[[AuditResult, Options], bytes]
    summary: str
    """one line for ``--help``"""
    framework: bool = False
    """can render the result grouped by a framework (``--framework``)"""
    stream: Callable[[AuditResult, Options], Iterator[bytes]] | None = None
    """the same bytes as ``render`` in pieces, for an output too big to hold twice (a 1M-row audit's findings)"""
    handover: Callable[[list[AuditResult], Options], bytes] | None = None
    """the same bytes as ``render``, given a list holding the only reference to the result: it empties the list once
    it has read what it needs, so that the result is freed before a layout that needs the memory (a PDF's)"""


@lru_cache(maxsize=1)
def registry() -> dict[str, Format]:
    """Every module of this package that declares ``FORMAT``, by name."""
    found: dict[str, Format] = {}
    owner: dict[str, str] = {}
    for info in pkgutil.iter_modules(__path__):
        fmt = getattr(importlib.import_module(f"{__name__}.{info.name}"), "FORMAT", None)
        if not isinstance(fmt, Format):
            continue
        if fmt.name in found:
            raise RuntimeError(f"format {fmt.name!r} declared twice")
        for suffix in fmt.suffixes:
            if suffix in owner:
                raise RuntimeError(f"suffix {suffix!r} claimed by {owner[suffix]!r} and {fmt.name!r}")
            owner[suffix] = fmt.name
        found[fmt.name] = fmt
    return dict(sorted(found.items()))


def render(result: AuditResult, fmt: str, lang: str = "ko", pdfa: bool = False, options: Options | None = None) -> bytes:
    """Render ``result`` as ``fmt``; ``lang`` and ``pdfa`` override ``options``."""
    try:
        chosen = registry()[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}") from None
    return chosen.render(result, replace(options or Options(), lang=lang, pdfa=pdfa))


def templates_dir():
    return bundled_dir("templates")


@lru_cache(maxsize=1)
def labels() -> dict[str, Any]:
    return yaml.load((templates_dir() / "labels.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def report_id(result: AuditResult) -> str:
    """Stable id derived from the inputs: same facts, catalogs and date give the same id."""
    h = hashlib.sha256()
    h.update(result.facts_sha256.encode())
    for c in result.catalogs:
        h.update(c.sha256.encode())
    h.update(result.as_of.isoformat().encode())
    return "PA-" + h.hexdigest()[:12].upper()


def md_escape(value: Any) -> str:
    text = "" if value is None else str(value)
    for ch in ("\\", "|", "*", "_", "`", "<", ">", "[", "]"):
        text = text.replace(ch, "\\" + ch)
    return visible(text.replace("\r", " ").replace("\n", " "))


def md_code(value: Any) -> str:
    """A value as inline code in a Markdown table cell: a backtick cannot end it, a line break cannot split the row
    and a pipe cannot split the cell (GitHub's tables need ``\\|`` even inside code)."""
    text = str(value).replace("`", "'").replace("\r", " ").replace("\n", " ").replace("|", "\\|")
    return "`" + visible(text) + "`"


_UNDRAWABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufdd0-\ufdef\ufffe\uffff]"
)
"""Characters a value may hold that no reader should be shown as they are: C0/C1 controls but tab and line ends (HTML
forbids them, NUL is dropped, a terminal reading the Markdown acts on ESC), the bidirectional controls (U+061C,
U+200E, U+200F, U+202A-U+202E, U+2066-U+2069: an organisation name holding U+202E reverses the rest of its line, so a
GitLab job summary or an HTML report would show the findings after it backwards; the text table escapes them too,
loading.inert) and noncharacters."""


def visible(value):
    """Every value a template prints, with undrawable characters and bidirectional controls as ``\\xNN``/``\\uNNNN``
    text (Jinja2's ``finalize``: applied before HTML escaping, so the escape shows as typed; md_escape and md_code,
    which the summary and diff's Markdown use, end with it too)."""
    if isinstance(value, str) and _UNDRAWABLE.search(value):
        shown = _UNDRAWABLE.sub(lambda m: escaped(m[0]), value)
        return type(value)(shown) if type(value) is not str else shown  # markup stays markup
    return value


def environment(markup: bool):
    """Jinja2 environment; autoescape is on for HTML so any fact value shows as text."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=markup,
        finalize=visible,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.filters["code"] = md_code
    env.filters["thousands"] = lambda n: "" if n is None else f"{n:,}"
    return env


AUDIENCES = ("internal", "regulator")
ABSENT = "(absent)"  # what the evaluator records for a field the item does not state
_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")
_ITEM_PATH = re.compile(r"\bitem\.([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)")
_LIST_CAP = 12
_RECORDS = "access records: "  # evaluate: an observation of the access records that could not be judged


class Say:
    """Fact values as a reader of the report says them, in its language: 예/아니오, 미기재, dates, durations,
    lists, enumerations; a field by its name (labels.yaml ``fields``), never by its key."""

    def __init__(self, lang: str, result: AuditResult | None = None):
        self.lang = lang
        self.lab = labels()
        observed = ((result.access_records or {}).get("observations") if result is not None else None) or []
        self.observed = {o["text"]["en"]: o["text"] for o in observed if isinstance(o.get("text"), dict) and "en" in o["text"]}
        """what the access records showed, by its English text: the evaluator names an observation it could not judge
        by that text ('access records: sys-x: no access records submitted'), said here in the report's language"""

        self._pairs: dict[tuple, str] = {}
        self._entries: dict[str, dict] = {}
        self._fields: dict[str, str] = {}
        """a field's label entry and its name, by key: the same few keys are said for every offender of a check"""

    def t(self, key: str, **kw) -> str:
        text = self.lab[key][self.lang]
        return text.format(**kw) if kw else text

    def _entry(self, key: str) -> dict:
        """The label of a field: its last two steps (``remote_access.allowed``), else its last step."""
        found = self._entries.get(key)
        if found is None:
            steps = key.split(".")
            fields = self.lab["fields"]
            found = self._entries[key] = fields.get(".".join(steps[-2:])) or fields.get(steps[-1]) or {}
        return found

    def field(self, key: str) -> str:
        """A field as a reader names it, in the report's language (``_field``, said once per key)."""
        said = self._fields.get(key)
        if said is None:
            said = self._fields[key] = self._field(key)
        return said

    def _field(self, key: str) -> str:
        for suffix, word in ((" (stated)", "stated_word"), (" (observed)", "observed_word")):  # stated vs observed
            if key.endswith(suffix):
                return f"{self.field(key[: -len(suffix)])} ({self.t(word)})"
        if key == "observed at":
            return self.t("observed_at")
        if key.startswith("attestations["):  # the attestation check's own notes on what is missing
            from compliance.todo import attestation_label, field_label

            row = re.fullmatch(r"attestations\[control=(.+)\]", key)
            if row:  # no attestation at all for the control
                return f"{'확인서' if self.lang == 'ko' else 'attestation'} ({row[1]})"
            said = attestation_label(key) or field_label(key)
            return getattr(said, self.lang)
        if key.startswith(_RECORDS) and key[len(_RECORDS):] in self.observed:
            return f"{self.t('access_records')}: {self.observed[key[len(_RECORDS):]][self.lang]}"
        entry = self._entry(key)
        if entry:
            return entry[self.lang]
        if self.lang == "ko":  # a field labels.yaml does not name: the facts model's Korean label, never the key's English
            from compliance.todo import field_label

            named = field_label(re.sub(r"^(item|stated|observed)\.", "", key)).ko
            if named and named != key and not re.fullmatch(r"[\w.\[\]]+", named):
                return named
        return key.rsplit(".", 1)[-1].replace("_", " ")

    def value(self, v: Any, key: str = "") -> str:
        leaf = key.rsplit(".", 1)[-1]
        if isinstance(v, str) and v == ABSENT:
            return self.t("not_stated")
        if v is None:
            entry = self._entry(key)
            return entry["none"][self.lang] if "none" in entry else self.t("val_none")
        if isinstance(v, bool):
            return self.t("val_yes" if v else "val_no")
        if isinstance(v, dict) and set(v) == {"ko", "en"}:  # a sentence said in both languages (access-record anomalies)
            return v[self.lang]
        if isinstance(v, int):
            n = f"{v:,}"
            for suffix, unit in (("_days", "unit_days"), ("_minutes", "unit_minutes"), ("_krw", "unit_krw"), ("_hours", "unit_hours")):
                if leaf.endswith(suffix):
                    return self.t(unit, n=n)
            return n
        if isinstance(v, float):
            return f"{v:,.1f}".rstrip("0").rstrip(".")
        if isinstance(v, (dt.datetime, dt.date)):
            v = v.isoformat()
        if isinstance(v, str):
            m = _TIMESTAMP.match(v)
            if m:
                zone = m.group(3) or ""
                return f"{m.group(1)} {m.group(2)}" + (f" UTC{'' if zone == 'Z' else zone}" if zone else "")
            entry = self.lab["values"].get(v)
            return entry[self.lang] if entry else v
        if isinstance(v, list):
            if not v:
                return self.t("val_none")
            shown = [self.value(x, key) for x in v[:_LIST_CAP]]
            more = f" {self.t('and_more', n=len(v) - _LIST_CAP)}" if len(v) > _LIST_CAP else ""
            return ", ".join(shown) + more
        if isinstance(v, dict):
            return "; ".join(self.pair(f"{key}.{k}" if key else k, x) for k, x in v.items())
        return str(v)

    def pair(self, key: str, v: Any) -> str:
        """'left 2024-12-31', or for a stated null the field's own phrase ('still active'). A field's text, number,
        yes/no or null is said once per value (the same dates recur over a million offenders); a float is not
        remembered (-0.0 equals 0.0 and is said "-0"), nor a list or an object."""
        if type(v) not in _SAID_ONCE:
            return self._pair(key, v)
        known = (key, type(v), v)  # the type too: True equals 1 and is said "예", not "1"
        said = self._pairs.get(known)
        if said is None:
            if len(self._pairs) > REMEMBERED:
                self._pairs.clear()
            said = self._pairs[known] = self._pair(key, v)
        return said

    def _pair(self, key: str, v: Any) -> str:
        entry = self._entry(key)
        if v is None and "none" in entry:
            return entry["none"][self.lang]
        dated = isinstance(v, str) and (_TIMESTAMP.match(v) or re.match(r"^\d{4}-\d{2}-\d{2}$", v))
        return f"{self.field(key)}{' ' if dated else ': '}{self.value(v, key)}"


@lru_cache(maxsize=256)
def _paths_read(expect: str, where: str | None) -> frozenset[str]:
    """The item fields a check's expressions read (once per check, not once per offender)."""
    return frozenset(_ITEM_PATH.findall(f"{expect} {where or ''}"))


_SAID_ONCE = frozenset({str, int, bool, type(None)})
REMEMBERED = 10_000
"""the most texts a renderer's memory of what it already said holds before it starts again (the memory stays small
however many rows: a 1M-row audit's findings repeat a few hundred texts)"""


def shown_values(ch: CheckResult, values: dict[str, Any]) -> list[tuple[str, Any]]:
    """An offender's facts as columns: a nested object is opened to the fields the check's expression reads
    (``item.access_log.retention_days``), so a reader sees the value that failed, not the object's keys."""
    if not any(isinstance(v, dict) for v in values.values()):
        return list(values.items())  # nothing to open (most offenders: a few dates)
    read = _paths_read(ch.expect, ch.where)
    out: list[tuple[str, Any]] = []

    def walk(path: str, v: Any) -> None:
        if not isinstance(v, dict):
            out.append((path, v))
            return
        deeper = sorted(p for p in read if p.startswith(path + "."))
        if deeper:
            for key, sub in v.items():
                child = f"{path}.{key}"
                if any(p == child or p.startswith(child + ".") for p in deeper):
                    walk(child, sub)
            return
        out.append((path, v))

    for key, v in values.items():
        walk(key, v)
    return out


def _months(day: dt.date) -> tuple[int, int]:
    return day.year, day.month


def _a_date(v: Any) -> dt.date | None:
    """A stated date as an offender's values record it (ISO text, a timestamp's day), else None: a field the item
    does not state is ``(absent)``, a stated null is None, and neither is a date."""
    if isinstance(v, dt.date):
        return v if not isinstance(v, dt.datetime) else v.date()
    if not isinstance(v, str):
        return None
    try:
        return dt.date.fromisoformat(v[:10])
    except ValueError:
        return None


def time_series_note(ch: CheckResult, values: dict[str, Any], result: AuditResult, say: Say) -> str | None:
    """What a time-series check found missing for one offender: the months without a recorded review, or the
    longest gap between reviews, in the same window the check judged (a year before the as-of date, or from the
    start of operation or of the audit period, whichever is later)."""
    from compliance.expr import _missed_months

    reviews = (values.get("access_log") or {}).get("reviews") if isinstance(values.get("access_log"), dict) else None
    if not isinstance(reviews, list) or not ("missed_months(" in ch.expect or "longest_gap(" in ch.expect):
        return None
    dates = [d for d in map(_a_date, reviews) if d is not None]
    start = result.as_of - dt.timedelta(days=365)
    since = _a_date(values.get("operating_since"))  # unstated: '(absent)', and the check's window ignores it
    if since is not None and since > start:
        start = since
    # the catalog's window: never before the period, when the check's expression says so (notice 2021-2's does not)
    if result.period_start and "period_start" in ch.expect and result.period_start > start:
        start = result.period_start
    if "missed_months(" in ch.expect:
        missed = _missed_months(dates, start, result.as_of)
        if not missed:
            return None
        before = f"{result.period_start.year:04d}-{result.period_start.month:02d}" if result.period_start else None
        shown = [f"{m} ({say.t('before_period')})" if before and m < before else m for m in missed]
        window = say.t("months_window", start=f"{start.year:04d}-{start.month:02d}", end=result.as_of.isoformat())
        return say.t("months_missing", n=len(missed), months=", ".join(shown)) + f" — {window}"
    points = sorted(d for d in dates if start <= d <= result.as_of)
    edges = [start, *points, result.as_of]
    a, b = max(zip(edges, edges[1:]), key=lambda e: e[1] - e[0])
    return say.t("longest_gap", days=(b - a).days, start=a.isoformat(), end=b.isoformat())


def failure_lines(c: ControlResult, result: AuditResult, say: Say, limit: int = 3) -> list[str]:
    """A failing control said as failures, one line per failed check: "h-0042: access not revoked within a day of
    leaving (left 2024-12-31; still active)" — the catalog's failure sentence after each offender, the offender's
    facts in the report's language; a failed plain check with the values it read; a check that could not be
    judged with the facts not stated."""
    lines = []
    for ch in c.checks:
        if ch.status == "pass":
            continue
        said = getattr(ch.failure, say.lang) if ch.failure else getattr(ch.description, say.lang)
        if ch.status == "insufficient":
            facts = ", ".join(dict.fromkeys(say.field(m.path) for m in ch.missing)) or "—"
            lines.append(say.t("insufficient_sentence", what=getattr(ch.description, say.lang), facts=facts))
            continue
        if ch.offenders:
            parts = []
            for o in ch.offenders[:limit]:
                facts = "; ".join(say.pair(k, v) for k, v in shown_values(ch, o.values))
                note = time_series_note(ch, o.values, result, say)
                facts = note or facts
                parts.append(f"{o.label}: {said}" + (f" ({facts})" if facts else ""))
            more = f" {say.t('and_more', n=len(ch.offenders) - limit)}" if len(ch.offenders) > limit else ""
            lines.append("; ".join(parts) + more)
        else:
            facts = "; ".join(say.pair(k, v) for k, v in ch.observed.items())
            lines.append(said + (f" ({facts})" if facts else ""))
    return lines


def count_text(ch: CheckResult, say: Say) -> str:
    """A check's count as one unambiguous phrase: '3 failing of 40 in scope' / '대상 40건 중 위반 3건' (the items the check
    judged, and how many of them break the rule); '—' for a check over one value."""
    if ch.in_scope is None:
        return "—"
    return say.t("in_scope_failing", scope=f"{ch.in_scope:,}", n=f"{failed_count(ch):,}")


def total_text(ch: CheckResult, say: Say) -> str | None:
    """The size of the whole list, when the check judged only part of it ('전체 5건')."""
    if ch.in_scope is None or ch.total is None or ch.total == ch.in_scope:
        return None
    return say.t("of_all", total=f"{ch.total:,}")


def privacy_officer(result: AuditResult) -> dict[str, Any] | None:
    """The chief privacy officer as the facts state them (``privacy_officer``: name, position, designated_on), for the
    cover and the sign-off; a legacy ``organization.privacy_officer`` (a name only) when that is all there is."""
    stated = result.privacy_officer
    if isinstance(stated, dict) and isinstance(stated.get("name"), str) and stated["name"].strip():
        return stated
    legacy = result.organization.get("privacy_officer")
    if isinstance(legacy, str) and legacy.strip():
        return {"name": legacy}
    return None


def _catalog_metas(result: AuditResult, catalog_dir) -> dict[str, Any]:
    """The catalog meta of each catalog the audit used, read again from its file and recognised by its SHA-256 (the
    result names the catalogs by id and hash only). A catalog not found (another folder, a changed file) is absent."""
    from compliance.catalog import CatalogMeta, catalog_files, default_catalog_dir
    from compliance.loading import InputError, parse, read_text

    wanted = {c.sha256: c.id for c in result.catalogs}
    found: dict[str, Any] = {}
    try:
        files = catalog_files(catalog_dir or default_catalog_dir())
    except InputError:
        return found
    for path in files:
        try:
            text = read_text(path)
        except (InputError, OSError):
            continue
        cid = wanted.get(hashlib.sha256(text.encode("utf-8")).hexdigest())
        if cid is not None:
            found[cid] = CatalogMeta.model_validate(parse(text, path)["catalog"])
    return found


def instruments_in_force(result: AuditResult, catalog_dir=None) -> list[dict[str, Any]]:
    """Each instrument the audit applied as in force on the as-of date, named by its official number: the latest
    amendment in force then (catalog data, ``CatalogMeta.in_force_on``), with its promulgation and in-force dates,
    the amendments named without dates that may have been in force instead, the next one to come, and the amendments
    that took effect inside the audited period. A catalog whose file is not found (rendered away from the catalogs the
    audit read) is named as the catalog names its law, and said to be so: no number is given that was not read."""
    metas = _catalog_metas(result, catalog_dir)
    rows = []
    for cat in result.catalogs:
        meta = metas.get(cat.id)
        if meta is None:
            rows.append({
                "catalog": cat.id, "name": cat.instrument, "number": None, "issued": None, "in_force": None,
                "unsettled": [], "undated": False, "note": None, "next": None, "in_period": [], "unread": True,
            })
            continue
        for f in meta.in_force_on(result.as_of):
            a = f.amendment
            only = f.unsettled[0] if a is None and len(f.unsettled) == 1 else None  # the number is known, its dates not
            within = [
                x for x in meta.amendments
                if x.instrument == f.key and result.period_start is not None and result.period_start < x.in_force <= result.as_of
            ]
            rows.append({
                "catalog": cat.id, "name": f.name,
                "number": a.title if a else (only.title if only else None),
                "issued": a.issued if a else None, "in_force": a.in_force if a else None,
                "unsettled": [u for u in f.unsettled if u is not only],
                "undated": only is not None, "note": only.note if only else None,
                "next": f.next, "in_period": sorted(within, key=lambda x: x.in_force), "unread": False,
            })
    return rows


def todo_rows(result: AuditResult) -> list[dict[str, Any]]:
    """What the organisation still has to state or submit, item by item (``result.todo``): kind, the item it
    concerns, the field as a reader names it, where to state it, the provisions and controls that need it."""
    rows = []
    for entry in getattr(result, "todo", None) or []:
        get = entry.get if isinstance(entry, dict) else (lambda k, e=entry: getattr(e, k, None))
        rows.append({
            "kind": get("kind"), "item": get("item"), "label": get("label"), "field": get("field"),
            "provision": get("provision"), "controls": list(get("controls") or []),
        })
    return rows


def plan_rows(result: AuditResult) -> list[dict[str, Any]]:
    """Each remediation-plan item with the verdict its control has now: an item whose control passes is marked."""
    by_id = {c.id: c for c in result.controls}
    rows = []
    for item in result.remediation_plan:
        c = by_id.get(item.get("control"))
        verdict = c.verdict if c else None
        rows.append({**item, "verdict": verdict, "passes": verdict in ("compliant", "not-applicable")})
    return rows


def context(result: AuditResult, lang: str, options: Options | None = None) -> dict[str, Any]:
    options = options or Options(lang=lang)
    if options.audience not in AUDIENCES:
        raise ValueError(f"unknown audience {options.audience!r}")
    lab = labels()
    say = Say(lang, result)

    def t(key: str, **kw) -> str:
        text = lab[key][lang]
        return text.format(**kw) if kw else text

    def pick(group: str, key: str) -> str:
        return lab[group][key][lang]

    def L(text) -> str:
        """A catalog or result text in the report's language (a Text, a {ko, en} mapping, or plain text as it is)."""
        if text is None:
            return ""
        if isinstance(text, dict):
            return text.get(lang) or text.get("ko") or ""
        if isinstance(text, str):
            return text
        return getattr(text, lang)

    def kind_label(kind: str) -> str:
        """An evidence kind as a reader says it (labels.yaml ``evidence_kinds``), else as the catalog names it."""
        entry = lab["evidence_kinds"].get(kind)
        return entry[lang] if entry else kind

    findings = [c for c in result.controls if c.verdict in FAILING]
    findings.sort(key=lambda c: (SEVERITIES.index(c.severity), VERDICTS.index(c.verdict), c.id))
    inline = 25
    annexed = {}  # (control id, check id) -> annex label, for offender lists too long to show inline
    for c in findings:
        for ch in c.checks:
            if len(ch.offenders) > inline:
                annexed[(c.id, ch.id)] = f"B-{len(annexed) + 1}"
    return {
        "r": result,
        "lang": lang,
        "t": t,
        "pick": pick,
        "L": L,
        "report_id": report_id(result),
        "findings": findings,
        "verdict_order": VERDICTS,
        "waived": [c for c in result.controls if c.waiver is not None],
        "offender_limit": inline,
        "annex_cap": 5000,
        "annexed": annexed,
        "heatmap": _heatmap(result, lang),
        "planned": {item.get("control") for item in result.remediation_plan},
        "audience": options.audience,
        "show_max": options.show_statutory_maximum,
        "say": say,
        "val": say.value,
        "fld": say.field,
        "shown_values": shown_values,
        "failure_lines": lambda c, limit=3: failure_lines(c, result, say, limit),
        "series_note": lambda ch, values: time_series_note(ch, values, result, say),
        "plan_rows": plan_rows(result),
        "count": lambda ch: count_text(ch, say),
        "count_total": lambda ch: total_text(ch, say),
        "officer": privacy_officer(result),
        "in_force": instruments_in_force(result, options.catalog_dir),
        "todo": todo_rows(result) if options.audience == "internal" and hasattr(result, "todo") else None,
        "kind_label": kind_label,
        "evidence_word": lambda e: evidence_word(e, say),
        "evidence_lines": lambda c, states=("missing", "stale", "undated"): evidence_lines(c, say, tuple(states)),
        "regulator": options.audience == "regulator",
    }


def _heatmap(result: AuditResult, lang: str) -> list[dict[str, Any]]:
    """Verdict counts per article (rows in catalog order), for the summary's heat map."""
    from compliance.catalog import LegalRef

    rows: dict[tuple[str, str], dict[str, Any]] = {}
    prefixes = {c.id: getattr(c.cite_as, lang) for c in result.catalogs}
    for c in result.controls:
        key = (c.catalog, c.ref.article)
        if key not in rows:
            cite = f"{prefixes[c.catalog]} {LegalRef(article=c.ref.article).cite(lang)}"
            rows[key] = {"cite": cite, "counts": dict.fromkeys(VERDICTS, 0), "total": 0}
        rows[key]["counts"][c.verdict] += 1
        rows[key]["total"] += 1
    return list(rows.values())


def finding_summary(c: ControlResult) -> str:
    """Plain-text account of a failing control (checks, offenders, missing facts, evidence): CI formats."""
    lines = []
    for ch in c.checks:
        if ch.status == "pass":
            continue
        ids = ", ".join(o.label for o in ch.offenders[:50])
        more = f" (+{len(ch.offenders) - 50} more)" if len(ch.offenders) > 50 else ""
        missing = ", ".join(m.path for m in ch.missing)
        lines.append(
            f"{ch.id}: {ch.status}"
            + (f"; offenders: {ids}{more}" if ids else "")
            + (f"; observed: { {k: v['en'] if isinstance(v, dict) and 'en' in v else v for k, v in ch.observed.items()} }" if ch.observed else "")
            + (f"; missing facts: {missing}" if missing else "")
        )
    lines += [evidence_note(e) for e in c.evidence if e.status != "ok"]
    return "\n".join(lines)


def evidence_note(e: EvidenceResult) -> str:
    """An expected kind that is not ok, in English (CI formats): not submitted, stale with its age and the rule, or
    undated where the rule needs a date."""
    rule = e.rule.en if e.rule is not None else "—"
    if e.status == "stale":
        return f"evidence '{e.kind}' stale: dated {e.dated}, {e.age_days:,} days old (rule: {rule})"
    if e.status == "undated":
        return f"evidence '{e.kind}' undated: no attachment of the kind states its date (rule: {rule})"
    return f"evidence '{e.kind}' not submitted"


def evidence_word(e: EvidenceResult, say: Say) -> str:
    """An expected kind's state in one word of the report's language: submitted, not submitted, stale, undated."""
    return say.t({"ok": "evidence_ok", "missing": "evidence_missing", "stale": "evidence_stale", "undated": "evidence_undated"}[e.status])


def evidence_lines(c: ControlResult, say: Say, states: tuple[str, ...] = ("missing", "stale", "undated")) -> list[str]:
    """Each expected kind in one of ``states`` (by default every kind that is not ok), said in the report's language:
    not submitted; stale, with its date, its age and the rule; undated, with the rule it cannot show it meets."""
    lines = []
    for e in c.evidence:
        if e.status not in states:
            continue
        entry = say.lab["evidence_kinds"].get(e.kind)
        kind = entry[say.lang] if entry else e.kind
        rule = getattr(e.rule, say.lang) if e.rule is not None else "—"
        if e.status == "stale":
            lines.append(say.t("evidence_stale_sentence", kind=kind, dated=e.dated.isoformat() if e.dated else "—",
                               age=f"{e.age_days:,}", rule=rule))
        elif e.status == "undated":
            lines.append(say.t("evidence_undated_sentence", kind=kind, rule=rule))
        else:
            lines.append(say.t("evidence_missing_sentence", kind=kind))
    return lines


def detail(c: ControlResult, limit: int = 3) -> str:
    """The first offenders, else the stated values a failed check read, else the first missing
    facts, else the evidence not submitted."""
    offenders = list(dict.fromkeys(o.label for ch in c.checks for o in ch.offenders))
    observed = [f"{k}={v}" for ch in c.checks if ch.status == "fail" and not ch.offenders for k, v in ch.observed.items()]
    missing = list(dict.fromkeys(m.path for ch in c.checks for m in ch.missing))
    unsubmitted = [e.kind for e in c.evidence if e.status == "missing"]
    stale = [f"{e.kind} (dated {e.dated}, {e.age_days:,} days old; rule: {e.rule.en if e.rule else '—'})"
             for e in c.evidence if e.status == "stale"]
    undated = [f"{e.kind} (rule: {e.rule.en if e.rule else '—'})" for e in c.evidence if e.status == "undated"]
    for prefix, items in (
        ("offenders ", offenders), ("observed ", observed), ("missing ", missing), ("evidence not submitted: ", unsubmitted),
        ("evidence stale: ", stale), ("evidence undated: ", undated),
    ):
        if items:
            more = f" (+{len(items) - limit} more)" if len(items) > limit else ""
            return prefix + ", ".join(items[:limit]) + more
    return ""


def headline(c: ControlResult, limit: int = 3) -> str:
    """One line a CI dashboard can show on its own: verdict, severity, provision and :func:`detail`."""
    head = f"{c.underlying_verdict or c.verdict} [{c.severity}] {c.cite.en}: {c.title.en}"
    more = detail(c, limit)
    return f"{head} — {more}" if more else head


def docs_anchor(control_id: str) -> str:
    """A control's anchor in the ``catalog docs`` pages (``catalog.html#…``): SARIF links to it."""
    return control_id.replace("/", "-").replace(".", "-")
