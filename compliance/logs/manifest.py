"""The manifest of an ingested access-record folder: what went in (with SHA-256), what came out, what was refused.

Analyses read the Parquet files the manifest lists (never a glob), and verify their SHA-256 first, so the
hashes in derived facts name exactly the rows that were analysed. Every file of the folder is opened as evidence
attachments are (``compliance.evidence``): each component below the folder without following a symlink, and it must
be a regular file, so a month folder or a manifest linked elsewhere is refused rather than read from outside.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import stat
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError, field_validator

from compliance.i18n import _
from compliance.loading import fail, located, note_input, parse

MANIFEST = "manifest.json"
REJECTS = "rejects.csv"


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InputFile(_M):
    name: str
    sha256: str
    bytes: int
    format: str  # csv | jsonl | parquet
    encoding: str | None = None  # cp949 | utf-8 | utf-8-sig (CSV/JSON lines)
    columns: dict[str, str] = {}  # field → header it was read from
    actions: dict[str, int] | None = None  # valid rows per task kind (None: written by an older version)
    unmapped_rows: int = 0  # valid rows whose task name the mapping does not know (kind 'other', never a download)
    unmapped_actions: dict[str, int] = {}  # the most frequent such names (at most 20), with their rows
    rows_in: int
    rows_out: int
    rows_rejected: int
    rows_repaired: int


class OutputFile(_M):
    path: str  # relative to the folder, e.g. 2025-03/records.parquet
    month: str  # YYYY-MM (local time)
    rows: int
    sha256: str

    @field_validator("path")
    @classmethod
    def _inside(cls, value: str) -> str:
        """A manifest names files of its own folder: nothing it lists is read (or hashed) outside it."""
        parts = PurePosixPath(value).parts
        if not parts or value.startswith("/") or "\\" in value or ".." in parts:
            raise ValueError(_("must be a path inside the ingested folder"))
        return value


class DayDigest(_M):
    """The rows of one system on one local day, digested from their values (``compliance.logs.digests``): what a
    later ingest covering the day is compared with."""

    system: str
    day: dt.date
    rows: int
    first_epoch: int
    last_epoch: int
    digest: str  # 16 hex digits: the sum of the rows' hashes modulo 2**64


class Previous(_M):
    """The ingest this one follows (``logs ingest --previous``), as it was when this one was written: the chain of
    ingests shows the records kept earlier are the ones kept now (``compliance.logs.chain``)."""

    path: str  # its folder, relative to the folder holding this one (no '..': found again wherever the two are moved)
    manifest_sha256: str
    first_day: dt.date | None
    last_day: dt.date | None
    timezone: str

    @field_validator("path")
    @classmethod
    def _below(cls, value: str) -> str:
        """Below the folder holding this one: a chain is never followed outside it."""
        parts = PurePosixPath(value).parts
        if not parts or value.startswith("/") or "\\" in value or ".." in parts or "." in parts:
            raise ValueError(_("must be a folder below the one holding this folder, without '..'"))
        return value


class Totals(_M):
    rows_in: int = 0
    rows_out: int = 0
    rows_rejected: int = 0
    rows_repaired: int = 0


class Manifest(_M):
    kind: str = "pipa-audit/access-records"
    version: int = 2  # 2: per-day digests and the predecessor (1, without them, is still read)
    tool: str
    timezone: str  # offset used for local days, minutes of day and months (and for naive times unless mapped)
    inputs: list[InputFile]
    outputs: list[OutputFile]
    rejects: OutputFile | None = None
    totals: Totals
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    previous: Previous | None = None
    days: list[DayDigest] | None = None  # per system and local day (None: written by version 1)
    _sha256: str | None = PrivateAttr(None)  # of manifest.json as read by load()

    @property
    def sha256(self) -> str | None:
        return self._sha256


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_NOFOLLOW = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)


def _symlink_or(exc: OSError, name: str, dir_fd: int) -> OSError:
    """Linux opens a symlinked folder with O_NOFOLLOW | O_DIRECTORY as ENOTDIR: say ELOOP (a link) then."""
    if exc.errno == errno.ENOTDIR:
        try:
            if stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode):
                return OSError(errno.ELOOP, "symlink")
        except OSError:
            pass
    return exc


def open_inside(root: Path, rel: str, missing: str | None = None) -> int:
    """A descriptor of the regular file ``rel`` below the folder ``root``, no component of it a symlink (the folder
    itself may be one: it is the user's name for it). An InputError naming root/rel otherwise (``missing``: what to
    say when it is not there)."""
    where = root / rel
    try:
        cur = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise fail(root, _("cannot open the folder: {reason}").format(reason=exc.strerror or exc)) from None
    parts = [x for x in PurePosixPath(rel).parts if x not in ("", ".")]
    try:
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            try:
                fd = os.open(part, _NOFOLLOW | (os.O_NONBLOCK if last else os.O_DIRECTORY), dir_fd=cur)
            except OSError as exc:
                exc = _symlink_or(exc, part, cur)
                if exc.errno == errno.ELOOP:
                    raise fail(where, _("a symlink is on the path; the folder's files are read without following "
                                        "links (one could lead outside it): place the file itself there")) from None
                if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                    raise fail(where, missing or _("listed in the manifest but missing")) from None
                raise fail(where, _("cannot read: {reason}").format(reason=exc.strerror or exc)) from None
            os.close(cur)
            cur = fd
        if not stat.S_ISREG(os.fstat(cur).st_mode):
            raise fail(where, _("is not a regular file (a folder, FIFO, device or socket)"))
        fd, cur = cur, -1
        return fd
    finally:
        if cur >= 0:
            os.close(cur)


def read_inside(root: Path, rel: str, cap: int, missing: str | None = None) -> bytes:
    """The content of ``rel`` below ``root`` (``open_inside``), at most ``cap`` bytes."""
    fd = open_inside(root, rel, missing)
    try:
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 20):
            total += len(chunk)
            if total > cap:
                raise fail(root / rel, _("file is {size} bytes or more; the limit is {cap}").format(size=total, cap=cap))
            chunks.append(chunk)
    except OSError as exc:
        raise fail(root / rel, _("cannot read: {reason}").format(reason=exc.strerror or exc)) from None
    finally:
        os.close(fd)
    note_input(root / rel)
    return b"".join(chunks)


def sha256_inside(root: Path, rel: str) -> str:
    """SHA-256 of ``rel`` below ``root``, read through ``open_inside`` (hashlib releases the GIL)."""
    fd = open_inside(root, rel)
    h = hashlib.sha256()
    try:
        with os.fdopen(fd, "rb", closefd=False) as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError as exc:
        raise fail(root / rel, _("cannot read: {reason}").format(reason=exc.strerror or exc)) from None
    finally:
        os.close(fd)
    return h.hexdigest()


MANIFEST_MAX_BYTES = 64 * 1024 * 1024


def load(folder: str | Path, verify: bool = True, within: Path | None = None) -> Manifest:
    """Read DIR/manifest.json; every listed file must be a regular file of the folder (no link on its path), and with
    ``verify`` have its SHA-256. ``within``: ``folder`` is a path below it, no component of which may be a link
    either (an earlier ingest of a chain, found from its successor)."""
    base, prefix = (Path(folder), "") if within is None else (within, f"{folder}/")
    root = base / prefix
    path = root / MANIFEST
    if within is None and not os.path.lexists(path):  # anything else there (a folder, a FIFO) is refused with its reason
        raise fail(root, _("no {file}: not a folder written by 'pipa-audit logs ingest'").format(file=MANIFEST))
    raw = read_inside(base, prefix + MANIFEST, MANIFEST_MAX_BYTES,
                      _("no {file}: not a folder written by 'pipa-audit logs ingest'").format(file=MANIFEST))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(path, _("not UTF-8 text (byte {offset})").format(offset=exc.start)) from None
    data = parse(text, path, as_json=True)  # duplicate keys, deep nesting, huge numbers: one located line
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        first = located(path, text, exc).problems[0]
        raise fail(path, _("invalid manifest: {field}: {message}").format(field=first.field, message=first.message),
                   first.line) from None
    manifest._sha256 = hashlib.sha256(raw).hexdigest()
    for out in manifest.outputs:
        os.close(open_inside(base, prefix + out.path))  # there, a regular file, no link on the way: before any read
    if verify:
        check_hashes(root, manifest, within)
    return manifest


def check_hashes(root: Path, manifest: Manifest, within: Path | None = None) -> None:
    """Every listed Parquet file still has its SHA-256 (hashlib releases the GIL: this can run beside a query).
    ``within``: ``root`` is below it (``load``)."""
    base, prefix = (root, "") if within is None else (within, f"{root.relative_to(within)}/")
    for out in manifest.outputs:
        if sha256_inside(base, prefix + out.path) != out.sha256:
            raise fail(root / out.path, _("SHA-256 differs from the manifest: the records were changed after ingest"))
