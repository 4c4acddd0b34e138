"""Vulnerability scans and SBOMs -> each scanned system's components and known vulnerabilities.

Reads Trivy's JSON report (``SchemaVersion: 2``), Grype's JSON report and a CycloneDX JSON BOM. The three say the
same things in different places: what runs on one scanned target (an image, a repository, a product) and which
known vulnerabilities its components have. Each is read into a :class:`Scan` (one target, when it ran, its
components and findings, each with its location), and a scan becomes facts of the system its target maps to.

One scan shows what is present when it ran, not what was fixed: a vulnerability it lists is open, so its row has
no ``fixed_on`` (absent means "not applied", which is what the scan shows). Given the earlier scan of the same
target (``--before``), a vulnerability the earlier scan listed and this one does not was fixed in between:
``fixed_on`` is this scan's date where the format states it (the fix was applied on or before it), else
``"unknown"``. No format states when a vendor's fix became available except Grype's ``fix.available`` dates;
elsewhere ``fix_available_on`` is left out, which means unknown for that field.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from compliance.i18n import _
from compliance.importers import IdentityMap, Observed, Unmapped, value_kind
from compliance.loading import InputError, fail

COMPARES_SCANS = True

_TRIVY_SEVERITY = {"CRITICAL": "critical", "HIGH": "high", "MEDIUM": "medium", "LOW": "low", "UNKNOWN": None}
_GRYPE_SEVERITY = {"critical": "critical", "high": "high", "medium": "medium", "low": "low", "negligible": None,
                   "unknown": None}
_CDX_SEVERITY = {"critical": "critical", "high": "high", "medium": "medium", "low": "low", "info": None, "none": None,
                 "unknown": None}
_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}
_CDX_SPECS = ("1.2", "1.3", "1.4", "1.5", "1.6", "1.7")
_CDX_FIXED = ("resolved", "resolved_with_pedigree")  # analysis.state: the producer states the fix is in
_CDX_NOT_AFFECTED = ("not_affected", "false_positive")  # analysis.state: the producer states it does not apply
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class Scan:
    """One scan as its format states it: the target, when it ran, and rows in the facts' form, each with '_at'."""

    file: str  # the file's name, for locations
    tool: str
    format_version: str | None
    target: str  # the tool's name for what it scanned (an image, a path, a product)
    target_steps: tuple  # where the format names it
    taken_at: datetime | None = None  # when the scan ran, where the format says
    components: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)  # rows of the facts' vulnerabilities
    unknown_severity: int = 0
    duplicates: int = 0
    not_affected: int = 0
    ratings_disagree: int = 0
    unresolved_refs: int = 0
    resolved: int = 0
    fix_dates: int = 0
    suppressed: int = 0  # findings the tool's own ignore rules set aside (listed apart in the output)

    @property
    def target_at(self) -> str:
        return f"{self.file}#{_pointer(self.target_steps)}"


