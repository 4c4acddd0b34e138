"""Prowler's JSON-OCSF output (``prowler <provider> -M json-ocsf``): system facts from cloud checks.

Prowler 4.1 and later write a JSON array of OCSF Detection Findings (class_uid 2004), one per check and resource,
with the check id in ``metadata.event_code``, PASS/FAIL/MANUAL in ``status_code`` and the frameworks the check
serves in ``unmapped.compliance``. Which check tells which fact of a system is data, not code:
``prowler-checks.yaml`` beside this module, validated when loaded against the facts model (a fact it names must be
a scalar field of ``facts.System``, its values of that field's type), so a wrong entry is refused, never imported.

A finding belongs to the system the identity map gives for one of its resources' uids, else for its cloud account
(or, for Kubernetes, the provider uid). A FAIL value wins over PASS values for one fact of one system; MANUAL and
muted findings (Prowler's mutelist) decide nothing; a check whose outcome tells nothing adds its reason to the notes.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from compliance.i18n import _
from compliance.importers import IdentityMap, Observed, Unmapped
from compliance.loading import InputError, Problem, fail

TABLE = Path(__file__).with_name("prowler-checks.yaml")
DETECTION_FINDING = 2004  # OCSF class_uid written by Prowler 4
SECURITY_FINDING = 2001  # OCSF class_uid written by Prowler 3 (another layout)
SUPPRESSED = 3  # OCSF status_id of a finding muted by Prowler's mutelist
OUTCOMES = ("PASS", "FAIL", "MANUAL")
ISMS_P = "KISA-ISMS-P"  # unmapped.compliance keys "KISA-ISMS-P-2023", "KISA-ISMS-P-2023-korean"


# ---------------------------------------------------------------------------------------------- the check table


class CheckRule(BaseModel):
    """Checks whose outcome tells one fact of a system, with the value each outcome gives (null: tells nothing)."""

    model_config = ConfigDict(extra="forbid")

    checks: list[str] = Field(min_length=1)
    fact: str | None
    on_pass: Any = Field(None, alias="pass")
    on_fail: Any = Field(None, alias="fail")
    why: str | None = None


class CheckTable(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[CheckRule]


def _system_scalars() -> dict[str, Any]:
    """System fields a check may set: one value each (not the id, not a list or a nested object)."""
    from compliance.expr import type_of_annotation
    from compliance.facts import System

    return {name: f.annotation for name, f in System.model_fields.items()
            if name != "id" and type_of_annotation(f.annotation).kind not in ("list", "object")}


def lint_table(data: Any, text: str, path: str | Path) -> list[Problem]:
    """Every problem of a check table, each at its line: its shape, then facts and values against facts.System."""
    from compliance.loading import Locator, located

    try:
        table = CheckTable.model_validate(data)
    except ValidationError as exc:
        return located(path, text, exc).problems
    locator, problems, seen = Locator(text), [], {}
    scalars = _system_scalars()

    def problem(loc: tuple, message: str) -> None:
        problems.append(Problem(str(path), locator.line(("rules", *loc)), message))

    for i, rule in enumerate(table.rules):
        for j, check in enumerate(rule.checks):
            if not check or not all(c.islower() or c.isdigit() or c == "_" for c in check):
                problem((i, "checks", j), f"{check!r} is not a Prowler check id (lower-case letters, digits, '_')")
            elif check in seen:
                problem((i, "checks", j), f"check {check!r} is listed twice (first in rule {seen[check] + 1})")
            else:
                seen[check] = i
        values = {"pass": rule.on_pass, "fail": rule.on_fail}
        if rule.fact is None:
            for key, value in values.items():
                if value is not None:
                    problem((i, key), f"a rule with no fact sets no value: remove '{key}'")
        elif rule.fact not in scalars:
            problem((i, "fact"), f"{rule.fact!r} is not a scalar fact of a system (facts.System)")
            continue
        else:
            adapter = TypeAdapter(scalars[rule.fact])
            for key, value in values.items():
                if value is None:
                    continue
                try:
                    adapter.validate_python(value)  # the facts model reads the value as it reads a facts file
                except ValidationError as exc:
                    why = exc.errors(include_url=False)[0]["msg"]
                    problem((i, key), f"{value!r} is not a value of {rule.fact}: {why}")
            if all(v is None for v in values.values()):
                problem((i, "fact"), f"a rule for {rule.fact} gives it a value on pass, on fail or both")
        if (rule.fact is None or None in values.values()) and not (rule.why or "").strip():
            problem((i,), "say why (why:) the outcome that sets no fact tells nothing; it goes into the notes")
    return problems


def load_table(path: str | Path = TABLE) -> dict[str, CheckRule]:
    """check id -> its rule; a table with any problem is refused (one located line each)."""
    from compliance.loading import load

    data, text = load(path)
    problems = lint_table(data, text, path)
    if problems:
        raise InputError(problems)
    return {check: rule for rule in CheckTable.model_validate(data).rules for check in rule.checks}


@functools.cache
def _table() -> dict[str, CheckRule]:
    return load_table()


# ---------------------------------------------------------------------------------------------- the findings


def _bad(name: str, data: bytes, loc: tuple, message: str) -> InputError:
    """One located problem: the JSON pointer in the message, its line found in the text (only now, on error)."""
    from compliance.json_locator import JsonLocator, NotJson

    try:
        line = JsonLocator(data.decode("utf-8", "replace")).line(loc)
    except (NotJson, RecursionError, ValueError):
        line = 0
    return fail(name, message, line, "/" + "/".join(str(step) for step in loc))


def _text(item: dict, *keys: str) -> Any:
    for key in keys:
        item = item.get(key) if isinstance(item, dict) else None
    return item


def _findings(data: bytes, name: str) -> list:
    try:
        doc = json.loads(data)
    except UnicodeDecodeError:
        raise fail(name, _("not UTF-8 text: expected Prowler's JSON-OCSF output (prowler -M json-ocsf)"), 1) from None
    except json.JSONDecodeError as exc:
        raise fail(name, _("not JSON ({reason}): expected Prowler's JSON-OCSF output (prowler -M json-ocsf)").format(
            reason=exc.msg), exc.lineno) from None
    except RecursionError:
        raise fail(name, _("JSON nested too deeply: not Prowler's JSON-OCSF output"), 1) from None
    if not isinstance(doc, list):
        raise fail(name, _("not Prowler's JSON-OCSF output: expected a JSON array of OCSF Detection Findings "
                           "(prowler -M json-ocsf), found a JSON {type}").format(
            type=type(doc).__name__.replace("dict", "object")), 1)
    return doc


def _finding(item: Any, i: int, name: str, data: bytes) -> tuple[str, str, bool]:
    """(check id, outcome, muted) of one finding, or the first way it is not a Prowler 4 Detection Finding."""
    if not isinstance(item, dict):
        raise _bad(name, data, (i,), _("not an OCSF finding: expected a JSON object"))
    cls = item.get("class_uid")
    if cls == SECURITY_FINDING:
        raise _bad(name, data, (i, "class_uid"), _("a Prowler 3 OCSF Security Finding (class_uid 2001): this reads "
                   "the Detection Findings (class_uid 2004) of Prowler 4.1 or later; run prowler -M json-ocsf again"))
    if cls != DETECTION_FINDING:
        raise _bad(name, data, (i, "class_uid") if "class_uid" in item else (i,),
                   _("expected an OCSF Detection Finding (class_uid 2004), found class_uid {found}").format(found=repr(cls)))
    product = _text(item, "metadata", "product", "name")
    if product != "Prowler":
        raise _bad(name, data, (i, "metadata"), _("not a Prowler finding (metadata.product.name is {product})").format(
            product=repr(product)))
    check = _text(item, "metadata", "event_code")
    if not isinstance(check, str) or not check:
        raise _bad(name, data, (i, "metadata"), _("no metadata.event_code (the check id): Prowler 4.1 or later "
                   "writes it; this output is older or not Prowler's"))
    outcome = item.get("status_code")
    if outcome not in OUTCOMES:
        if "status_code" not in item:
            raise _bad(name, data, (i,), _("no status_code (PASS, FAIL or MANUAL)"))
        raise _bad(name, data, (i, "status_code"), _("expected PASS, FAIL or MANUAL (got {value})").format(value=repr(outcome)))
    resources = item.get("resources")
    if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
        if "resources" not in item:
            raise _bad(name, data, (i,), _("no resources (the resources the check looked at)"))
        raise _bad(name, data, (i, "resources"), _("expected a list of resource objects"))
    compliance = _text(item, "unmapped", "compliance")
    if compliance is not None and not isinstance(compliance, dict):
        raise _bad(name, data, (i, "unmapped", "compliance"), _("expected an object of requirement lists"))
    return check, outcome, item.get("status_id") == SUPPRESSED or item.get("status") == "Suppressed"


def _identities(item: dict) -> list[str]:
    """The names the identity map may know the finding by: its resources' uids, then its account (or provider)."""
    names = [r.get("uid") for r in item["resources"]]
    names += [_text(item, "cloud", "account", "uid"), _text(item, "unmapped", "provider_uid")]
    return [n for n in names if isinstance(n, str) and n]


