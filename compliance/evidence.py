"""Evidence attachments: confined to the evidence root, hashed, and checked against stated hashes.

The root is the folder of the facts file. A report must never hash or quote a file the
organisation did not submit, so:

- absolute paths, ``..`` and URLs are refused (bad input, exit 2);
- **symlinks are never followed**, wherever they point: each path component is opened relative to
  the folder opened before it with ``O_NOFOLLOW`` (from a descriptor of the root, so swapping a
  component for a symlink between a check and the read cannot redirect it — there is no second
  lookup by name). A symlink on the path is refused; attach the file itself;
- the opened descriptor must be a **regular file** (``fstat``: not a FIFO, device, socket or
  folder) of at most ``max_attachment_bytes()`` bytes, checked before hashing and again while
  reading (a file that grows past the cap is refused, never hashed for an hour);
- a **hard link** is a regular file inside the folder by name, so it is accepted and hashed: the
  organisation submitted it by placing it there, whatever other names it has. Its status note says
  it has other names (``st_nlink > 1``), for an auditor who wants to know.

``inspect`` returns a missing file or a hash mismatch apart from the refusals above; both are input
errors all the same (exit 2, one rule for validate, check and report: ``pipeline.check_facts``).
``read_beneath`` opens tabular sources (``compliance.sources``) under these same rules.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from compliance.facts import Attachment
from compliance.i18n import _
from compliance.loading import InputError, Problem, note_input
from compliance.located import Document

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

MAX_ATTACHMENT_BYTES = 2 * 1024**3
"""Default size cap of one attachment (2 GiB); set ``PIPA_AUDIT_MAX_ATTACHMENT_BYTES`` to change it."""

ENV_MAX_ATTACHMENT_BYTES = "PIPA_AUDIT_MAX_ATTACHMENT_BYTES"


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


class Refused(Exception):
    """An attachment that must not be read (bad input)."""


class Missing(Exception):
    """An attachment that is not there (an evidence gap)."""


def max_attachment_bytes() -> int:
    """The attachment size cap: ``PIPA_AUDIT_MAX_ATTACHMENT_BYTES`` (bytes) or 2 GiB."""
    raw = os.environ.get(ENV_MAX_ATTACHMENT_BYTES, "").strip()
    if not raw:
        return MAX_ATTACHMENT_BYTES
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 20:  # "²" is a digit to isdigit, not to int
        from compliance.loading import fail

        raise fail(ENV_MAX_ATTACHMENT_BYTES, _("must be a whole number of bytes, got {value}").format(value=repr(raw[:40])))
    return int(raw)


def _refusal(raw: str) -> str | None:
    if not raw:
        return _("empty path")
    if "\x00" in raw:
        return _("the path contains a NUL byte")
    if _URL.match(raw) and not re.match(r"^[A-Za-z]:[\\/]", raw):
        return _("URLs are not accepted; attach a local file")
    if raw.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", raw):
        return _("absolute paths are not accepted; use a path relative to the evidence file's folder")
    if ".." in PurePosixPath(raw.replace("\\", "/")).parts:
        return _("'..' is not accepted: evidence must stay inside the evidence file's folder")
    return None


_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)


def _os_refusal(exc: OSError, raw: str) -> Exception:
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return Missing("file not found")  # never shown: each caller words a missing file its own way
    if exc.errno == errno.ELOOP:
        return Refused(_("a symlink is on the path; symlinks are not followed (one could lead outside the evidence file's "
                         "folder), attach the file itself"))
    if exc.errno == errno.ENAMETOOLONG:
        return Refused(_("the path or a name in it is too long"))
    if exc.errno in (errno.EACCES, errno.EPERM):
        return Refused(_("cannot read: permission denied"))
    return Refused(_("cannot read: {reason}").format(reason=exc.strerror or exc))


def open_beneath(root_fd: int, raw: str) -> int:
    """Open ``raw`` below the folder ``root_fd`` without following any symlink; returns a descriptor
    of a regular file. Raises Refused or Missing."""
    parts = [p for p in PurePosixPath(raw).parts if p not in ("", ".")]
    if not parts:
        raise Refused(_("names the evidence folder itself, not a file"))
    cur, part = root_fd, parts[0]
    try:
        for part in parts[:-1]:
            nxt = os.open(part, _FLAGS | os.O_DIRECTORY, dir_fd=cur)
            if cur != root_fd:
                os.close(cur)
            cur = nxt
        part = parts[-1]
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat below refuses it anyway
        fd = os.open(part, _FLAGS | os.O_NONBLOCK, dir_fd=cur)
    except OSError as exc:
        if exc.errno == errno.ENOTDIR and _is_link(part, cur):  # Linux: a symlinked folder gives ENOTDIR
            exc = OSError(errno.ELOOP, "symlink")
        raise _os_refusal(exc, raw) from None
    finally:
        if cur != root_fd:
            os.close(cur)
    return fd


def _is_link(name: str, dir_fd: int) -> bool:
    """Only to word the refusal: nothing is opened through the answer."""
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def hash_descriptor(fd: int, cap: int, keep: list[bytes] | None = None) -> tuple[str, int]:
    """SHA-256 and size of a regular file's content, refusing more than ``cap`` bytes; ``keep``
    collects the content when the caller also parses it (tabular sources)."""
    st = os.fstat(fd)
    if stat.S_ISDIR(st.st_mode):
        raise Refused(_("is a folder, not a file"))
    if not stat.S_ISREG(st.st_mode):
        raise Refused(_("is not a regular file (a FIFO, device or socket)"))
    if st.st_size > cap:
        raise Refused(_("the file is {size} bytes; the attachment limit is {cap} ({variable})").format(
            size=st.st_size, cap=cap, variable=ENV_MAX_ATTACHMENT_BYTES))
    h = hashlib.sha256()
    size = 0
    while chunk := os.read(fd, 1 << 20):
        size += len(chunk)
        if size > cap:
            raise Refused(_("the file grew past the attachment limit of {cap} bytes while it was read").format(cap=cap))
        h.update(chunk)
        if keep is not None:
            keep.append(chunk)
    return h.hexdigest(), size


def read_stated(doc, loc: tuple, root: Path, raw: str, sha256: str | None, cap: int, what: str) -> tuple[bytes, str]:
    """A file a facts file names at ``loc`` (``{path, sha256}``: a list's source, an observed-facts document), read by
    ``read_beneath`` and checked against its stated SHA-256; anything wrong is an InputError at the facts file's line
    (``doc``: its ``located.Document``)."""
    try:
        data, digest = read_beneath(root, raw, cap)
    except Missing:
        raise InputError([doc.problem((*loc, "path"), _not_found(what, raw))]) from None
    except Refused as exc:
        raise InputError([doc.problem((*loc, "path"), _("{problem}: {path}").format(problem=exc, path=repr(raw)))]) from None
    if sha256 and sha256.lower() != digest:
        raise InputError([doc.problem((*loc, "sha256"), _mismatch(sha256, digest))])
    return data, digest


def _not_found(what: str, raw: str) -> str:
    """A stated file that is not there, named as what it was stated as (``read_stated``'s ``what``)."""
    if what == "source file":
        return _("source file not found: {path}").format(path=raw)
    if what == "observed facts":
        return _("observed facts not found: {path}").format(path=raw)
    return _("file not found: {path}").format(path=raw)


def _mismatch(stated: str, digest: str) -> str:
    return _("stated sha256 {stated}… does not match the file ({digest}…)").format(stated=stated.lower()[:12], digest=digest[:12])


def read_beneath(root: Path, raw: str, cap: int) -> tuple[bytes, str]:
    """Content and SHA-256 of ``raw`` below ``root`` under the attachments' rules (no absolute path,
    ``..``, URL or symlink; a regular file of at most ``cap`` bytes). Raises Refused or Missing."""
    refused = _refusal(raw)
    if refused:
        raise Refused(refused)
    try:
        root_fd = os.open(root if str(root) else ".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except (OSError, ValueError) as exc:
        raise Refused(_("cannot open the evidence folder {folder}: {reason}").format(
            folder=root, reason=getattr(exc, "strerror", None) or exc)) from None
    try:
        fd = open_beneath(root_fd, raw)
    finally:
        os.close(root_fd)
    chunks: list[bytes] = []
    try:
        digest, _size = hash_descriptor(fd, cap, chunks)
    except OSError as exc:
        raise Refused(_("cannot read: {reason}").format(reason=exc.strerror or exc)) from None
    finally:
        os.close(fd)
    note_input(root / raw)
    return b"".join(chunks), digest


def _hard_link_note(fd: int) -> str:
    links = os.fstat(fd).st_nlink
    # the status note is result data (the evidence manifest): the same words in every language
    return f"the file has {links} hard links (other names elsewhere); hashed as found in the evidence folder" if links > 1 else ""


def inspect(
    attachments: list[Attachment], root: Path, source: str, text: str
) -> tuple[list[AttachmentStatus], list[Problem], list[Problem]]:
    """Hash every attachment. Returns (statuses, refusals, gaps): refusals are bad input,
    gaps (missing file, hash mismatch) are evidence problems; a duplicate id is a refusal."""
    doc = Document(source, text)  # composes the document only when a problem needs a line
    statuses, refusals, gaps = [], [], []
    if not attachments:
        return statuses, refusals, gaps
    cap = max_attachment_bytes()
    seen: set[str] = set()
    root_fd, reason = -1, None
    try:
        root_fd = os.open(root if str(root) else ".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except (OSError, ValueError) as exc:
        reason = _("cannot open the evidence folder {folder}: {reason}").format(folder=root, reason=getattr(exc, "strerror", None) or exc)
    try:
        for i, att in enumerate(attachments):
            dated = att.dated.isoformat() if att.dated else None
            at = ("attachments", i, "path")
            if att.id in seen:
                refusals.append(doc.problem(("attachments", i, "id"), _("duplicate attachment id '{id}'").format(id=att.id)))
            seen.add(att.id)
            refused = _refusal(att.path) or (reason if root_fd < 0 else None)
            if refused:
                refusals.append(doc.problem(at, _("{problem}: {path}").format(problem=refused, path=repr(att.path))))
                continue
            try:
                fd = open_beneath(root_fd, att.path)
                try:
                    digest, size = hash_descriptor(fd, cap)
                    note = _hard_link_note(fd)
                finally:
                    os.close(fd)
            except Missing:
                gaps.append(doc.problem(at, _("attachment file not found: {path}").format(path=att.path)))
                statuses.append(AttachmentStatus(att.id, att.kind, att.path, "missing", None, None, "file not found", dated))
                continue
            except Refused as exc:
                refusals.append(doc.problem(at, _("{problem}: {path}").format(problem=exc, path=repr(att.path))))
                continue
            except OSError as exc:  # a read error after opening (EIO, …)
                refusals.append(doc.problem(at, _("{problem}: {path}").format(
                    problem=_("cannot read: {reason}").format(reason=exc.strerror or exc), path=repr(att.path))))
                continue
            note_input(root / att.path)
            if att.sha256 and att.sha256.lower() != digest:
                gaps.append(doc.problem(("attachments", i, "sha256"), _mismatch(att.sha256, digest)))
                # the status note is result data (the evidence manifest): English in every locale; the problem above
                # is the same sentence in the user's language
                mismatch = f"stated sha256 {att.sha256.lower()[:12]}… does not match the file ({digest[:12]}…)"
                statuses.append(AttachmentStatus(att.id, att.kind, att.path, "mismatch", digest, size, mismatch, dated))
                continue
            statuses.append(AttachmentStatus(att.id, att.kind, att.path, "ok", digest, size, note, dated))
    finally:
        if root_fd >= 0:
            os.close(root_fd)
    return statuses, refusals, gaps