class _Source:
    """A parsed JSON document and how to point at a place in it when it is not what the format promises."""

    def __init__(self, data: bytes, name: str, kind: str):
        self.data, self.name, self.file = data, name, Path(name).name
        try:
            self.root = json.loads(data)
        except UnicodeDecodeError as exc:
            raise fail(name, _("not UTF-8 text (byte {offset}): expected a {format}").format(
                offset=exc.start, format=_what(kind))) from None
        except json.JSONDecodeError as exc:
            raise fail(name, _("not valid JSON ({reason}, column {column}): expected a complete {format}").format(
                reason=exc.msg, column=exc.colno, format=_what(kind)), exc.lineno) from None
        except RecursionError:
            raise fail(name, _("JSON nested too deeply to be a scan report")) from None

    def at(self, *steps: str | int) -> str:
        return f"{self.file}#{_pointer(steps)}"

    def problem(self, steps: tuple, message: str) -> InputError:
        """One located problem: the line of ``steps`` in the text (looked up only now) and its JSON pointer."""
        from compliance.json_locator import JsonLocator, NotJson

        try:
            line = JsonLocator(self.data.decode("utf-8-sig")).line(steps)
        except (NotJson, RecursionError):
            line = 0
        return fail(self.name, message, line, "#" + _pointer(steps) if steps else "")

    def text(self, obj: dict, key: str, steps: tuple, *, required: bool, what: str) -> str | None:
        """``obj[key]`` as text; absent or empty is None unless the format promises it (then a problem)."""
        value = obj.get(key)
        if value is None or value == "":
            if required:
                raise self.problem(steps, _no_field(key, what))
            return None
        if value.__class__ is not str:
            raise self.problem((*steps, key), _("expected text, got {kind}").format(kind=value_kind(value)))
        return value

    def mapping(self, value: Any, steps: tuple) -> dict:
        if value.__class__ is not dict:
            raise self.problem(steps, _("expected an object, got {kind}").format(kind=value_kind(value)))
        return value

    def items(self, value: Any, steps: tuple) -> list:
        """A list the format may leave out or write as null (Trivy and Grype do when it is empty)."""
        if value is None:
            return []
        if value.__class__ is not list:
            raise self.problem(steps, _("expected a list, got {kind}").format(kind=value_kind(value)))
        return value

    def stamp(self, value: Any, steps: tuple) -> datetime | None:
        """A timestamp with an offset; absent or empty (Grype writes "" when asked not to) is not stated."""
        if value is None or value == "":
            return None
        if value.__class__ is not str or not _STAMP.fullmatch(value):
            raise self.problem(steps, _("expected a timestamp with an offset (2025-06-11T02:14:00Z), got {value}").format(
                value=f"{value!r:.60}"))
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise self.problem(steps, _("not a real date and time: {value}").format(value=f"{value!r:.60}")) from None


def _what(kind: str) -> str:
    """The format a kind reads, as a message names it."""
    if kind == "trivy":
        return _("Trivy JSON report (trivy image --format json)")
    if kind == "grype":
        return _("Grype JSON report (grype -o json)")
    return _("CycloneDX JSON BOM (bomFormat \"CycloneDX\")")


def _no_field(key: str, what: str) -> str:
    """The message for a field ``what`` (as ``_Source.text`` callers name the part of the format) always states."""
    if what == "a Trivy report":
        return _("no {key}: a Trivy report states it").format(key=key)
    if what == "Trivy's Metadata.OS":
        return _("no {key}: Trivy's Metadata.OS states it").format(key=key)
    if what == "Trivy, for every vulnerability,":
        return _("no {key}: Trivy, for every vulnerability, states it").format(key=key)
    if what == "a Grype report":
        return _("no {key}: a Grype report states it").format(key=key)
    if what == "Grype, for an image,":
        return _("no {key}: Grype, for an image, states it").format(key=key)
    if what == "Grype, for every match,":
        return _("no {key}: Grype, for every match, states it").format(key=key)
    if what == "CycloneDX, for a component,":
        return _("no {key}: CycloneDX, for a component, states it").format(key=key)
    if what == "CycloneDX, for every affected component,":
        return _("no {key}: CycloneDX, for every affected component, states it").format(key=key)
    raise AssertionError(f"no message for a field {what!r} states")


