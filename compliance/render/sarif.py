"""SARIF 2.1.0 for code scanning (GitHub and other SARIF consumers): one rule per control, one
result per failing or waived control, located in the facts file.

- ``artifactLocation.uri`` is the facts file relative to the repository holding it (the nearest
  folder with ``.git``), or to ``--sarif-root``; ``region.startLine`` is the line of the first
  offending item. The facts file is re-read for line numbers only when a result has offenders
  (and only if it still has the hash the audit read), so a clean run costs nothing extra.
- ``partialFingerprints`` hash the control id and the file's uri, never a line's text or number: the same
  finding keeps its alert across runs and commits while lines move and the text around them changes.
  ``primaryLocationLineHash`` is the key GitHub code scanning matches alerts by; left out, upload-sarif
  fills it from the text of the result's first line (so renaming a system, adding a note under an
  incident or editing the header comment re-created alerts). It is written in GitHub's format — a 64-bit
  hash in hex (no padding) and ``:`` and the occurrence of that hash in the file, counted from 1, as
  codeql-action's ``fingerprints.ts`` writes it — and upload-sarif keeps a value it finds (it logs that
  its own differs). It names the finding — this control in this file — not the first offender: an alert
  (and a dismissal of it) lasts while the control fails, whichever items fail it. ``pipaAuditFinding/v1``
  is the tool's own key for other consumers.
- ``automationDetails.id`` (code scanning's category) is ``<category>/`` when the CLI is given a category
  (``Options.sarif_category``; the GitHub Action's ``sarif-category`` input), else
  ``pipa-audit/<facts uri>/``: one category per facts file. upload-sarif's own ``category`` input applies
  only to a run that has no ``automationDetails``, which is why the category is written here.
- ``kind``/``level`` follow SARIF §3.27.9: a non-compliant control is ``fail`` with a level from its
  severity; insufficient evidence is ``review`` (a person must look) and therefore level ``none``.
- A waived finding is emitted with a ``suppressions`` entry (justification, owner, expiry), not
  dropped, so the dashboard shows it as accepted rather than fixed.
- Rules carry ``help.markdown`` (legal text, remediation), ``helpUri`` into the published
  ``catalog docs`` pages (``--docs-url``), ``properties.security-severity`` and tags such as
  ``isms-p:2.5.1``.
"""

from __future__ import annotations

import hashlib
import json
import re
import weakref
from pathlib import Path
from typing import Any
from urllib.parse import quote

from compliance.loading import JSON_START, InputError, Locator, fail, parse, read_text
from compliance.render import Format, Options, docs_anchor, finding_summary, headline
from compliance.result import FAILING, AuditResult, ControlResult

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT = "pipaAuditFinding/v1"
LINE_HASH = "primaryLocationLineHash"
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
# GitHub reads 9.0+ as critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
_MAX_TAGS = 20  # GitHub keeps the first 20 tags of a rule
_MAX_RELATED = 100
_PLAIN_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


_READ: dict[int, dict[str, tuple]] = {}
"""The facts file as re-read for line numbers, per audit result and path: SARIF and JUnit written by one run parse it
once (2.5 s for 100,000 items)."""


def _repository_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


