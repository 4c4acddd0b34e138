"""The findings table ``check`` prints: worst verdict first, failing rows (per --fail-on and
--insufficient) marked ✗, each non-passing check with its offenders or missing facts, named by item.

It speaks the current language (``compliance.i18n.current()``): Korean verdicts, severities, citations and titles
from the label data and the catalogs, fixed words through the message catalog. Counts say what they count of what:
"1 of 2 in scope fail" / "대상 2건 중 위반 1건"; items that could not be judged are counted against the whole list
("of 3 listed: 0 fail, 2 not judged"), so no two numbers of one line count different things."""

from __future__ import annotations

import unicodedata

from compliance.catalog import SEVERITIES
from compliance.gate import failing
from compliance.i18n import _, current
from compliance.loading import inert
from compliance.render import Format, Options, labels
from compliance.render import framework as by_framework
from compliance.result import VERDICTS, AuditResult, CheckResult, failed_count
from compliance.todo import NONE_STATED, count

SHOWN = 5
"""offenders or items named on one line before "… and N more" """


def _width(text: str) -> int:
    """Columns a terminal gives ``text``: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


class _Words:
    """The table's words in one language: label data for verdicts, severities and statuses (Korean at once),
    messages for the rest."""

    def __init__(self, lang: str):
        self.lang = lang
        self.lab = labels()

    def pick(self, group: str, key: str) -> str:
        if self.lang == "en":
            return key  # the English table has always printed the ids: scripts grep "non-compliant"
        entry = self.lab.get(group, {}).get(key)
        return entry[self.lang] if entry else key

    def text(self, value) -> str:
        return getattr(value, self.lang)

    def more(self, ids: list[str], total: int | None = None) -> str:
        """The first ids, then '… and N more' (``total``: how many there are, when ``ids`` holds only the first)."""
        total = len(ids) if total is None else total
        shown = ", ".join(ids[:SHOWN])
        if total > SHOWN:
            shown += " … " + self.lab["and_more"][self.lang].format(n=f"{total - SHOWN:,}")
        return shown


def _counts(ch: CheckResult, w: _Words) -> str:
    """What the check judged, in one unit: the items in scope, or, when some could not be judged, the whole list."""
    if ch.none_stated:
        return " " + _("none stated")
    if ch.in_scope is None:
        return ""
    unjudged = len({i for m in ch.missing for i in m.items})
    if unjudged:
        return " " + _("of {total} listed: {failed} fail, {unjudged} not judged").format(
            total=f"{ch.total if ch.total is not None else ch.in_scope:,}", failed=f"{failed_count(ch):,}", unjudged=f"{unjudged:,}")
    return " " + _("{failed} of {in_scope} in scope fail").format(failed=f"{failed_count(ch):,}", in_scope=f"{ch.in_scope:,}")


def _check_line(ch: CheckResult, w: _Words) -> str:
    detail = ""
    if ch.offenders:
        detail = ": " + w.more([o.label for o in ch.offenders[:SHOWN]], len(ch.offenders))  # not 870,000 labels
    elif ch.status == "fail" and ch.observed:
        detail = ": " + ", ".join(f"{k}={v}" for k, v in ch.observed.items())
    counts = _counts(ch, w)
    parts, unproven = [], []
    for m in ch.missing:
        empty = NONE_STATED.match(m.path)  # a list stated empty where it cannot be, without the document showing it
        if empty:
            unproven.append(_("evidence '{kind}' not submitted").format(kind=empty["kind"]))
        else:
            parts.append(f"{m.path} ({w.more(m.items)})" if m.items else m.path)
    if parts:
        detail += ("; " if detail or counts else " ") + _("not stated: {facts}").format(facts="; ".join(parts))
    for said in unproven:
        detail += ("; " if detail or counts else " ") + said
    return f"      - {ch.id} [{w.pick('check_status', ch.status)}]{counts}{detail}"


def table(result: AuditResult, threshold: str = "low", insufficient: str = "fail", lang: str | None = None) -> str:
    w = _Words(lang or current())
    failing_ids = {c.id for c in failing(result, threshold, insufficient)}
    rows = sorted(result.controls, key=lambda c: (VERDICTS.index(c.verdict), SEVERITIES.index(c.severity), c.id))
    cells = [(w.pick("verdicts", c.verdict), w.pick("severities", c.severity), c.id, w.text(c.cite)) for c in rows]
    heads = (_("VERDICT"), _("SEVERITY"), _("CONTROL"), _("CITATION"))
    widths = [20, 9, 22, 26]
    if w.lang != "en":  # columns as wide as their widest cell (Hangul takes two columns)
        widths = [max([_width(h)] + [_width(cell[k]) for cell in cells]) for k, h in enumerate(heads)]
    lines = [
        f"pipa-audit {result.tool_version} · {result.organization.get('name', '')} · "
        + _("as of {date}").format(date=result.as_of.isoformat()),
        _("catalogs: {catalogs}").format(catalogs=", ".join(f"{c.id} ({c.version})" for c in result.catalogs)),
        "",
        "  " + " ".join(_pad(h, widths[k]) for k, h in enumerate(heads)) + " " + _("TITLE"),
    ]
    for c, cell in zip(rows, cells):
        mark = "✗" if c.id in failing_ids else " "
        lines.append(f"{mark} " + " ".join(_pad(x, widths[k]) for k, x in enumerate(cell)) + f" {w.text(c.title)}")
        for ch in c.checks:
            if ch.status != "pass":
                lines.append(_check_line(ch, w))
        for e in c.evidence:
            if e.status == "missing":
                lines.append("      - " + _("evidence '{kind}' not submitted").format(kind=e.kind))
            elif e.status == "stale":
                lines.append("      - " + _("evidence '{kind}' stale: dated {dated}, {age} days old (rule: {rule})").format(
                    kind=e.kind, dated=e.dated, age=f"{e.age_days:,}", rule=w.text(e.rule) if e.rule else "—"))
            elif e.status == "undated":
                lines.append("      - " + _("evidence '{kind}' undated: no attachment of the kind states its date (rule: {rule})").format(
                    kind=e.kind, rule=w.text(e.rule) if e.rule else "—"))
        if c.waiver is not None:
            lines.append("      - " + _("waiver {status} (expires {expires}, owner {owner})").format(
                status=w.pick("waiver_states", c.waiver.status), expires=c.waiver.expires, owner=c.waiver.owner))
        if c.verdict == "not-applicable" and c.not_applicable:
            lines.append(f"      - {w.text(c.not_applicable)}")
        if c.scope_note is not None:
            lines.append(f"      - {w.text(c.scope_note)}")
    s = result.summary.by_verdict
    policy = f"--fail-on {threshold}" + (f" --insufficient {insufficient}" if insufficient != "fail" else "")
    lines += [
        "",
        _("{total} controls: {counts}").format(
            total=result.summary.total,
            counts=", ".join(_("{n} {verdict}").format(n=n, verdict=w.pick("verdicts", v)) for v, n in s.items())),
        _("failing at {policy}: {n}").format(policy=policy, n=len(failing_ids)),
    ]
    if result.todo:
        n = count(result.todo)
        lines.append(_("still missing: facts {facts}, attestations {attestations}, attachments {attachments} "
                       "(pipa-audit check --todo lists them by item)").format(
            facts=n["fact"], attestations=n["attestation"], attachments=n["attachment"]))
    return "\n".join(inert(line) for line in lines) + "\n"  # values from the facts never act on the terminal


def _render(result: AuditResult, options: Options) -> bytes:
    if options.framework:
        view = by_framework.grouped(result, options.framework, options.catalog_dir)
        text = "".join(inert(line) + "\n" for line in by_framework.as_text(view).splitlines())
    else:
        text = table(result, options.threshold, options.insufficient)
    return text.encode("utf-8")


FORMAT = Format("text", (".txt",), False, _render, "the findings table (check's default)", framework=True)