def read(data: bytes, name: str, ids: IdentityMap, kind: str, before: tuple[str, bytes] | None = None) -> Observed:
    """The facts of the scanned system; with ``before``, what the earlier scan listed and this one does not is fixed."""
    reader = _READERS[kind]
    scan = reader(_Source(data, name, kind))
    earlier_src = _Source(before[1], before[0], kind) if before is not None else None
    earlier = reader(earlier_src) if earlier_src is not None else None
    observed = Observed(tool=scan.tool, format_version=scan.format_version)
    sid = ids.system(scan.target)
    rows = scan.findings
    fixed: list[dict[str, Any]] = []
    if earlier is not None:
        sid_before = ids.system(earlier.target)
        if sid_before != sid:
            none = _("no system")
            raise earlier_src.problem(earlier.target_steps, _(
                "the earlier scan is of {before} ({before_system}), {file} of {target} ({system}): give two scans of "
                "the same target").format(before=repr(earlier.target), before_system=sid_before or none, file=scan.file,
                                          target=repr(scan.target), system=sid or none))
        if earlier.taken_at and scan.taken_at and earlier.taken_at > scan.taken_at:
            raise fail(before[0], _("the earlier scan ran at {before}, after {file} ({when}): give the earlier scan with "
                                    "--before").format(before=earlier.taken_at.isoformat(), file=scan.file,
                                                       when=scan.taken_at.isoformat()))
        if sid is not None:
            fixed = _fixed_since(earlier, scan, observed.notes)
            scan.resolved = sum(1 for row in rows if row.get("fixed_on") == "unknown")
        elif earlier.target != scan.target:
            observed.unmapped.append(_unmapped(earlier))
    if sid is None:
        observed.unmapped.append(_unmapped(scan))
    else:
        observed.systems[sid] = {"components": scan.components, "vulnerabilities": rows + fixed}
    observed.notes[:0] = _notes(scan, kind, compared=earlier is not None)
    return observed


def _fixed_since(earlier: Scan, scan: Scan, notes: list[str]) -> list[dict[str, Any]]:
    """Rows for what the earlier scan listed open and this one does not (or states resolved): fixed in between.

    The fix was applied on or before this scan ran, so its date is the latest ``fixed_on`` can be; where the
    format does not say when the scan ran, when it was fixed is not known ("unknown"), never left out."""
    when = scan.taken_at.date().isoformat() if scan.taken_at else "unknown"
    open_before = {(r["id"], r.get("component")) for r in earlier.findings if "fixed_on" not in r}
    listed_now = set()
    for row in scan.findings:
        key = (row["id"], row.get("component"))
        listed_now.add(key)
        if "fixed_on" in row and key in open_before:  # resolved since: fixed between the two scans
            row["fixed_on"] = when
    fixed = []
    for row in earlier.findings:
        key = (row["id"], row.get("component"))
        if key in open_before and key not in listed_now:
            fixed.append({**row, "fixed_on": when})  # placed where the earlier scan listed it
    notes.append(
        f"Compared with the earlier scan {earlier.file}"
        f"{f' of {earlier.taken_at.isoformat()}' if earlier.taken_at else ''}: {_many(len(fixed), 'vulnerability')} "
        f"it listed not in {scan.file}, taken as fixed "
        + (f"on {when}, the date of {scan.file} (fixed on or before it)." if scan.taken_at else
           f"on an unknown date ({scan.file} does not state when it ran).")
        + " Those in both scans are still open."
    )
    return fixed


def _unmapped(scan: Scan) -> Unmapped:
    return Unmapped(scan.target_at, scan.target,
                    f"the scanned target maps to no system in the identity map: its {len(scan.findings)} "
                    f"vulnerabilities and {len(scan.components)} components are not imported")


