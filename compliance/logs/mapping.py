"""Which column of an export means what: shipped profiles (Korean and English headers) plus a user mapping file.

Headers are matched after normalisation (case, spaces, ``_-./()[]``), so ``접속 일시``, ``접속일시`` and
``접속_일시`` are one name. A header that two fields claim, or a field that two headers claim, is an input
error naming the file and line 1: a guess could silently read the wrong column.

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

FIELDS = ("account", "timestamp", "date", "time", "ip", "system", "action", "subject", "records", "reason", "country")
ACTION_KINDS = ("view", "change", "input", "delete", "print", "download", "login", "logout", "other")
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
    timezone: str | None = None
    system: str | None = None
    explicit: dict[str, str] = field(default_factory=dict)  # user's own header → field (wins over profiles)

    def columns(self, headers: list[str], where: str) -> dict[str, int]:
        """field → column index for one file's headers; raises InputError (file:1) on ambiguity or absence."""
        found: dict[str, int] = {}
        for i, header in enumerate(headers):
            key = norm(header)
            fld = self.explicit.get(key) or self.aliases.get(key)
            if fld is None:
                continue
            if fld in found:
                text = _("columns {first} and {second} both mean '{field}'; name one in a mapping file (--mapping)")
                raise fail(where, text.format(first=repr(headers[found[fld]]), second=repr(header), field=fld), 1)
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
            raise fail(where, text.format(fields=", ".join(missing), headers=headers), 1)
        return found

    def action_kind(self, raw: str | None) -> str:
        if raw is None:
            return "other"
        return self.actions.get(norm(raw), "other")


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
    result = Mapping(aliases, actions)
    if mapping_file:
        user = validate_file(mapping_file, MappingFile)[0]
        result.explicit = {norm(h): f for h, f in user.columns.items()}
        result.actions.update({norm(a): k for a, k in user.actions.items()})
        result.timezone, result.system = user.timezone, user.system
    if timezone:
        result.timezone = timezone
    if system:
        result.system = system
    return result
