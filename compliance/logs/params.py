"""Analysis parameters: what the facts file does not state but an analysis needs (approved networks, thresholds,
an address→country table). The internal plan's review cycle (``internal_plan.access_log_review.cycle_days``) and
the organisation's working calendar (``working_calendar``) are facts, read from the facts only: a second copy here
could disagree. Every value used is recorded in the derived facts, so a reader sees which threshold produced a
finding.

Example (``--params analysis.yaml``)::

    networks:                        # approved networks (Art 6(1) item 1); system: omit = every system
      - {network: 10.20.0.0/16, label: office}
      - {network: 10.99.0.0/16, label: vpn, systems: [sys-auth]}
    geo: [{network: 198.51.100.0/24, country: SG}]   # or geo_file: geo.csv (network,country or RIR file)
    download_threshold: 1000         # records in one download that need a recorded reason
    no_reason: ["-", "N/A", "없음"]   # reason cells that record no reason (blank always); default: NO_REASON
    gap_workdays: 2                  # working days without any record that count as a logging gap
    burst: {min_events: 20, factor: 5}
    concurrent_window_seconds: 300

``geo_file`` names a file beside the parameters file (or below its folder), read under the evidence attachments'
rules (``compliance.evidence.read_beneath``: no absolute path, ``..``, URL or symlink; a regular file): the address
table is an input whose SHA-256 goes into the derived facts, so it must be a file the organisation placed there,
and a line of it that does not parse is named by its number, never quoted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from compliance.logs.addresses import cidr_range

NO_REASON = ("-", "N/A", "없음", "해당 없음", "사유 없음", "미기재", "미입력", "무", "--", "---", "—", "–", ".", "..", "...",
             "…", "?", "x", "NA", "N.A.", "none", "null", "nil")
"""Reason cells that record no reason (a blank cell always does): compared whatever their case, and also without
their spaces (``tables.no_reason_values``)."""


class _P(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _network(value: str) -> str:
    cidr_range(value)  # raises ValueError with the reason
    return value


class Network(_P):
    network: str
    label: str = ""
    systems: list[str] | None = None
    _check = field_validator("network")(_network)


class GeoEntry(_P):
    network: str
    country: str = Field(min_length=1)
    _check = field_validator("network")(_network)


class Burst(_P):
    min_events: int = Field(20, ge=1, description="off-hours events in one day before it can be a burst")
    factor: int = Field(5, ge=1, description="times the account's mean off-hours events on its other active days")


class Params(_P):
    networks: list[Network] = []
    geo: list[GeoEntry] = []
    geo_file: str | None = None
    download_threshold: int = Field(1000, ge=0)
    no_reason: list[str] = Field(list(NO_REASON), description="reason cells that mean no reason was recorded (a blank "
                                 "cell always does); compared whatever the case, and also without spaces")
    review_cycle_days: int | None = Field(None, description="refused: the cycle is the internal plan's, stated in the facts")
    gap_workdays: int = Field(2, ge=1)
    burst: Burst = Burst()
    concurrent_window_seconds: int = Field(300, ge=1)
    calendar: Any = Field(None, description="refused: the working calendar is the organisation's, stated in the facts")
    examples: int = Field(20, ge=0, le=1000)
    max_rejected_ratio: float = Field(0.001, ge=0, le=1, description="above it, findings rest on too few rows")
    _geo: tuple[str, str, str] | None = PrivateAttr(None)  # (path as shown, text, SHA-256) of geo_file, once read

    @field_validator("review_cycle_days", "calendar")
    @classmethod
    def _stated_in_the_facts(cls, v, info):
        """The organisation's own facts have one source, the facts file: here they are refused, saying where they go."""
        if v is not None:
            from compliance.i18n import _

            raise ValueError({
                "review_cycle_days": _("the review cycle is the internal plan's: state it in the facts as "
                                       "internal_plan.access_log_review.cycle_days, not in the parameters"),
                "calendar": _("the working calendar is the organisation's: state it in the facts as working_calendar "
                              "(holidays, workdays, working_hours), not in the parameters"),
            }[info.field_name])
        return v

    def geo_table(self) -> tuple[str, str, str] | None:
        """The address table ``geo_file`` names, read by ``load`` (None without one)."""
        return self._geo


GEO_FILE_MAX_BYTES = 200 * 1024 * 1024  # an RIR delegated-statistics file is ~10 MB


def load(path: str | None) -> Params:
    """The parameters of ``path`` (defaults without one), their ``geo_file`` read beside them under the attachment
    rules; anything wrong is an input error at the parameters file's line."""
    from compliance.loading import InputError, validate_file

    if not path:
        return Params()
    params, text = validate_file(path, Params)
    if params.geo_file is not None:
        from compliance.evidence import Missing, Refused, read_beneath
        from compliance.i18n import _
        from compliance.located import Document

        root = Path(path).parent
        try:
            data, digest = read_beneath(root, params.geo_file, GEO_FILE_MAX_BYTES)
        except (Missing, Refused) as exc:
            why = _("file not found") if isinstance(exc, Missing) else str(exc)
            message = _("{problem}: {path} (geo_file names a file beside the parameters file, read as an attachment "
                        "is)").format(problem=why, path=repr(params.geo_file))
            raise InputError([Document(str(path), text).problem(("geo_file",), message)]) from None
        shown = str(root / params.geo_file)
        try:
            geo_text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            from compliance.loading import fail

            raise fail(shown, _("not UTF-8 text (byte {offset})").format(offset=exc.start)) from None
        params._geo = (shown, geo_text, digest)
    return params