def _notes(scan: Scan, kind: str, compared: bool) -> list[str]:
    """One English sentence for each thing the format could not tell, and each rule applied to its rows."""
    notes = []
    if not compared:
        notes.append("A scan shows what is present when it ran: the vulnerabilities it lists are open (no fixed_on); "
                     "give the earlier scan with --before to see which were fixed since.")
    if kind == "grype":
        notes.append("fix_available_on is the earliest date Grype gives for an available fix (fix.available); where "
                     f"it gives none ({_many(len(scan.findings) - scan.fix_dates, 'vulnerability')}) it is left out: "
                     "unknown.")
        notes.append("Grype states end of life only for a distribution it alerts on (distro-eol); the end of life "
                     "of every other component is left unknown.")
    elif kind == "trivy":
        notes.append("Trivy does not state when a vendor's fix became available: fix_available_on is left out "
                     "(unknown).")
        notes.append("Trivy states end of life only for an operating system past its end of support (EOSL); the "
                     "end of life of other components, and of an operating system it does not mark, is left unknown.")
    else:
        notes.append("CycloneDX does not state when a vendor's fix became available: fix_available_on is left out "
                     "(unknown).")
        notes.append("CycloneDX does not state end of life: it is left unknown for every component.")
    if scan.unknown_severity:
        notes.append(f"{_many(scan.unknown_severity, 'vulnerability')} without a severity in the scan (unknown, "
                     "negligible, info or none): severity left out (unknown).")
    if scan.ratings_disagree:
        notes.append(f"{_many(scan.ratings_disagree, 'vulnerability')} rated differently by different sources: "
                     "the most severe rating is kept.")
    if scan.duplicates:
        notes.append(f"{_many(scan.duplicates, 'finding')} repeating a vulnerability of the same component (found "
                     "at several places): each is kept once, at its first location.")
    if scan.not_affected:
        notes.append(f"{_many(scan.not_affected, 'finding')} stated not to affect the component (not_affected or "
                     "false_positive): not imported.")
    if scan.resolved:
        notes.append(f"{_many(scan.resolved, 'vulnerability')} stated resolved without saying when: fixed_on is "
                     "'unknown'.")
    if scan.suppressed:
        notes.append(f"{_many(scan.suppressed, 'finding')} set aside by the scanner's ignore rules "
                     f"({'ignoredMatches' if kind == 'grype' else 'ExperimentalModifiedFindings'}): not imported; "
                     "review them, as they may still be present.")
    if scan.unresolved_refs:
        notes.append(f"{_many(scan.unresolved_refs, 'affected component')} named by a bom-ref this BOM does not "
                     "list: those vulnerabilities have no component (unknown).")
    return notes


def _many(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing[:-1] + 'ies' if thing.endswith('y') else thing + 's'}"


class _Rows:
    """Components and vulnerabilities of one scan, each kept once (the first location wins)."""

    def __init__(self, scan: Scan):
        self.scan = scan
        self.components: dict[tuple, dict] = {}
        self.seen: set[tuple] = set()

    def component(self, name: str, version: str | None, at: str, end_of_life: bool | None = None) -> None:
        key = (name, version)
        row = self.components.get(key)
        if row is None:
            row = self.components[key] = {"name": name, **({"version": version} if version else {}), "_at": at}
            self.scan.components.append(row)
        if end_of_life is not None and "end_of_life" not in row:
            del row["_at"]
            row["end_of_life"] = end_of_life
            row["_at"] = at  # where end of life is stated: the row's evidence

    def finding(self, vid: str, component: str | None, severity: str | None, at: str, **more: Any) -> None:
        key = (vid, component)
        if key in self.seen:
            self.scan.duplicates += 1
            return
        self.seen.add(key)
        row: dict[str, Any] = {"id": vid}
        if component is not None:
            row["component"] = component
        if severity is not None:
            row["severity"] = severity
        else:
            self.scan.unknown_severity += 1
        row.update(more)
        row["_at"] = at
        self.scan.findings.append(row)


