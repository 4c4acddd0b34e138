"""Which column of an export means what: shipped profiles (Korean and English headers) plus a user mapping file.

Headers are matched after normalisation (case, spaces, ``_-./()[]``), so ``접속 일시``, ``접속일시`` and
``접속_일시`` are one name. A header that two fields claim, or a field that two headers claim, is an input
error naming the file and line 1: a guess could silently read the wrong column. So is a header the mapping file
names that the export does not have: the profile's column would otherwise be read in its place.

A task name neither the shipped profile nor the mapping file lists is kept as kind ``other`` and counted as
*unmapped* (``action_kind`` gives None): never a download, so ingest reports how many rows had such names and the
downloads analysis says the records cannot show what they were. Map a task that is no download to ``other``.

Mapping file (YAML)::

    columns: {사번: account, 접속일시: timestamp, 접속IP: ip}   # header → field
    actions: {엑셀저장: download}                               # raw task name → kind
    timezone: "+09:00"                                          # for times written without a zone
    system: sys-auth                                            # when the export has no system column
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

from compliance.i18n import _
from compliance.loading import fail, validate_file

FIELDS = ("account", "timestamp", "date", "time", "ip", "system", "action", "subject", "records", "reason", "country",
          "result")
ACTION_KINDS = ("view", "change", "input", "delete", "print", "download", "login", "login-failed", "logout",
                "other")
_PROFILES_FILE = Path(__file__).parent / "data" / "profiles.yaml"
_STRIP = re.compile(r"[\s_\-./()\[\]·ㆍ]+")


def norm(header: str) -> str:
    return _STRIP.sub("", header.replace("\ufeff", "")).casefold()


class MappingFile(BaseModel):
    """A user's mapping file (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")
    columns: dict[str, Literal[FIELDS]] = {}  # type: ignore[valid-type]
    actions: dict[str, Literal[ACTION_KINDS]] = {}  # type: ignore[valid-type]
    timezone: str | None = None
    system: str | None = None


@lru_cache(maxsize=1)
def shipped() -> dict:
    return yaml.safe_load(_PROFILES_FILE.read_text(encoding="utf-8"))


def profile_names() -> list[str]:
    return ["auto", *shipped()["profiles"]]


@dataclass
class Mapping:
    """Header names → fields, and raw task names → kinds, for one ingest run."""

    aliases: dict[str, str]  # normalised header → field
    actions: dict[str, str]  # normalised raw action → kind
    failed: frozenset[str] = frozenset()  # normalised outcomes that mean a task failed (결과 = 실패)
    timezone: str | None = None
    system: str | None = None
    explicit: dict[str, str] = field(default_factory=dict)  # user's own header → field (wins over profiles)
    explicit_names: dict[str, str] = field(default_factory=dict)  # normalised → as the mapping file spells it
    _seen: set = field(default_factory=set)  # normalised headers of the exports read so far
    _absent: dict = field(default_factory=dict)  # named header → (file, line, its headers) of the first export without it

    def columns(self, headers: list[str], where: str, line: int = 1, alone: bool = True) -> dict[str, int]:
        """field → column index for one file's headers; raises InputError (file:line) on ambiguity or absence.

        A header the mapping file names that these headers lack is refused (the profile's column would be read in
        its place); with ``alone`` False (one mapping for several exports of one run) only once every export has been
        read without it (``check_named``): a mapping may name the headers of each layout of the run."""
        found: dict[str, int] = {}
        present = {norm(h) for h in headers}
        self._seen |= present
        for key in self.explicit:
            if key not in present:
                self._absent.setdefault(key, (where, line, list(headers)))
        if alone:
            self.check_named()
        for i, header in enumerate(headers):
            key = norm(header)
            fld = self.explicit.get(key) or self.aliases.get(key)
            if fld is None:
                self._refuse_near_miss(header, key, where, line)
                continue
            if fld in found:
                text = _("columns {first} and {second} both mean '{field}'; name one in a mapping file (--mapping)")
                raise fail(where, text.format(first=repr(headers[found[fld]]), second=repr(header), field=fld), line)
            found[fld] = i
        if "timestamp" in found:
            found.pop("date", None), found.pop("time", None)
        missing = [f for f in ("account", "ip") if f not in found]
        if "timestamp" not in found and not ("date" in found and "time" in found):
            missing.append(_("timestamp (or date + time)"))
        if "system" not in found and not self.system:
            missing.append(_("system (or --system ID)"))
        if missing:
            text = _("no column for {fields} among the headers {headers}; use --profile, or a mapping file (--mapping) "
                     "naming the headers")
            raise fail(where, text.format(fields=", ".join(missing), headers=headers), line)
        return found

    def _refuse_near_miss(self, header: str, key: str, where: str, line: int) -> None:
        """A header that names a field but for a character it should not hold (U+200B, a Cyrillic letter, what NFKC
        changes: ``compliance.nearmiss``, the facts' rule) would leave that field's column unread, in silence: an
        outcome column read as no outcome hides every failed login. It is an input error at the header line."""
        from compliance.nearmiss import difference, skeleton

        near = norm(skeleton(header))
        fld = None if near == key else self.explicit.get(near) or self.aliases.get(near)
        if fld is not None:
            text = _("header {header} looks like a column for '{field}' but is not spelled exactly so ({why}), so it "
                     "would not be read; rename it, or name it in a mapping file (--mapping)")
            raise fail(where, text.format(header=repr(header), field=fld, why=difference(header, fld)), line)

    def check_named(self) -> None:
        """Refuse a header the mapping file names that no export read so far has (at the first export without it)."""
        for key, (where, line, headers) in self._absent.items():
            if key not in self._seen:
                text = _("the mapping file names the column {header} (for '{field}'), which this export does not have; "
                         "its headers are {headers}")
                raise fail(where, text.format(header=repr(self.explicit_names.get(key, key)), field=self.explicit[key],
                                              headers=headers), line)

    def action_kind(self, raw: str | None) -> str | None:
        """The kind of a raw task name, or None when neither the profile nor the mapping file lists it."""
        if raw is None:
            return "other"
        return self.actions.get(norm(raw))

    def failed_result(self, raw: str) -> bool:
        """Whether an outcome column's value says the task failed (a login that failed is a failed authentication)."""
        return norm(raw) in self.failed


def build(profile: str = "auto", mapping_file: str | None = None, timezone: str | None = None,
          system: str | None = None) -> Mapping:
    data = shipped()
    profiles = data["profiles"]
    if profile != "auto" and profile not in profiles:
        raise fail(profile, _("unknown profile; choose one of {profiles}").format(profiles=", ".join(profile_names())))
    chosen = profiles.values() if profile == "auto" else [profiles[profile]]
    aliases: dict[str, str] = {}
    for prof in chosen:
        for fld, names in prof.items():
            for name in names:
                aliases.setdefault(norm(name), fld)
    actions = {norm(name): kind for kind, names in data["actions"].items() for name in names}
    result = Mapping(aliases, actions, frozenset(norm(w) for w in data["results"]["failed"]))
    if mapping_file:
        user = validate_file(mapping_file, MappingFile)[0]
        result.explicit = {norm(h): f for h, f in user.columns.items()}
        result.explicit_names = {norm(h): h for h in user.columns}
        result.actions.update({norm(a): k for a, k in user.actions.items()})
        result.timezone, result.system = user.timezone, user.system
    if timezone:
        result.timezone = timezone
    if system:
        result.system = system
    return result
