"""Analysis parameters: what the facts file does not state but an analysis needs (approved networks, thresholds,
the plan's review cycle, calendar additions, an address→country table). Every value used is recorded in the
derived facts, so a reader sees which threshold produced a finding.

Example (``--params analysis.yaml``)::

    networks:                        # approved networks (Art 6(1) item 1); system: omit = every system
      - {network: 10.20.0.0/16, label: office}
      - {network: 10.99.0.0/16, label: vpn, systems: [sys-auth]}
    geo: [{network: 198.51.100.0/24, country: SG}]   # or geo_file: geo.csv (network,country or RIR file)
    download_threshold: 1000         # records in one download that need a recorded reason
    review_cycle_days: 30            # the internal plan's review cycle (Art 8(2) from 2026-10-31)
    gap_workdays: 2                  # working days without any record that count as a logging gap
    burst: {min_events: 20, factor: 5}
    concurrent_window_seconds: 300
    calendar: {holidays: {2025-05-02: 창립기념일}, workdays: [], working_hours: {start: "09:00", end: "18:00"}}
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator

from compliance.logs.addresses import cidr_range
from compliance.logs.calendar import hhmm


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


class WorkingHours(_P):
    start: str = "09:00"
    end: str = "18:00"

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        hhmm(v)
        return v


class CalendarParams(_P):
    holidays: dict[dt.date, str] = {}
    workdays: list[dt.date] = []
    working_hours: WorkingHours = WorkingHours()


class Params(_P):
    networks: list[Network] = []
    geo: list[GeoEntry] = []
    geo_file: str | None = None
    download_threshold: int = Field(1000, ge=0)
    review_cycle_days: int | None = Field(None, ge=1)
    gap_workdays: int = Field(2, ge=1)
    burst: Burst = Burst()
    concurrent_window_seconds: int = Field(300, ge=1)
    calendar: CalendarParams = CalendarParams()
    examples: int = Field(20, ge=0, le=1000)
    max_rejected_ratio: float = Field(0.001, ge=0, le=1, description="above it, findings rest on too few rows")
