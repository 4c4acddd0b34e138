"""The chain of ingests: each ingest records the one it follows, so the records kept last quarter can be shown to be
the records analysed now — unaltered, with no day lost (Notice Art 8(3): access records kept safe from forgery,
alteration, theft and loss).

``logs ingest --previous PREV`` verifies PREV (its manifest, and every Parquet file's SHA-256 against it: a mismatch
is an input error at the file) and writes into the new manifest PREV's path relative to the folder holding the new
one, its manifest's SHA-256, the days it covered and its local zone (``manifest.Previous``). Every manifest also
holds a digest of its rows per system and local day (``compliance.logs.digests``).

``verify`` walks the chain back from an analysed folder: each predecessor is found at its recorded path below the
folder holding the analysed one (opened without following a link: a predecessor that is a link is refused), its
manifest must have the recorded SHA-256 and its Parquet files their SHA-256. It then finds

- a **rewrite**: a system's day both ingests cover whose digests differ (records altered, deleted or added after the
  earlier ingest); on the earlier ingest's last day of the system and, when the later one starts after the earlier
  one, on its first day — an export may end or start mid-day — only the rows between the later one's first record
  and the earlier one's last are compared, read from both folders (rows removed from the very start of a later
  export's first day cannot be told from an export that starts later);
- a **gap**: days between the earliest and the latest day the chain covers that no ingest covers;
- a **broken link**: a manifest or Parquet file whose SHA-256 differs from what its successor recorded.

A predecessor that cannot be reached (moved, deleted, a link) is *not verifiable*: never counted as verified.
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import stat
from dataclasses import dataclass
from pathlib import Path

from compliance.i18n import _
from compliance.loading import InputError, fail
from compliance.logs import digests
from compliance.logs import manifest as mf

MAX_LINKS = 1000  # predecessors followed back (a quarter each: 250 years)
_EPOCH = dt.date(1970, 1, 1)


def link(out: str | Path, previous: str | Path, zone: str) -> mf.Previous:
    """The predecessor of a new ingest into ``out``, verified now: ``previous`` must be below the folder holding
    ``out`` (found again from there), reached without a link, with its manifest and Parquet files as written."""
    parent = Path(os.path.abspath(out)).parent
    rel = os.path.relpath(os.path.abspath(previous), parent)
    if os.path.isabs(rel) or rel == "." or rel.split(os.sep)[0] == "..":
        raise fail(previous, _("the previous ingest must be beside the new folder or below the folder holding it "
                               "({folder}): the chain is found again from there").format(folder=parent))
    rel = Path(rel).as_posix()
    manifest = mf.load(rel, verify=True, within=parent)  # a link on the way, a changed file: one located line
    if manifest.timezone != zone:
        raise fail(previous, _("was ingested with the local zone {theirs}, this ingest uses {ours}: their days would "
                               "not compare (give --local-zone {theirs})").format(theirs=manifest.timezone, ours=zone))
    return mf.Previous(path=rel, manifest_sha256=manifest.sha256, first_day=manifest.first_day,
                       last_day=manifest.last_day, timezone=manifest.timezone)


@dataclass
class _Node:
    rel: str  # below ``base``
    manifest: mf.Manifest | None  # None: not reached, or its manifest is not the one recorded
    first_day: dt.date | None  # the days it covers, as its successor recorded them (its own for the analysed one)
    last_day: dt.date | None


def _reach(base: Path, rel: str) -> str | None:
    """'missing', 'link' or 'not-folder' when ``rel`` cannot be reached below ``base`` without following a link."""
    cur = base
    for part in rel.split("/"):
        cur = cur / part
        try:
            st = os.lstat(cur)
        except OSError:
            return "missing"
        if stat.S_ISLNK(st.st_mode):
            return "link"
        if not stat.S_ISDIR(st.st_mode):
            return "not-folder"
    return None


def _message(exc: InputError) -> tuple[str, str]:
    first = exc.problems[0]
    return first.path, first.message


def verify(folder: str | Path, manifest: mf.Manifest) -> dict:
    """The chain back from ``folder`` (its manifest already verified): rows for the record-integrity analysis —
    ``links`` (newest first), ``rewrites``, ``gaps`` and whether the folder has per-day digests (``digests``)."""
    root = Path(os.path.abspath(folder))
    base = root.parent
    nodes = [_Node(root.name, manifest, manifest.first_day, manifest.last_day)]
    links, seen = [], {manifest.sha256}
    while (cur := nodes[-1]).manifest is not None and cur.manifest.previous is not None and len(links) < MAX_LINKS:
        prev = cur.manifest.previous
        rel = posixpath.normpath(posixpath.join(posixpath.dirname(cur.rel), prev.path))
        row = {"folder": rel, "follows": cur.rel, "manifest_sha256": prev.manifest_sha256,
               "first_day": prev.first_day, "last_day": prev.last_day, "status": "verified", "problem": None,
               "file": None, "detail": None, "days_compared": 0}
        node = _Node(rel, None, prev.first_day, prev.last_day)
        links.append(row)
        nodes.append(node)
        problem = _reach(base, rel)
        if problem:
            row.update(status="not-verifiable", problem=problem, file=rel)
            break
        try:
            got = mf.load(rel, verify=False, within=base)
        except InputError as exc:
            file, detail = _message(exc)
            row.update(status="not-verifiable", problem="unreadable", file=_shown(base, file), detail=detail)
            break
        if got.sha256 != prev.manifest_sha256 or got.sha256 in seen:
            row.update(status="broken", problem="manifest-changed", file=f"{rel}/{mf.MANIFEST}")
            break
        seen.add(got.sha256)
        node.manifest = got
        try:
            mf.check_hashes(base / rel, got, base)
        except InputError as exc:  # the manifest is the one recorded: its files are not as it lists them
            file, detail = _message(exc)
            row.update(status="broken", problem="records-changed", file=_shown(base, file), detail=detail)
    rewrites = []
    for later, earlier, row in zip(nodes, nodes[1:], links):
        if earlier.manifest is None:
            continue
        found, compared, why = _compare(base, later, earlier)
        row["days_compared"] = compared
        if why:
            row.update(problem=row["problem"] or why)
            if row["status"] == "verified":
                row["status"] = "not-comparable"
        rewrites += found
    return {"digests": manifest.days is not None, "links": links, "rewrites": rewrites, "gaps": _gaps(nodes)}


def _shown(base: Path, file: str) -> str:
    """A file of the chain as its path below the folder holding the analysed one."""
    try:
        return Path(file).relative_to(base).as_posix()
    except ValueError:
        return file


def _by_day(m: mf.Manifest) -> dict[str, dict[int, mf.DayDigest]]:
    out: dict[str, dict[int, mf.DayDigest]] = {}
    for x in m.days or []:
        out.setdefault(x.system, {})[(x.day - _EPOCH).days] = x
    return out


def _compare(base: Path, later: _Node, earlier: _Node) -> tuple[list[dict], int, str | None]:
    """(rewrites, days compared, why the digests cannot be compared) between two ingests of a chain."""
    new, old = later.manifest, earlier.manifest
    if new.days is None or old.days is None:
        return [], 0, "no-digests"
    if new.timezone != old.timezone:
        return [], 0, "zones-differ"
    found, compared = [], 0
    new_days, old_days = _by_day(new), _by_day(old)
    for system in sorted(set(new_days) & set(old_days)):
        n, o = new_days[system], old_days[system]
        o_first, o_last, n_first = min(o), max(o), min(n)
        for day in range(max(o_first, n_first), min(o_last, max(n)) + 1):
            a, b = o.get(day), n.get(day)
            lo = b.first_epoch if day == n_first > o_first else None  # the later export may start mid-day
            hi = a.last_epoch if day == o_last else None  # the earlier one may have ended mid-day
            inside = [x for x in (a, b) if x is not None
                      and (lo is None or x.first_epoch >= lo) and (hi is None or x.last_epoch <= hi)]
            if len(inside) == sum(x is not None for x in (a, b)):  # no row outside the window: the digests compare
                got = [_whole(x) for x in (a, b)]
            else:
                got = [_window(base, node, system, day, lo, hi) for node in (earlier, later)]
            compared += 1
            if got[0] != got[1]:
                found.append({"system": system, "day": _EPOCH + dt.timedelta(days=day), "earlier": earlier.rel,
                              "later": later.rel, "earlier_rows": got[0][0], "earlier_digest": got[0][1],
                              "later_rows": got[1][0], "later_digest": got[1][1], "from_epoch": lo, "to_epoch": hi})
    return found, compared, None


def _whole(x: mf.DayDigest | None) -> tuple[int, str]:
    return (0, digests.hex64(0)) if x is None else (x.rows, x.digest)


def _window(base: Path, node: _Node, system: str, day: int, lo: int | None, hi: int | None) -> tuple[int, str]:
    """(rows, digest) of one system's rows of a day between ``lo`` and ``hi`` (epoch seconds), read from its folder."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    date = _EPOCH + dt.timedelta(days=day)
    month = f"{date.year:04d}-{date.month:02d}"
    out = next((o for o in node.manifest.outputs if o.month == month), None)
    if out is None:
        return 0, digests.hex64(0)
    fd = mf.open_inside(base, f"{node.rel}/{out.path}")
    with os.fdopen(fd, "rb") as fh:
        table = pq.read_table(fh, filters=[("day_num", "=", day)])
    keep = pc.equal(pc.cast(table.column("system"), "string"), system)
    if lo is not None:
        keep = pc.and_(keep, pc.greater_equal(table.column("epoch_s"), lo))
    if hi is not None:
        keep = pc.and_(keep, pc.less_equal(table.column("epoch_s"), hi))
    got = digests.of_table(table.filter(keep)).get((system, day))
    return (0, digests.hex64(0)) if got is None else (got[0], digests.hex64(got[3]))


def _gaps(nodes: list[_Node]) -> list[dict]:
    """Days between the chain's earliest and latest day that no ingest of it covers (records lost)."""
    spans = sorted((n.first_day, n.last_day, n.rel) for n in nodes if n.first_day and n.last_day)
    out = []
    reach, after = None, None
    for first, last, rel in spans:
        if reach is not None and first > reach + dt.timedelta(days=1):
            start, end = reach + dt.timedelta(days=1), first - dt.timedelta(days=1)
            out.append({"start": start, "end": end, "days": (end - start).days + 1, "after": after, "before": rel})
        if reach is None or last > reach:
            reach, after = last, rel
    return out