def _trivy(src: _Source) -> Scan:
    """Trivy's JSON report, schema 2: ``Results[].Vulnerabilities[]`` of one artifact, the OS in ``Metadata.OS``."""
    root = src.root
    if root.__class__ is not dict or "SchemaVersion" not in root:
        raise src.problem((), _("not a {format}: no SchemaVersion{hint}").format(
            format=_what("trivy"), hint=_looks_like(root, "trivy")))
    version = root["SchemaVersion"]
    if version.__class__ is not int or version != 2:
        raise src.problem(("SchemaVersion",), _("a Trivy report of SchemaVersion {version}; this importer reads "
                                                "SchemaVersion 2 (Trivy 0.20 and later)").format(version=f"{version!r:.20}"))
    target = src.text(root, "ArtifactName", (), required=True, what="a Trivy report")
    info = root.get("Trivy")
    tool_version = info.get("Version") if info.__class__ is dict else None
    scan = Scan(src.file, f"Trivy{f' {tool_version}' if isinstance(tool_version, str) else ''} (JSON report)", "2",
                target, ("ArtifactName",), src.stamp(root.get("CreatedAt"), ("CreatedAt",)))
    rows = _Rows(scan)
    metadata = root.get("Metadata")
    if metadata is not None:
        os_ = src.mapping(metadata, ("Metadata",)).get("OS")
        if os_ is not None:
            steps = ("Metadata", "OS")
            src.mapping(os_, steps)
            family = src.text(os_, "Family", steps, required=True, what="Trivy's Metadata.OS")
            release = src.text(os_, "Name", steps, required=False, what="")
            eosl = os_.get("EOSL")
            if eosl is not None and eosl.__class__ is not bool:
                raise src.problem((*steps, "EOSL"), _("expected true or false, got {kind}").format(kind=value_kind(eosl)))
            # Trivy writes EOSL only when true: absent, whether the OS is supported is not said (left unknown)
            rows.component(family, release, src.at(*steps), eosl)
    finding, component, file = rows.finding, rows.component, src.file
    for i, result in enumerate(src.items(root.get("Results"), ("Results",))):
        if result.__class__ is not dict:
            raise src.problem(("Results", i), _("expected an object, got {kind}").format(kind=value_kind(result)))
        for j, pkg in enumerate(src.items(result.get("Packages"), ("Results", i, "Packages"))):
            name = pkg.get("Name") if pkg.__class__ is dict else None
            if name.__class__ is not str or not name:
                raise src.problem(("Results", i, "Packages", j), _("expected a package with a Name"))
            version = pkg.get("Version")
            if version is not None and version.__class__ is not str:
                raise src.problem(("Results", i, "Packages", j, "Version"), _("expected text, got {kind}").format(
                    kind=value_kind(version)))
            component(name, version, f"{file}#/Results/{i}/Packages/{j}")
        for j, v in enumerate(src.items(result.get("Vulnerabilities"), ("Results", i, "Vulnerabilities"))):
            if v.__class__ is not dict:
                raise src.problem(("Results", i, "Vulnerabilities", j), _("expected an object, got {kind}").format(
                    kind=value_kind(v)))
            vid, pkg, installed = v.get("VulnerabilityID"), v.get("PkgName"), v.get("InstalledVersion")
            severity, status = v.get("Severity", "UNKNOWN"), v.get("Status")
            if vid.__class__ is not str or pkg.__class__ is not str or not vid or not pkg \
                    or (installed is not None and installed.__class__ is not str) \
                    or severity.__class__ is not str or severity not in _TRIVY_SEVERITY \
                    or (status is not None and status.__class__ is not str):
                _bad_trivy_finding(src, v, ("Results", i, "Vulnerabilities", j))
            if status == "not_affected":  # Trivy's docs: never reported; if a report states it, it does not apply
                scan.not_affected += 1
                continue
            at = f"{file}#/Results/{i}/Vulnerabilities/{j}"
            component(pkg, installed, at)
            # present in the scan = not fixed: fixed_on is left out, which is what its absence means
            finding(vid, pkg, _TRIVY_SEVERITY[severity], at)
        modified = result.get("ExperimentalModifiedFindings")
        scan.suppressed += len(modified) if modified.__class__ is list else 0
    return scan


def _bad_trivy_finding(src: _Source, v: dict, steps: tuple) -> None:
    for key in ("VulnerabilityID", "PkgName"):
        src.text(v, key, steps, required=True, what="Trivy, for every vulnerability,")
    for key in ("InstalledVersion", "Status"):
        src.text(v, key, steps, required=False, what="")
    severity = v.get("Severity")
    raise src.problem((*steps, "Severity"), _("expected one of {known}, got {value}").format(
        known=", ".join(_TRIVY_SEVERITY), value=f"{severity!r:.40}"))


