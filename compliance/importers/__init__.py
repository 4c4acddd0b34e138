"""Observed facts from the outputs of the tools an organisation already runs (issue 18).

An importer reads one standard output (an IAM credential report, an identity provider's users, a scanner's JSON …)
and returns an :class:`Observed`: rows for the facts' lists and per-system facts, each row carrying where it came
from (``file:line`` or ``file#/json/pointer``), plus the identities it could not map — never dropped in silence.
``pipa-audit import KIND FILE [--map identities.yaml] -o evidence/observed/x.json`` writes it as a JSON document
(``compliance.observed``) that a facts file lists under ``observed:``; the evaluator keeps observed rows apart from
stated ones and fails a control whose facts the two tell differently.

Each importer is one module with ``read(data: bytes, name: str, ids: IdentityMap, kind: str) -> Observed`` (``kind``:
the name it was called by, for a module that reads several formats); a scanner's module that can compare two scans
sets ``COMPARES_SCANS = True`` and takes ``before=(name, data)``. Bad input raises ``InputError`` with one located
problem (``loading.fail(name, message, line)``) and never echoes a secret value. A field whose absence means "did
not happen" (``revoked_on``, ``reviewed_at``, ``left_on`` …) that the format cannot tell is written ``"unknown"``,
never left out: silence is never a verdict.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, field
from typing import Any

from compliance.i18n import _
from compliance.importer_index import MODULES  # noqa: F401 - kind -> module; a module of its own for `import --help`


def value_kind(value: Any) -> str:
    """What a JSON value is, as a message says it ('expected an object, found a list')."""
    cls = value.__class__
    if cls is dict:
        return _("an object")
    if cls is list:
        return _("a list")
    if cls is str:
        return _("text")
    if cls is bool:
        return _("true/false")
    if value is None:
        return _("null")
    return _("a number")


KOREA = dt.timezone(dt.timedelta(hours=9))
"""Dates the importers derive from a tool's timestamps are the calendar day in Korea, as the facts count days
(an account created at 19:23 UTC on 10 January was created on 11 January in Seoul)."""


@dataclass
class IdentityMap:
    """The organisation's small file telling which tool identity is which of its facts' ids:
    ``handlers: {bob: h-0042}`` (a tool's user name, e-mail or employee id -> handler id) and
    ``systems: {"123456789012": sys-auth}`` (an account, target, agent or repository -> system id)."""

    handlers: dict[str, str] = field(default_factory=dict)
    systems: dict[str, str] = field(default_factory=dict)
    path: str | None = None
    sha256: str | None = None
    size: int = 0

    def handler(self, *names: str | None) -> str | None:
        return next((self.handlers[n] for n in names if n is not None and n in self.handlers), None)

    def system(self, *names: str | None) -> str | None:
        return next((self.systems[n] for n in names if n is not None and n in self.systems), None)


@dataclass
class Row:
    """One row of a facts list as the tool shows it: the facts model's field names and values (dates as
    ``YYYY-MM-DD``, timestamps ISO 8601 with an offset), and where in the source it stands."""

    fields: dict[str, Any]
    at: str  # "credential-report.csv:4" or "users.json#/value/3"


@dataclass
class Unmapped:
    at: str
    identity: str  # the tool's name for it (never a secret)
    reason: str


@dataclass
class Observed:
    tool: str  # e.g. "AWS IAM credential report"
    format_version: str | None  # the format's version where it states one (Trivy SchemaVersion 2, OCSF 1.1.0 …)
    lists: dict[str, list[Row]] = field(default_factory=dict)  # "credentials", "accounts", "handlers", "secrets"
    systems: dict[str, dict[str, Any]] = field(default_factory=dict)
    """system id -> facts of a System (``components``, ``vulnerabilities``, ``alerts`` as lists of dicts each with
    an ``_at``; scalars such as ``intrusion_detection`` with their ``_at`` in ``system_at``)"""
    system_at: dict[str, dict[str, str]] = field(default_factory=dict)  # system id -> field -> where it came from
    unmapped: list[Unmapped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the format cannot tell and was left unknown
    proxies: list[str] = field(default_factory=list)
    """'list.field' the format gives only by a near stand-in (an identity provider's account creation for the grant of
    access): filled in where the facts leave it unknown, never counted as contradicting what they state"""


def importer(kind: str):
    """The module reading ``kind``; ValueError for an unknown kind."""
    if kind not in MODULES:
        raise ValueError(kind)
    return importlib.import_module(f"compliance.importers.{MODULES[kind]}")
