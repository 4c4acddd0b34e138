"""``pipa-audit diff OLD.json NEW.json``: what got worse, or better, between two audits.

Reads two results written by ``check --format json``: newly failing, fixed and still failing
controls, every verdict change, waivers granted or expired in between, catalog versions that came
into or went out of force, and the provisions of law that changed between the two as-of dates.
A regression is a control that fails the run (per --fail-on and --insufficient) in NEW and did not
in OLD, or went from insufficient evidence to non-compliant; any regression exits 1.

Only the fields a diff needs are read, and unknown fields are ignored, so a result written by an
older pipa-audit still compares.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from compliance.gate import fails
from compliance.loading import inert, validate_file
from compliance.result import FAILING, Verdict, jsonable

FORMATS: dict[str, tuple[str, ...]] = {"text": (".txt",), "md": (".md", ".markdown"), "json": (".json",)}


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Text(_Loose):
    ko: str = ""
    en: str = ""


class _Waiver(_Loose):
    owner: str
    justification: str
    expires: dt.date
    approved_by: str | None = None
    status: str


class _Control(_Loose):
    id: str
    catalog: str = ""
    cite: _Text = _Text()
    title: _Text = _Text()
    severity: Literal["critical", "high", "medium", "low"]
    verdict: Verdict
    underlying_verdict: Verdict | None = None
    waiver: _Waiver | None = None


class _Catalog(_Loose):
    id: str
    version: str


class Result(_Loose):
    """The part of an AuditResult a diff reads."""

    tool: Literal["pipa-audit"]
    as_of: dt.date
    facts_file: str = ""
    facts_sha256: str = ""
    catalogs: list[_Catalog]
    controls: list[_Control]


def load(path: str | Path) -> Result:
    return validate_file(path, Result)[0]


def law_changes(old_as_of: dt.date, new_as_of: dt.date, catalog_dir) -> list[dict[str, Any]]:
    """Provisions of law added, removed or amended between the two as-of dates.

    The hook onto ``compliance.versions.diff(catalogs, start, end)`` (law versions per provision);
    an empty list while that module does not exist. Each change is returned as its fields plus
    ``line``, a one-line account.
    """
    if old_as_of == new_as_of:
        return []
    try:
        versions = importlib.import_module("compliance.versions")
    except ModuleNotFoundError as exc:
        if exc.name == "compliance.versions":
            return []
        raise
    from compliance.catalog import load_catalogs

    out = []
    for change in versions.diff(load_catalogs(catalog_dir), old_as_of, new_as_of):
        fields = dataclasses.asdict(change) if dataclasses.is_dataclass(change) else dict(vars(change))
        line = change.line() if hasattr(change, "line") else ", ".join(f"{k}={v}" for k, v in fields.items())
        out.append({**jsonable(fields), "line": line})
    return out


def _entry(c: _Control, old: _Control | None = None) -> dict[str, Any]:
    return {
        "id": c.id, "cite": c.cite.en, "title": c.title.en, "severity": c.severity,
        "old": old.verdict if old else None, "new": c.verdict,
    }


def _waiver(c: _Control) -> dict[str, Any]:
    w = c.waiver
    return {"id": c.id, "cite": c.cite.en, "title": c.title.en, "owner": w.owner, "expires": w.expires.isoformat(),
            "approved_by": w.approved_by, "justification": w.justification}


def compare(old: Result, new: Result, threshold: str = "low", insufficient: str = "fail", catalog_dir=None) -> dict[str, Any]:
    before = {c.id: c for c in old.controls}
    after = {c.id: c for c in new.controls}
    out: dict[str, Any] = {
        "old": {"as_of": old.as_of.isoformat(), "facts_file": old.facts_file, "facts_sha256": old.facts_sha256},
        "new": {"as_of": new.as_of.isoformat(), "facts_file": new.facts_file, "facts_sha256": new.facts_sha256},
        "policy": {"fail_on": threshold, "insufficient": insufficient},
        "newly_failing": [], "fixed": [], "still_failing": [], "verdict_changes": [],
        "new_waivers": [], "expired_waivers": [], "regressions": [],
    }
    for c in new.controls:
        o = before.get(c.id)
        was, now = (o.verdict if o else None), c.verdict
        if now in FAILING and was not in FAILING:
            out["newly_failing"].append(_entry(c, o))
        elif now in FAILING:
            out["still_failing"].append(_entry(c, o))
        if was != now:
            out["verdict_changes"].append(_entry(c, o))
        worsened = was == "insufficient-evidence" and now == "non-compliant"
        if fails(c, threshold, insufficient) and (o is None or not fails(o, threshold, insufficient) or worsened):
            out["regressions"].append(_entry(c, o))
        active_before = o is not None and o.waiver is not None and o.waiver.status == "active"
        if c.waiver is not None and c.waiver.status == "active" and not active_before:
            out["new_waivers"].append(_waiver(c))
        expired_before = o is not None and o.waiver is not None and o.waiver.status == "expired"
        if c.waiver is not None and c.waiver.status == "expired" and not expired_before:
            out["expired_waivers"].append(_waiver(c))
    for o in old.controls:
        c = after.get(o.id)
        if o.verdict in FAILING and (c is None or c.verdict in ("compliant", "not-applicable")):
            out["fixed"].append({**_entry(o), "old": o.verdict, "new": c.verdict if c else None})
        if c is None:
            out["verdict_changes"].append({**_entry(o), "old": o.verdict, "new": None})
    old_cats = {(c.id, c.version) for c in old.catalogs}
    new_cats = {(c.id, c.version) for c in new.catalogs}
    out["catalogs"] = {
        "into_force": [f"{i} {v}" for i, v in sorted(new_cats - old_cats)],
        "out_of_force": [f"{i} {v}" for i, v in sorted(old_cats - new_cats)],
    }
    out["law_changes"] = law_changes(old.as_of, new.as_of, catalog_dir) if catalog_dir is not None else []
    return out


# ------------------------------------------------------------------------------------ renderers

_SECTIONS = (
    ("regressions", "Regressions (fail the run)"),
    ("newly_failing", "Newly failing"),
    ("fixed", "Fixed"),
    ("still_failing", "Still failing"),
    ("verdict_changes", "Verdict changes"),
)


def _verdicts(e: dict) -> str:
    return f"{e['old'] or '(absent)'} → {e['new'] or '(absent)'}"


def as_text(d: dict) -> str:
    lines = [f"pipa-audit diff · {d['old']['as_of']} → {d['new']['as_of']}", ""]
    for key, title in _SECTIONS:
        lines.append(f"{title}: {len(d[key])}")
        lines += [f"  {e['id']:<22} {e['severity']:<9} {_verdicts(e):<46} {e['cite']}: {e['title']}" for e in d[key]]
    for key, title in (("new_waivers", "New waivers"), ("expired_waivers", "Expired waivers")):
        lines.append(f"{title}: {len(d[key])}")
        lines += [f"  {w['id']:<22} expires {w['expires']} · {w['owner']}: {w['justification']}" for w in d[key]]
    cats = d["catalogs"]
    lines.append(f"Catalogs into force: {', '.join(cats['into_force']) or 'none'}; out of force: {', '.join(cats['out_of_force']) or 'none'}")
    lines.append(f"Law changes between the as-of dates: {len(d['law_changes'])}")
    lines += [f"  {c['line']}" for c in d["law_changes"]]
    verdict = f"{len(d['regressions'])} regression(s)" if d["regressions"] else "no regression"
    lines += ["", f"{verdict} at --fail-on {d['policy']['fail_on']} --insufficient {d['policy']['insufficient']}"]
    return "\n".join(inert(line) for line in lines) + "\n"  # text from the results never acts on the terminal


def as_markdown(d: dict) -> str:
    from compliance.render import md_code as code, md_escape as esc

    head = "❌" if d["regressions"] else "✅"
    lines = [
        f"## {head} pipa-audit: {len(d['regressions'])} regression(s) since {d['old']['as_of']}",
        "",
        f"As of {d['old']['as_of']} → {d['new']['as_of']} · --fail-on {d['policy']['fail_on']} · "
        f"--insufficient {d['policy']['insufficient']}",
        "",
        "| | count |", "|---|---:|",
    ]
    lines += [f"| {title} | {len(d[key])} |" for key, title in _SECTIONS]
    lines += [f"| New waivers | {len(d['new_waivers'])} |", f"| Expired waivers | {len(d['expired_waivers'])} |",
              f"| Law changes | {len(d['law_changes'])} |"]
    for key, title in _SECTIONS:
        if not d[key]:
            continue
        lines += ["", f"### {title}", "", "| control | severity | verdict | provision |", "|---|---|---|---|"]
        lines += [f"| {code(e['id'])} | {esc(e['severity'])} | {esc(_verdicts(e))} | {esc(e['cite'])}: {esc(e['title'])} |" for e in d[key]]
    for key, title in (("new_waivers", "New waivers"), ("expired_waivers", "Expired waivers")):
        if d[key]:
            lines += ["", f"### {title}", "", "| control | expires | owner | justification |", "|---|---|---|---|"]
            lines += [f"| {code(w['id'])} | {esc(w['expires'])} | {esc(w['owner'])} | {esc(w['justification'])} |" for w in d[key]]
    cats = d["catalogs"]
    if cats["into_force"] or cats["out_of_force"]:
        lines += ["", "### Catalogs", "", f"Into force: {esc(', '.join(cats['into_force']) or 'none')}; "
                  f"out of force: {esc(', '.join(cats['out_of_force']) or 'none')}"]
    if d["law_changes"]:
        lines += ["", "### Law changes between the as-of dates", ""] + [f"- {esc(c['line'])}" for c in d["law_changes"]]
    return "\n".join(lines) + "\n"


def render(d: dict, fmt: str) -> bytes:
    if fmt == "json":
        return (json.dumps(d, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return (as_markdown(d) if fmt == "md" else as_text(d)).encode("utf-8")