def _grype(src: _Source) -> Scan:
    """Grype's JSON report: ``matches[]`` of one source, the distribution in ``distro``."""
    root = src.root
    descriptor = root.get("descriptor") if root.__class__ is dict else None
    if root.__class__ is not dict or "matches" not in root or descriptor.__class__ is not dict:
        raise src.problem((), _("not a {format}: no 'matches' and 'descriptor'{hint}").format(
            format=_what("grype"), hint=_looks_like(root, "grype")))
    if descriptor.get("name") != "grype":
        raise src.problem(("descriptor", "name"), _("written by {writer}, not Grype: expected a {format}").format(
            writer=f"{descriptor.get('name')!r:.40}", format=_what("grype")))
    source = src.mapping(root.get("source"), ("source",))
    target = source.get("target")
    if target.__class__ is dict:  # an image: what the user asked Grype to scan
        name = src.text(target, "userInput", ("source", "target"), required=True, what="Grype, for an image,")
        target_steps = ("source", "target", "userInput")
    else:
        name = src.text(source, "target", ("source",), required=True, what="a Grype report")
        target_steps = ("source", "target")
    version = descriptor.get("version")
    scan = Scan(src.file, f"Grype{f' {version}' if isinstance(version, str) and version[:1].isdigit() else ''} "
                          "(JSON report)", None, name, target_steps,
                src.stamp(descriptor.get("timestamp"), ("descriptor", "timestamp")))
    rows = _Rows(scan)
    distro = root.get("distro")
    if distro is not None:
        src.mapping(distro, ("distro",))
        distro_name = src.text(distro, "name", ("distro",), required=False, what="")
        distro_version = src.text(distro, "version", ("distro",), required=False, what="")
        if distro_name:
            rows.component(distro_name, distro_version, src.at("distro"))
    finding, component, file = rows.finding, rows.component, src.file
    for i, match in enumerate(src.items(root["matches"], ("matches",))):
        vuln = match.get("vulnerability") if match.__class__ is dict else None
        artifact = match.get("artifact") if match.__class__ is dict else None
        if vuln.__class__ is not dict or artifact.__class__ is not dict:
            raise src.problem(("matches", i), _("expected a match with a vulnerability and an artifact"))
        vid, severity, pkg, installed = vuln.get("id"), vuln.get("severity"), artifact.get("name"), \
            artifact.get("version")
        if vid.__class__ is not str or pkg.__class__ is not str or not vid or not pkg \
                or (installed is not None and installed.__class__ is not str) \
                or (severity is not None
                    and (severity.__class__ is not str or severity.lower() not in _GRYPE_SEVERITY)):
            _bad_grype_match(src, vuln, artifact, ("matches", i))
        at = f"{file}#/matches/{i}"
        component(pkg, installed or None, at)
        available = _fix_available(src, vuln, ("matches", i, "vulnerability"))
        if available:
            scan.fix_dates += 1
        # present in the scan = not fixed: fixed_on is left out, which is what its absence means
        finding(vid, pkg, _GRYPE_SEVERITY[severity.lower()] if severity else None, at,
                **({"fix_available_on": available} if available else {}))
    for i, entry in enumerate(src.items(root.get("alertsByPackage"), ("alertsByPackage",))):
        for j, alert in enumerate(src.items(entry.get("alerts") if entry.__class__ is dict else None,
                                            ("alertsByPackage", i, "alerts"))):
            if alert.__class__ is not dict or alert.get("type") != "distro-eol":
                continue
            about = alert.get("metadata")
            eol_name = about.get("name") if about.__class__ is dict else None
            if eol_name.__class__ is str and eol_name and eol_name != "unknown":
                eol_version = about.get("version") if about.get("version").__class__ is str else None
                rows.component(eol_name, eol_version or None, f"{file}#/alertsByPackage/{i}/alerts/{j}", True)
    ignored = root.get("ignoredMatches")
    scan.suppressed = len(ignored) if ignored.__class__ is list else 0
    return scan


