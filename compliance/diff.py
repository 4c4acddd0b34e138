"""``pipa-audit diff OLD.json NEW.json``: what got worse, or better, between two audits.

Reads two results written by ``check --format json``: newly failing, fixed and still failing
controls, controls absent in NEW and new in NEW, every verdict change, waivers granted or expired in
between, catalog versions that came into or went out of force, and the provisions of law that changed
between the two as-of dates. A regression is a control that fails the run (per --fail-on and
--insufficient) in NEW and did not in OLD, or went from insufficient evidence to non-compliant; any
regression exits 1.

A control is matched by its id, so each result must list a control once (a second copy would decide
the comparison alone and could hide a regression) and must list some control (``check`` lists every
control of the catalogs in force): both are refused as bad input, located in the file. OLD must be
judged on or before NEW's as-of date; the other order would list as fixes what are not, and is
refused like ``catalog diff --from LATER --to EARLIER``.

A control in OLD and not in NEW is listed as absent in NEW, never as fixed: nothing shows it was
remedied. Its vanishing is explained by the law when NEW's catalogs show the law no longer has it:
the catalog version it came from in OLD is not in force in NEW (superseded, amended or out of force;
``catalogs`` of each result), or the catalogs of the law (``--catalog``) list the provision as no
longer in force between the two as-of dates (``law_changes``). An explained absence is never a
regression. An unexplained one (the same catalog version is in force in NEW, yet the control is
missing: a result from another catalog folder, or one edited or filtered) counts as a regression when
the control failed the run in OLD, since the failure cannot be shown to be gone. Symmetrically a
control only in NEW is listed as new in NEW, and is a regression when it fails the run there (a duty
that came into force unmet is a finding the last audit did not have).

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

from pydantic import BaseModel, ConfigDict, PrivateAttr

from compliance.gate import fails
from compliance.i18n import _
from compliance.loading import InputError, Locator, Problem, inert, validate_file
from compliance.result import FAILING, Verdict, jsonable

from compliance.vocabulary import DIFF_FORMATS as FORMATS  # noqa: E402 - read by the CLI without the models


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
    _path: str = PrivateAttr("")
    _as_of_line: int = PrivateAttr(0)


def load(path: str | Path) -> Result:
    """One result, refused (located, exit 2) when it lists no control or a control twice."""
    result, text = validate_file(path, Result)
    locator = Locator(text)
    if not result.controls:
        raise InputError([Problem(str(path), locator.line(("controls",)), _(
            "no controls: a result of `check` lists every control of the catalogs in force, and with none every control "
            "of the other result would look absent or new"), "controls")])
    first: dict[str, int] = {}
    problems = []
    for i, c in enumerate(result.controls):
        if c.id not in first:
            first[c.id] = i
        elif first[c.id] >= 0:  # one line per id, at its second occurrence
            at = locator.line(("controls", first[c.id], "id"))
            problems.append(Problem(str(path), locator.line(("controls", i, "id")), _(
                "duplicate control id '{id}' (first at line {line}, controls[{index}]): a diff compares one verdict per "
                "control, and either copy could hide a regression").format(id=c.id, line=at, index=first[c.id]),
                f"controls[{i}].id"))
            first[c.id] = -1
    if problems:
        raise InputError(problems)
    result._path, result._as_of_line = str(path), locator.line(("as_of",))
    return result


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


def _in_order(old: Result, new: Result) -> None:
    """OLD judged after NEW would list as fixed what NEW had not yet fixed: refused, as catalog diff refuses it."""
    if old.as_of > new.as_of:
        message = _("OLD is judged on {old}, after NEW ({path}, as_of {new}): give the earlier result first").format(
            old=old.as_of.isoformat(), path=new._path or "NEW", new=new.as_of.isoformat())
        raise InputError([Problem(old._path or "OLD", old._as_of_line, message, "as_of")])


def _why_absent(o: _Control, old: Result, new: Result, removed: dict[str, str]) -> tuple[bool, str]:
    """Whether the law explains that a control of OLD is not in NEW, and how (see the module docstring)."""
    was = {c.id: c.version for c in old.catalogs}.get(o.catalog)
    now = {c.id: c.version for c in new.catalogs}.get(o.catalog)
    if was is not None and now != was:
        if now:
            return True, _("catalog {catalog} {version} is not in force in NEW (version {now} is)").format(
                catalog=o.catalog, version=was, now=now)
        return True, _("catalog {catalog} {version} is not in force in NEW").format(catalog=o.catalog, version=was)
    if o.id in removed:
        return True, _("no longer in force on {date}").format(date=removed[o.id])
    if now is not None:
        return False, _("unexplained: catalog {catalog} {version} is in force in NEW and no change of law removed it").format(
            catalog=o.catalog, version=now)
    return False, _("unexplained: nothing shows the law no longer has it")


def compare(old: Result, new: Result, threshold: str = "low", insufficient: str = "fail", catalog_dir=None) -> dict[str, Any]:
    _in_order(old, new)
    before = {c.id: c for c in old.controls}
    after = {c.id: c for c in new.controls}
    out: dict[str, Any] = {
        "old": {"as_of": old.as_of.isoformat(), "facts_file": old.facts_file, "facts_sha256": old.facts_sha256},
        "new": {"as_of": new.as_of.isoformat(), "facts_file": new.facts_file, "facts_sha256": new.facts_sha256},
        "policy": {"fail_on": threshold, "insufficient": insufficient},
        "newly_failing": [], "fixed": [], "still_failing": [], "absent_in_new": [], "only_in_new": [],
        "verdict_changes": [], "new_waivers": [], "expired_waivers": [], "regressions": [],
    }
    out["law_changes"] = law_changes(old.as_of, new.as_of, catalog_dir) if catalog_dir is not None else []
    removed = {str(ch["control"]): str(ch.get("on", ""))  # provisions no longer in force on NEW's date
               for ch in out["law_changes"] if ch.get("kind") == "removed" and "control" in ch}
    for c in new.controls:
        o = before.get(c.id)
        was, now = (o.verdict if o else None), c.verdict
        if o is None:
            out["only_in_new"].append(_entry(c, o))
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
        if c is not None:  # judged again in NEW: fixed only if NEW shows it met (absent is not fixed)
            if o.verdict in FAILING and c.verdict in ("compliant", "not-applicable"):
                out["fixed"].append(_entry(c, o))
            continue
        gone = {**_entry(o), "old": o.verdict, "new": None}
        explained, why = _why_absent(o, old, new, removed)
        out["absent_in_new"].append({**gone, "why": why})
        out["verdict_changes"].append(gone)
        if not explained and fails(o, threshold, insufficient):  # its failure is not shown to be gone
            out["regressions"].append(gone)
    old_cats = {(c.id, c.version) for c in old.catalogs}
    new_cats = {(c.id, c.version) for c in new.catalogs}
    out["catalogs"] = {
        "into_force": [f"{i} {v}" for i, v in sorted(new_cats - old_cats)],
        "out_of_force": [f"{i} {v}" for i, v in sorted(old_cats - new_cats)],
    }
    out["law_changes"] = out.pop("law_changes")  # last, as before
    return out


# ------------------------------------------------------------------------------------ renderers

def _sections() -> tuple[tuple[str, str], ...]:
    """(key of the comparison, its heading in the user's language)."""
    return (
        ("regressions", _("Regressions (fail the run)")),
        ("newly_failing", _("Newly failing")),
        ("fixed", _("Fixed")),
        ("still_failing", _("Still failing")),
        ("absent_in_new", _("Absent in NEW (vanished, not fixed)")),
        ("only_in_new", _("New in NEW (not in OLD)")),
        ("verdict_changes", _("Verdict changes")),
    )


def _waiver_sections() -> tuple[tuple[str, str], ...]:
    return (("new_waivers", _("New waivers")), ("expired_waivers", _("Expired waivers")))


def _verdicts(e: dict) -> str:
    absent = _("(absent)")
    return f"{e['old'] or absent} → {e['new'] or absent}"


def _why(e: dict) -> str:
    return f" ({e['why']})" if e.get("why") else ""


def as_text(d: dict) -> str:
    lines = [f"pipa-audit diff · {d['old']['as_of']} → {d['new']['as_of']}", ""]
    for key, title in _sections():
        lines.append(f"{title}: {len(d[key])}")
        lines += [f"  {e['id']:<22} {e['severity']:<9} {_verdicts(e):<46} {e['cite']}: {e['title']}{_why(e)}" for e in d[key]]
    for key, title in _waiver_sections():
        lines.append(f"{title}: {len(d[key])}")
        expires = _("expires {date} · {owner}: {justification}")
        lines += [f"  {w['id']:<22} " + expires.format(date=w["expires"], owner=w["owner"], justification=w["justification"])
                  for w in d[key]]
    cats, none = d["catalogs"], _("none")
    lines.append(_("Catalogs into force: {into}; out of force: {out}").format(
        into=", ".join(cats["into_force"]) or none, out=", ".join(cats["out_of_force"]) or none))
    lines.append(_("Law changes between the as-of dates: {count}").format(count=len(d["law_changes"])))
    lines += [f"  {c['line']}" for c in d["law_changes"]]
    policy = {"fail_on": d["policy"]["fail_on"], "insufficient": d["policy"]["insufficient"]}
    if d["regressions"]:
        verdict = _("{count} regression(s) at --fail-on {fail_on} --insufficient {insufficient}").format(
            count=len(d["regressions"]), **policy)
    else:
        verdict = _("no regression at --fail-on {fail_on} --insufficient {insufficient}").format(**policy)
    lines += ["", verdict]
    return "\n".join(inert(line) for line in lines) + "\n"  # text from the results never acts on the terminal


def as_markdown(d: dict) -> str:
    from compliance.render import md_code as code, md_escape as esc

    head = "❌" if d["regressions"] else "✅"
    lines = [
        f"## {head} " + _("pipa-audit: {count} regression(s) since {date}").format(
            count=len(d["regressions"]), date=d["old"]["as_of"]),
        "",
        _("As of {old} → {new} · --fail-on {fail_on} · --insufficient {insufficient}").format(
            old=d["old"]["as_of"], new=d["new"]["as_of"], fail_on=d["policy"]["fail_on"],
            insufficient=d["policy"]["insufficient"]),
        "",
        _("| | count |"), "|---|---:|",
    ]
    lines += [f"| {title} | {len(d[key])} |" for key, title in (*_sections(), *_waiver_sections())]
    law = _("Law changes")
    lines += [f"| {law} | {len(d['law_changes'])} |"]
    for key, title in _sections():
        if not d[key]:
            continue
        lines += ["", f"### {title}", "", _("| control | severity | verdict | provision |"), "|---|---|---|---|"]
        lines += [f"| {code(e['id'])} | {esc(e['severity'])} | {esc(_verdicts(e))} | {esc(e['cite'])}: {esc(e['title'] + _why(e))} |"
                  for e in d[key]]
    for key, title in _waiver_sections():
        if d[key]:
            lines += ["", f"### {title}", "", _("| control | expires | owner | justification |"), "|---|---|---|---|"]
            lines += [f"| {code(w['id'])} | {esc(w['expires'])} | {esc(w['owner'])} | {esc(w['justification'])} |" for w in d[key]]
    cats, none = d["catalogs"], _("none")
    if cats["into_force"] or cats["out_of_force"]:
        lines += ["", "### " + _("Catalogs"), "", _("Into force: {into}; out of force: {out}").format(
            into=esc(", ".join(cats["into_force"]) or none), out=esc(", ".join(cats["out_of_force"]) or none))]
    if d["law_changes"]:
        lines += ["", "### " + _("Law changes between the as-of dates"), ""] + [f"- {esc(c['line'])}" for c in d["law_changes"]]
    return "\n".join(lines) + "\n"


def render(d: dict, fmt: str) -> bytes:
    if fmt == "json":
        return (json.dumps(d, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return (as_markdown(d) if fmt == "md" else as_text(d)).encode("utf-8")
