"""The manifest of an ingested access-record folder: what went in (with SHA-256), what came out, what was refused.

Analyses read the Parquet files the manifest lists (never a glob), and verify their SHA-256 first, so the
hashes in derived facts name exactly the rows that were analysed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from compliance.i18n import _
from compliance.loading import fail, located
from compliance.loading import load as load_file

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


class Totals(_M):
    rows_in: int = 0
    rows_out: int = 0
    rows_rejected: int = 0
    rows_repaired: int = 0


class Manifest(_M):
    kind: str = "pipa-audit/access-records"
    version: int = 1
    tool: str
    timezone: str  # offset used for local days, minutes of day and months (and for naive times unless mapped)
    inputs: list[InputFile]
    outputs: list[OutputFile]
    rejects: OutputFile | None = None
    totals: Totals
    first_day: dt.date | None = None
    last_day: dt.date | None = None


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load(folder: str | Path, verify: bool = True) -> Manifest:
    """Read DIR/manifest.json; with ``verify``, every listed file must exist with its SHA-256."""
    root = Path(folder)
    path = root / MANIFEST
    if not os.path.lexists(path):  # anything else there (a folder, a FIFO) is refused by read_text with its reason
        raise fail(root, _("no {file}: not a folder written by 'pipa-audit logs ingest'").format(file=MANIFEST))
    data, text = load_file(path, as_json=True)  # duplicate keys, deep nesting, huge numbers: one located line
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        first = located(path, text, exc).problems[0]
        raise fail(path, _("invalid manifest: {field}: {message}").format(field=first.field, message=first.message),
                   first.line) from None
    for out in manifest.outputs:
        if not (root / out.path).is_file():
            raise fail(root / out.path, _("listed in the manifest but missing"))
    if verify:
        check_hashes(root, manifest)
    return manifest


def check_hashes(root: Path, manifest: Manifest) -> None:
    """Every listed Parquet file still has its SHA-256 (hashlib releases the GIL: this can run beside a query)."""
    for out in manifest.outputs:
        f = root / out.path
        if sha256_file(f) != out.sha256:
            raise fail(f, _("SHA-256 differs from the manifest: the records were changed after ingest"))