def _bad_grype_match(src: _Source, vuln: dict, artifact: dict, steps: tuple) -> None:
    src.text(vuln, "id", (*steps, "vulnerability"), required=True, what="Grype, for every match,")
    src.text(artifact, "name", (*steps, "artifact"), required=True, what="Grype, for every match,")
    src.text(artifact, "version", (*steps, "artifact"), required=False, what="")
    severity = src.text(vuln, "severity", (*steps, "vulnerability"), required=False, what="")
    raise src.problem((*steps, "vulnerability", "severity"),
                      _("expected one of {known}, got {value}").format(
                          known="Critical, High, Medium, Low, Negligible, Unknown", value=f"{severity!r:.40}"))


def _fix_available(src: _Source, vuln: dict, steps: tuple) -> str | None:
    """The earliest date Grype gives for an available fix (``fix.available[].date``, Grype 0.9x and later)."""
    fix = vuln.get("fix")
    available = fix.get("available") if fix.__class__ is dict else None
    if not available:
        return None
    dates = []
    for k, entry in enumerate(src.items(available, (*steps, "fix", "available"))):
        day = entry.get("date") if entry.__class__ is dict else None
        if day.__class__ is not str or not _DAY.fullmatch(day):
            raise src.problem((*steps, "fix", "available", k), _("expected a date YYYY-MM-DD, got {value}").format(
                value=f"{day!r:.40}"))
        dates.append(day)
    return min(dates)


def _cyclonedx(src: _Source) -> Scan:
    """A CycloneDX JSON BOM: the subject in ``metadata.component``, ``components[]``, ``vulnerabilities[]``."""
    root = src.root
    if root.__class__ is not dict or root.get("bomFormat") != "CycloneDX":
        raise src.problem((), _("not a CycloneDX JSON BOM: no bomFormat \"CycloneDX\"{hint}").format(
            hint=_looks_like(root, "cyclonedx")))
    spec = root.get("specVersion")
    if spec not in _CDX_SPECS:
        raise src.problem(("specVersion",), _("a CycloneDX BOM of specVersion {version}; this importer reads "
                                              "{known}").format(version=f"{spec!r:.20}", known=", ".join(_CDX_SPECS)))
    metadata = src.mapping(root.get("metadata"), ("metadata",)) if "metadata" in root else {}
    subject = metadata.get("component")
    if subject is None:
        raise src.problem(("metadata",), _("the BOM names no subject (metadata.component): which system it describes "
                                           "is not known"))
    src.mapping(subject, ("metadata", "component"))
    target = src.text(subject, "name", ("metadata", "component"), required=True, what="CycloneDX, for a component,")
    scan = Scan(src.file, "CycloneDX JSON BOM", spec, target, ("metadata", "component", "name"),
                src.stamp(metadata.get("timestamp"), ("metadata", "timestamp")))
    rows = _Rows(scan)
    names = {}  # bom-ref -> component name
    if isinstance(subject.get("bom-ref"), str):
        names[subject["bom-ref"]] = target
    stack = [(root.get("components"), ("components",))]
    while stack:  # components nest: a component may list its own
        listed, steps = stack.pop()
        for i, comp in enumerate(src.items(listed, steps)):
            here = (*steps, i)
            src.mapping(comp, here)
            name = src.text(comp, "name", here, required=True, what="CycloneDX, for a component,")
            version = src.text(comp, "version", here, required=False, what="")
            rows.component(name, version, src.at(*here))
            ref = comp.get("bom-ref")
            if ref.__class__ is str:
                names[ref] = name
            if comp.get("components"):
                stack.append((comp["components"], (*here, "components")))
    for i, vuln in enumerate(src.items(root.get("vulnerabilities"), ("vulnerabilities",))):
        here = ("vulnerabilities", i)
        src.mapping(vuln, here)
        vid = src.text(vuln, "id", here, required=False, what="")
        if vid is None:
            raise src.problem(here, _("no id: a vulnerability without an id cannot be imported"))
        severity = _cdx_severity(src, vuln, here, scan)
        analysis = vuln.get("analysis")
        state = None if analysis is None else \
            src.text(src.mapping(analysis, (*here, "analysis")), "state", (*here, "analysis"), required=False, what="")
        if state in _CDX_NOT_AFFECTED:
            scan.not_affected += 1
            continue
        # present and not resolved = not fixed (fixed_on left out); resolved: fixed, but the BOM does not say when
        more = {"fixed_on": "unknown"} if state in _CDX_FIXED else {}
        affects = src.items(vuln.get("affects"), (*here, "affects"))
        if not affects:  # about the subject itself
            _cdx_finding(rows, scan, vid, None, severity, src.at(*here), more)
        for j, affected in enumerate(affects):
            src.mapping(affected, (*here, "affects", j))
            ref = src.text(affected, "ref", (*here, "affects", j), required=True,
                           what="CycloneDX, for every affected component,")
            name = names.get(ref)
            if name is None:
                scan.unresolved_refs += 1
            _cdx_finding(rows, scan, vid, name, severity, src.at(*here, "affects", j), more)
    return scan