class Source:
    """The facts file as code scanning sees it: a uri, and (built on first use) item lines. JUnit names the
    file the same way."""

    def __init__(self, result: AuditResult, options: Options):
        self.result = result
        self.path = Path(options.facts_path) if options.facts_path else None
        self.relative = True
        self._loaded = False
        self._data = self._locator = None
        self._index: dict[str, dict[str, int]] = {}
        if self.path is None:
            self.uri = quote(result.facts_file)
            return
        target = self.path.resolve()
        if options.sarif_root:
            root = Path(options.sarif_root).resolve()
            if not target.is_relative_to(root):
                raise fail(options.sarif_root, f"--sarif-root does not contain the facts file {self.path}")
        else:
            root = _repository_root(target.parent) or Path.cwd().resolve()
        if target.is_relative_to(root):
            self.uri = quote(target.relative_to(root).as_posix())
        else:
            self.uri, self.relative = target.as_uri(), False

    def _load(self) -> bool:
        if not self._loaded:
            self._loaded = True
            if self.path is not None:
                read = _READ.get(id(self.result))
                if read is None:  # forgotten with the result (audit results are not hashable: keyed by id)
                    read = _READ[id(self.result)] = {}
                    weakref.finalize(self.result, _READ.pop, id(self.result), None)
                key = str(self.path.resolve())
                if key not in read:
                    data = locator = None
                    try:
                        text = read_text(self.path)
                        if hashlib.sha256(text.encode("utf-8")).hexdigest() == self.result.facts_sha256:
                            # a JSON text is kept as text: only the ids of a list are read from it (_json_ids)
                            data = text if JSON_START.match(text) else parse(text, self.path)
                            locator = Locator(text)
                    except InputError:  # unreadable now: line numbers are a convenience, not a reason to fail
                        data = None
                    read[key] = (data, locator, {})
                self._data, self._locator, self._index = read[key]
        return self._data is not None

    def line_of(self, collection: str | None, item_id: str) -> int | None:
        """The line of the item ``item_id`` of the top-level ``collection`` (a plain path such as
        ``handlers``); None when the collection is an expression or the item is not found."""
        if not collection or not _PLAIN_PATH.match(collection) or not self._load():
            return None
        if collection not in self._index:
            steps = collection.split(".")
            ids = _json_ids(self._data, steps) if isinstance(self._data, str) else None
            if ids is None:
                if isinstance(self._data, str):  # not a list of objects there: read the whole text, as before
                    self._data = parse(self._data, self.path)
                items = self._data
                for step in steps:
                    items = items.get(step) if isinstance(items, dict) else None
                ids = {}
                for n, item in enumerate(items if isinstance(items, list) else []):
                    ident = str(item.get("id", f"#{n + 1}")) if isinstance(item, dict) else f"#{n + 1}"
                    ids.setdefault(ident, n)
            self._index[collection] = ids
        n = self._index[collection].get(item_id)
        if n is None:
            return None
        return self._locator.line((*collection.split("."), n)) or None

    def location(self, line: int | None, message: str | None = None, ident: int | None = None) -> dict:
        artifact = {"uri": self.uri}
        if self.relative:
            artifact["uriBaseId"] = "%SRCROOT%"
        loc: dict = {"physicalLocation": {"artifactLocation": artifact, "region": {"startLine": line or 1}}}
        if ident is not None:
            loc["id"] = ident
        if message:
            loc["message"] = {"text": message}
        return loc


def _json_ids(text: str, steps: list[str]) -> dict[str, int] | None:
    """Item id -> index of the list at ``steps`` of a JSON text, as reading the whole text would give them (an item
    without an id is ``#n``), or None when something on the way is not an object or the list holds anything but
    objects. Only the ids are made: reading the whole 1M-row text to find them was 1.3 GB, and SARIF at 3.2 GB.
    (The text is the one the audit read, by its SHA-256: valid, without repeated keys.)"""
    import msgspec

    class Ident(msgspec.Struct):
        id: Any = msgspec.UNSET

    try:
        value: Any = text
        for step in steps:
            value = msgspec.json.decode(value, type=dict[str, msgspec.Raw]).get(step)
            if value is None:
                return {}
        items = msgspec.json.decode(value, type=list[Ident])
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    ids: dict[str, int] = {}
    for n, item in enumerate(items):
        ids.setdefault(f"#{n + 1}" if item.id is msgspec.UNSET else str(item.id), n)
    return ids


def _blockquote(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in text.strip().splitlines())


def _help(c: ControlResult) -> dict:
    unverified = c.text_status != "verified"
    mappings = "; ".join(f"{fw}: {', '.join(ids)}" for fw, ids in c.mappings.items() if ids)
    markdown = [
        f"**{c.cite.en}** ({c.cite.ko}) — {c.title.en} / {c.title.ko}",
        "",
        _blockquote(c.text.ko),
        "",
        c.text.en.strip(),
    ]
    if unverified:
        markdown += ["", f"*Legal text status: {c.text_status} (see the README: Legal text and the law in force).*"]
    markdown += ["", f"**Remediation.** {c.remediation.en.strip()}", "", c.remediation.ko.strip()]
    if mappings:
        markdown += ["", f"**Mappings.** {mappings}"]
    text = f"{c.cite.en}: {c.title.en}\n\n{c.text.en.strip()}\n\nRemediation: {c.remediation.en.strip()}"
    return {"text": text, "markdown": "\n".join(markdown)}


