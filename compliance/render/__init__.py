"""Renderers: a registry of output formats, each turning an AuditResult into bytes.

One module per format declares ``FORMAT = Format(name, suffixes, binary, render, ...)``; the CLI
takes its ``--format`` choices and the ``-o`` suffix mapping from :func:`registry`, so adding a
format is adding one module here. Renderers read the AuditResult (and the :class:`Options` the CLI
passes) only. Words come from ``reports/templates/labels.yaml`` and the catalogs, never from Python.
WeasyPrint is imported only when a PDF is rendered, so ``check`` stays fast.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from compliance.bundled import bundled_dir
from compliance.catalog import SEVERITIES
from compliance.result import FAILING, VERDICTS, AuditResult, ControlResult


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
    docs_url: str | None = None
    """base URL of the published ``catalog docs`` output, for SARIF helpUri"""


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


def format_for_path(path: str | Path, formats: dict[str, tuple[str, ...]] | None = None) -> str | None:
    """The format whose suffix ends ``path`` (longest suffix first), or None."""
    table = formats if formats is not None else {f.name: f.suffixes for f in registry().values()}
    name = Path(str(path)).name.lower()
    best = None
    for fmt, suffixes in table.items():
        for suffix in suffixes:
            if name.endswith(suffix) and len(name) > len(suffix) and (best is None or len(suffix) > best[0]):
                best = (len(suffix), fmt)
    return best[1] if best else None


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
    return text.replace("\r", " ").replace("\n", " ")


def environment(markup: bool):
    """Jinja2 environment; autoescape is on for HTML so any fact value shows as text."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=markup,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.filters["code"] = lambda v: "`" + str(v).replace("`", "'").replace("\r", " ").replace("\n", " ") + "`"
    env.filters["thousands"] = lambda n: "" if n is None else f"{n:,}"
    return env


def context(result: AuditResult, lang: str) -> dict[str, Any]:
    lab = labels()

    def t(key: str, **kw) -> str:
        text = lab[key][lang]
        return text.format(**kw) if kw else text

    def pick(group: str, key: str) -> str:
        return lab[group][key][lang]

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
        "L": lambda text: text[lang] if isinstance(text, dict) else getattr(text, lang),
        "report_id": report_id(result),
        "findings": findings,
        "verdict_order": VERDICTS,
        "waived": [c for c in result.controls if c.waiver is not None],
        "offender_limit": inline,
        "annex_cap": 5000,
        "annexed": annexed,
        "heatmap": _heatmap(result, lang),
        "planned": {item.get("control") for item in result.remediation_plan},
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
            + (f"; observed: {ch.observed}" if ch.observed else "")
            + (f"; missing facts: {missing}" if missing else "")
        )
    lines += [f"evidence '{e.kind}' not submitted" for e in c.evidence if e.status == "missing"]
    return "\n".join(lines)


def detail(c: ControlResult, limit: int = 3) -> str:
    """The first offenders, else the stated values a failed check read, else the first missing
    facts, else the evidence not submitted."""
    offenders = list(dict.fromkeys(o.label for ch in c.checks for o in ch.offenders))
    observed = [f"{k}={v}" for ch in c.checks if ch.status == "fail" and not ch.offenders for k, v in ch.observed.items()]
    missing = list(dict.fromkeys(m.path for ch in c.checks for m in ch.missing))
    unsubmitted = [e.kind for e in c.evidence if e.status == "missing"]
    for prefix, items in (
        ("offenders ", offenders), ("observed ", observed), ("missing ", missing), ("evidence not submitted: ", unsubmitted),
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