def _isms_p(item: dict) -> list[str]:
    ids: list[str] = []
    for key, values in (_text(item, "unmapped", "compliance") or {}).items():
        if key.startswith(ISMS_P) and isinstance(values, list):
            ids += [v for v in values if isinstance(v, str) and v not in ids]
    return ids


def read(data: bytes, name: str, ids: IdentityMap, kind: str, before=None) -> Observed:
    table = _table()
    file = Path(name).name
    findings = _findings(data, name)
    decided: dict[tuple[str, str], tuple[Any, str, bool]] = {}  # (system, fact) -> (value, at, from a FAIL)
    silent: dict[str, dict] = {}  # check -> outcomes that told nothing: counts, first location, systems
    isms_p: dict[str, list[str]] = {}
    unmapped: dict[str, list] = {}  # identity -> [first at, findings, of them feeding the table]
    counts = {"PASS": 0, "FAIL": 0, "MANUAL": 0, "muted": 0, "untabled": 0}
    untabled: set[str] = set()
    version = tool_version = None

    for i, item in enumerate(findings):
        check, outcome, muted = _finding(item, i, name, data)
        at = f"{file}#/{i}"
        if i == 0:  # the OCSF version and Prowler's, as the first finding states them (text, or not stated)
            stated = (_text(item, "metadata", "version"), _text(item, "metadata", "product", "version"))
            version, tool_version = (v if isinstance(v, str) else None for v in stated)
        counts[outcome] += 1
        rule = table.get(check)
        names = _identities(item)
        sid = ids.system(*names)
        if sid is None:
            key = names[-1] if names else "(no account or resource uid)"
            entry = unmapped.setdefault(key, [at, 0, 0])
            entry[1] += 1
            entry[2] += rule is not None and outcome != "MANUAL" and not muted
            continue
        if rule is None:
            counts["untabled"] += 1
            untabled.add(check)
            continue
        if outcome == "MANUAL":
            continue
        if muted:
            counts["muted"] += 1
            continue
        for isms in _isms_p(item):
            if isms not in isms_p.setdefault(check, []):
                isms_p[check].append(isms)
        value = rule.on_pass if outcome == "PASS" else rule.on_fail
        if rule.fact is None or value is None:
            told = silent.setdefault(check, {"PASS": 0, "FAIL": 0, "at": at, "systems": set(), "rule": rule})
            told[outcome] += 1
            told["systems"].add(sid)
            continue
        failed = outcome == "FAIL"
        held = decided.get((sid, rule.fact))
        if held is None or (failed and not held[2]):
            decided[(sid, rule.fact)] = (value, at, failed)

    observed = Observed(tool=f"Prowler {tool_version or '(version not stated)'} JSON-OCSF", format_version=version)
    for (sid, fact), (value, at, _failed) in sorted(decided.items()):
        observed.systems.setdefault(sid, {})[fact] = value
        observed.system_at.setdefault(sid, {})[fact] = at
    for identity, (at, n, feeding) in unmapped.items():
        observed.unmapped.append(Unmapped(at, identity, f"maps to no system in the identity map: {_n(n, 'finding')} "
                                                        f"({feeding} of checks in the check table) not imported"))
    observed.notes += _notes(counts, untabled, silent, isms_p, len(findings))
    return observed


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _notes(counts: dict, untabled: set, silent: dict, isms_p: dict, total: int) -> list[str]:
    notes = [f"Prowler findings read: {total} ({counts['PASS']} PASS, {counts['FAIL']} FAIL, {counts['MANUAL']} "
             "MANUAL); MANUAL findings decide nothing."]
    if total:
        notes.append("A fact observed from Prowler holds for the resources it scanned that the identity map puts in "
                     "that system (a FAIL value wins over PASS values); resources it did not scan are not covered, and "
                     "a finding counts for its whole account unless the identity map names its resource.")
    if counts["muted"]:
        notes.append(f"{_n(counts['muted'], 'finding')} muted by Prowler's mutelist decided nothing (a muted FAIL "
                     "is the organisation's own exception: state it, with its reason, if it matters).")
    if untabled:
        notes.append(f"{_n(counts['untabled'], 'finding')} of {_n(len(untabled), 'check')} not in the check table "
                     "(compliance/importers/prowler-checks.yaml) tell no fact of this model and were not read.")
    for check, told in sorted(silent.items()):
        outcomes = ", ".join(f"{told[o]} {o}" for o in ("PASS", "FAIL") if told[o])
        rule = told["rule"]
        what = "tells no fact of a system" if rule.fact is None else f"left {rule.fact} as it was"
        notes.append(f"{check} ({outcomes} on {', '.join(sorted(told['systems']))}; first at {told['at']}) {what}: "
                     f"{' '.join(rule.why.split())}")
    for check, found in sorted(isms_p.items()):
        notes.append(f"prowler ISMS-P: {check} → {', '.join(found)}")
    return notes
