"""Evidence attachments: confined to the evidence root, hashed, and checked against stated hashes.

The root is the folder of the facts file. Absolute paths, ``..``, URLs and symlinks that
leave the root are refused (bad input, exit 2): a report must never hash or quote a file
the organisation did not submit.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from compliance.facts import Attachment
from compliance.loading import Locator, Problem

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True)
class AttachmentStatus:
    id: str
    kind: str
    path: str
    status: str  # ok | missing | mismatch
    sha256: str | None
    size: int | None
    note: str = ""
    dated: str | None = None


def _refusal(raw: str) -> str | None:
    if not raw:
        return "empty path"
    if _URL.match(raw) and not re.match(r"^[A-Za-z]:[\\/]", raw):
        return "URLs are not accepted; attach a local file"
    if raw.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", raw):
        return "absolute paths are not accepted; use a path relative to the evidence file's folder"
    if ".." in PurePosixPath(raw.replace("\\", "/")).parts:
        return "'..' is not accepted: evidence must stay inside the evidence file's folder"
    return None


def sha256_file(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def inspect(
    attachments: list[Attachment], root: Path, source: str, text: str
) -> tuple[list[AttachmentStatus], list[Problem], list[Problem]]:
    """Hash every attachment. Returns (statuses, refusals, gaps): refusals are bad input,
    gaps (missing file, hash mismatch, duplicate id) are evidence problems."""
    locator = Locator(text)
    root = root.resolve()
    statuses, refusals, gaps = [], [], []
    seen: set[str] = set()
    for i, att in enumerate(attachments):
        line = locator.line(("attachments", i, "path"))
        dated = att.dated.isoformat() if att.dated else None
        where = f"attachments[{i}].path"
        if att.id in seen:
            refusals.append(Problem(source, locator.line(("attachments", i, "id")), f"duplicate attachment id '{att.id}'", f"attachments[{i}].id"))
        seen.add(att.id)
        reason = _refusal(att.path)
        target = root / att.path
        if reason is None:
            resolved = target.resolve()
            if resolved != root and root not in resolved.parents:
                reason = "the path (or a symlink on it) leads outside the evidence file's folder"
        if reason:
            refusals.append(Problem(source, line, f"{reason}: {att.path!r}", where))
            continue
        if not target.is_file():
            gaps.append(Problem(source, line, f"attachment file not found: {att.path}", where))
            statuses.append(AttachmentStatus(att.id, att.kind, att.path, "missing", None, None, "file not found", dated))
            continue
        digest, size = sha256_file(target)
        if att.sha256 and att.sha256.lower() != digest:
            note = f"stated sha256 {att.sha256.lower()[:12]}… does not match the file ({digest[:12]}…)"
            gaps.append(Problem(source, locator.line(("attachments", i, "sha256")), note, f"attachments[{i}].sha256"))
            statuses.append(AttachmentStatus(att.id, att.kind, att.path, "mismatch", digest, size, note, dated))
            continue
        statuses.append(AttachmentStatus(att.id, att.kind, att.path, "ok", digest, size, "", dated))
    return statuses, refusals, gaps