def _cdx_finding(rows: _Rows, scan: Scan, vid: str, component: str | None, severity: str | None, at: str,
                 more: dict) -> None:
    before = len(scan.findings)
    rows.finding(vid, component, severity, at, **more)
    if more and len(scan.findings) > before:
        scan.resolved += 1


def _cdx_severity(src: _Source, vuln: dict, steps: tuple, scan: Scan) -> str | None:
    """The most severe of the vulnerability's ratings (sources often rate it differently: Trivy's BOMs list each)."""
    found = set()
    for k, rating in enumerate(src.items(vuln.get("ratings"), (*steps, "ratings"))):
        src.mapping(rating, (*steps, "ratings", k))
        severity = rating.get("severity")
        if severity is None:
            continue
        if severity.__class__ is not str or severity not in _CDX_SEVERITY:
            raise src.problem((*steps, "ratings", k, "severity"),
                              _("expected one of {known}, got {value}").format(
                                  known=", ".join(_CDX_SEVERITY), value=f"{severity!r:.40}"))
        if _CDX_SEVERITY[severity]:
            found.add(_CDX_SEVERITY[severity])
    if len(found) > 1:
        scan.ratings_disagree += 1
    return max(found, key=_RANK.__getitem__) if found else None


_READERS = {"trivy": _trivy, "grype": _grype, "cyclonedx": _cyclonedx}
_NAMES = {"trivy": "Trivy", "grype": "Grype", "cyclonedx": "CycloneDX"}


def _looks_like(root: Any, expected: str) -> str:
    """Which of the other formats a refused document is, so the message names the kind to use instead."""
    if root.__class__ is not dict:
        return _(" (the file holds {kind})").format(kind=value_kind(root))
    other = ("trivy" if "SchemaVersion" in root and "Results" in root or "ArtifactName" in root else
             "grype" if "matches" in root and isinstance(root.get("descriptor"), dict) else
             "cyclonedx" if root.get("bomFormat") == "CycloneDX" else None)
    if other is None or other == expected:
        return ""
    return _(" (this looks like {tool} output: pipa-audit import {kind} …)").format(tool=_NAMES[other], kind=other)


def _pointer(steps: tuple) -> str:
    """RFC 6901 JSON pointer of a path of keys and indexes."""
    return "".join("/" + str(s).replace("~", "~0").replace("/", "~1") for s in steps)