def _rule(c: ControlResult, docs_url: str | None) -> dict:
    tags = ["security", "compliance", "pipa", f"catalog:{c.catalog}"]
    tags += [f"{fw}:{cid}" for fw, ids in c.mappings.items() for cid in ids]
    rule = {
        "id": c.id,
        "name": docs_anchor(c.id),
        "shortDescription": {"text": f"{c.cite.en}: {c.title.en}"},
        "fullDescription": {"text": c.text.en.strip() or c.title.en},
        "help": _help(c),
        "defaultConfiguration": {"level": _LEVEL[c.severity]},
        "properties": {
            "security-severity": _SECURITY_SEVERITY[c.severity],
            "severity": c.severity,
            "cite_ko": c.cite.ko,
            "text_status": c.text_status,
            "mappings": c.mappings,
            "tags": tags[:_MAX_TAGS],
        },
    }
    if docs_url:
        rule["helpUri"] = f"{docs_url.rstrip('/')}/catalog.html#{docs_anchor(c.id)}"
    return rule


def fingerprint(control_id: str, uri: str) -> str:
    return hashlib.sha256(f"{control_id}\n{uri}".encode()).hexdigest()[:32]


def line_hash(control_id: str, uri: str) -> str:
    """The hash part of ``primaryLocationLineHash``: 64 bits of SHA-256 over the control id and the file, in
    lowercase hex without leading zeros (codeql-action prints its unsigned 64-bit hash with ``toString(16)``)."""
    digest = hashlib.sha256(f"{LINE_HASH}\n{control_id}\n{uri}".encode()).digest()[:8]
    return format(int.from_bytes(digest, "big"), "x")


def category_id(category: str | None, uri: str) -> str:
    """``automationDetails.id``: ``<category>/`` as upload-sarif builds it from its ``category`` input (a ``/`` is
    appended unless there is one), else one category per facts file."""
    if category and category.strip():
        category = category.strip()
        return category if category.endswith("/") else category + "/"
    return f"pipa-audit/{uri}/"


def _result(c: ControlResult, index: int, source: Source, seen: dict[str, int]) -> dict | None:
    verdict = c.underlying_verdict if c.verdict == "waived" else c.verdict
    if verdict not in FAILING:
        return None
    kind = "fail" if verdict == "non-compliant" else "review"
    related, first = [], None
    for ch in c.checks:
        for o in ch.offenders:
            if len(related) >= _MAX_RELATED:
                break
            line = source.line_of(ch.for_each, o.id)
            if line is None:
                continue
            first = first or line
            related.append(source.location(line, f"{ch.id}: {o.label}", len(related) + 1))
    summary = finding_summary(c)
    out = {
        "ruleId": c.id,
        "ruleIndex": index,
        "kind": kind,
        "level": _LEVEL[c.severity] if kind == "fail" else "none",
        "message": {"text": headline(c) + ("\n" + summary if summary else "")},
        "locations": [source.location(first)],
        "partialFingerprints": {
            FINGERPRINT: fingerprint(c.id, source.uri),
            LINE_HASH: _occurrence(line_hash(c.id, source.uri), seen),
        },
        "properties": {"verdict": verdict, "severity": c.severity},
    }
    if related:
        out["relatedLocations"] = related
    if c.verdict == "waived" and c.waiver is not None:
        out["suppressions"] = [{
            "kind": "external",
            "status": "accepted",
            "justification": c.waiver.justification,
            "properties": {
                "expires": c.waiver.expires.isoformat(),
                "owner": c.waiver.owner,
                "approved_by": c.waiver.approved_by,
            },
        }]
    elif c.waiver is not None and c.waiver.status == "expired":
        out["properties"]["waiver_expired"] = c.waiver.expires.isoformat()
    return out


def _occurrence(value: str, seen: dict[str, int]) -> str:
    """``hash:n``: the n-th result of the file with that hash (GitHub's counter; one result per control, so 1)."""
    seen[value] = seen.get(value, 0) + 1
    return f"{value}:{seen[value]}"


def render_sarif(result: AuditResult, options: Options | None = None) -> bytes:
    options = options or Options()
    source = Source(result, options)
    rules = [_rule(c, options.docs_url) for c in result.controls]
    seen: dict[str, int] = {}
    results = [r for i, c in enumerate(result.controls) if (r := _result(c, i, source, seen)) is not None]
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "pipa-audit", "version": result.tool_version, "rules": rules}},
                "automationDetails": {"id": category_id(options.sarif_category, source.uri)},
                "results": results,
                "properties": {
                    "as_of": result.as_of.isoformat(),
                    "facts_sha256": result.facts_sha256,
                    "catalogs": [f"{c.id} {c.version}" for c in result.catalogs],
                },
            }
        ],
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


FORMAT = Format("sarif", (".sarif", ".sarif.json"), False, render_sarif, "SARIF 2.1.0 for code scanning (GitHub)")
