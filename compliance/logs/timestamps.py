"""Timestamps of access-record exports, parsed column-at-a-time and strictly.

Why not ``strptime``: pyarrow's and DuckDB's both roll 2025-02-30 over into March without a word (measured),
and DuckDB reads naive times as UTC. Here every component is extracted with one regular expression, checked
against the calendar (2025-02-30 and 24:00 are errors, with their reason), and naive times take the stated
zone (KST unless told otherwise). Accepted shapes::

    2025-03-01T09:12:33+09:00   2025-03-01 09:12:33.123Z   2025-03-01 09:12:33 +0900
    2025/03/01 14:05:09         2025.03.01 14:05           2025. 3. 1. 오후 2:05:09
    2025-03-01 PM 2:05:09       2025/03/01 2:05:09 PM       20250301091233
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from compliance.i18n import _

KST_MINUTES = 9 * 60

_AMPM = r"오전|오후|AM|PM|am|pm|a\.m\.|p\.m\."
GENERAL = (
    r"^\s*(?P<Y>\d{4})\s*[-/.]\s*(?P<M>\d{1,2})\s*[-/.]\s*(?P<D>\d{1,2})\.?"
    rf"(?:(?:T|\s+)(?:(?P<ap1>{_AMPM})\s*)?(?P<h>\d{{1,2}}):(?P<mi>\d{{2}})(?::(?P<s>\d{{2}})(?:[.,](?P<f>\d{{1,9}}))?)?"
    rf"(?:\s*(?P<ap2>{_AMPM}))?)?"
    r"\s*(?P<tz>[Zz]|UTC|GMT|KST|[+-]\d{2}:?\d{2})?\s*$"
)
COMPACT = r"^\s*(?P<Y>\d{4})(?P<M>\d{2})(?P<D>\d{2})\s*(?P<h>\d{2})(?P<mi>\d{2})(?P<s>\d{2})\s*$"
_FIELDS = ("Y", "M", "D", "ap1", "h", "mi", "s", "f", "ap2", "tz")
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def parse_offset(text: str) -> int:
    """'+09:00', 'KST', 'UTC' or 'Asia/Seoul' → minutes east of UTC (Korea has had no DST since 1988)."""
    t = text.strip()
    if t.upper() in ("KST", "ASIA/SEOUL"):
        return KST_MINUTES
    if t.upper() in ("UTC", "Z", "GMT", "ETC/UTC"):
        return 0
    m = _OFFSET.match(t)
    if not m or int(m.group(2)) > 14 or int(m.group(3)) > 59:
        raise ValueError(
            _("invalid time zone {zone} (use an offset such as +09:00, or KST / UTC)").format(zone=repr(text)))
    minutes = int(m.group(2)) * 60 + int(m.group(3))
    return -minutes if m.group(1) == "-" else minutes


def _int(arr) -> pa.Array:
    return pc.cast(pc.if_else(pc.equal(arr, ""), None, arr), pa.int64())


_FIXED = re.compile(r"^\d{4}([-/.])\d{2}\1\d{2}[ T]\d{2}:\d{2}:\d{2}$")
_LOW, _HIGH = 631152000, 4102444799  # 1990-01-01 .. 2099-12-31, as in the general path


def _fast(values: pa.Array, offset_minutes: int) -> pa.Array | None:
    """Every value 'YYYY-MM-DD HH:MM:SS' (or with / or . between the date parts) and valid: Arrow's strict ISO
    cast (measured 25× faster than the general path; it refuses 2025-02-29, 24:00 and :60). None otherwise."""
    if not len(values) or values.null_count:
        return None
    first = values[0].as_py()
    m = _FIXED.match(first)
    lo, hi = pc.min_max(pc.utf8_length(values)).values()
    if not m or lo.as_py() != 19 or hi.as_py() != 19:
        return None
    canonical = values if m.group(1) == "-" else pc.replace_substring(values, m.group(1), "-")
    try:
        ts = pc.cast(pc.cast(canonical, pa.timestamp("s")), pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    low, high = pc.min_max(ts).values()
    if low.as_py() < _LOW or high.as_py() > _HIGH:
        return None
    return pc.subtract(ts, offset_minutes * 60)


def parse(values: pa.Array, default_offset_minutes: int = KST_MINUTES) -> tuple[pa.Array, pa.Array, dict[int, str]]:
    """Parse a string column. Returns (epoch seconds, microsecond part, {row index: reason}) for bad rows."""
    values = pc.cast(values, pa.string())
    fast = _fast(values, default_offset_minutes)
    if fast is not None:
        return fast, pa.repeat(pa.scalar(0, pa.int64()), len(values)), {}
    return _general(values, default_offset_minutes)


def _general(values: pa.Array, default_offset_minutes: int) -> tuple[pa.Array, pa.Array, dict[int, str]]:
    """One regular expression for every accepted shape, then each component checked against the calendar."""
    general = pc.extract_regex(values, GENERAL)
    compact = pc.extract_regex(values, COMPACT)
    use_compact = pc.and_(pc.invert(pc.is_valid(general)), pc.is_valid(compact))
    part = {}
    for name in _FIELDS:
        g = pc.struct_field(general, name)
        if name in ("Y", "M", "D", "h", "mi", "s"):
            g = pc.if_else(use_compact, pc.struct_field(compact, name), g)
        part[name] = pc.fill_null(g, "")
    matched = pc.or_(pc.is_valid(general), use_compact)
    Y, M, D = _int(part["Y"]), _int(part["M"]), _int(part["D"])
    h, mi, s = _int(part["h"]), _int(part["mi"]), pc.fill_null(_int(part["s"]), 0)
    ap1, ap2 = part["ap1"], part["ap2"]
    ap = pc.if_else(pc.equal(ap1, ""), ap2, ap1)
    pm = pc.is_in(ap, pa.array(["오후", "PM", "pm", "p.m."]))
    has_ap = pc.not_equal(ap, "")
    leap = pc.and_(pc.equal(pc.bit_wise_and(Y, 3), 0), pc.or_(pc.not_equal(pc.subtract(Y, pc.multiply(pc.divide(Y, 100), 100)), 0),
                                                           pc.equal(pc.subtract(Y, pc.multiply(pc.divide(Y, 400), 400)), 0)))
    dim = pc.if_else(pc.equal(M, 2), pc.if_else(leap, 29, 28), pc.if_else(pc.is_in(M, pa.array([4, 6, 9, 11])), 30, 31))
    checks = [
        ("no date and time recognised", pc.invert(matched)),
        ("two AM/PM markers", pc.and_(pc.not_equal(ap1, ""), pc.not_equal(ap2, ""))),
        ("no time of day", pc.is_null(h)),
        ("year out of range 1990–2099", pc.or_(pc.less(Y, 1990), pc.greater(Y, 2099))),
        ("month out of range", pc.or_(pc.less(M, 1), pc.greater(M, 12))),
        ("day does not exist in that month", pc.or_(pc.less(D, 1), pc.greater(D, dim))),
        ("hour out of range for 오전/오후 (AM/PM) time", pc.and_(has_ap, pc.or_(pc.less(h, 1), pc.greater(h, 12)))),
        ("hour out of range", pc.greater(h, 23)),
        ("minute out of range", pc.greater(mi, 59)),
        ("second out of range", pc.greater(s, 59)),
    ]
    tz = part["tz"]
    tz_upper = pc.utf8_upper(tz)
    tz_sign = pc.if_else(pc.starts_with(tz, "-"), -1, 1)
    tz_digits = pc.replace_substring(pc.utf8_slice_codeunits(tz, 1), ":", "")
    numeric_tz = pc.match_substring_regex(tz, r"^[+-]")
    tz_h = _int(pc.if_else(numeric_tz, pc.utf8_slice_codeunits(tz_digits, 0, 2), ""))
    tz_m = _int(pc.if_else(numeric_tz, pc.utf8_slice_codeunits(tz_digits, 2, 4), ""))
    checks.append(("time-zone offset out of range", pc.and_(numeric_tz, pc.or_(pc.greater(tz_h, 14), pc.greater(tz_m, 59)))))
    offset = pc.if_else(
        numeric_tz,
        pc.multiply(tz_sign, pc.add(pc.multiply(tz_h, 60), tz_m)),
        pc.if_else(pc.equal(tz, ""), default_offset_minutes, pc.if_else(pc.equal(tz_upper, "KST"), KST_MINUTES, 0)),
    )
    bad = pa.array([False] * len(values)) if len(values) else pa.array([], pa.bool_())
    reasons: dict[int, str] = {}
    for reason, mask in checks:
        mask = pc.fill_null(mask, False)
        new = pc.and_(mask, pc.invert(bad))
        if pc.any(new).as_py():
            for i in pc.indices_nonzero(new).to_pylist():
                raw = values[i].as_py()
                reasons[i] = f"{reason}: {raw!r}" if raw and raw.strip() else "empty"
            bad = pc.or_(bad, mask)
    ok = pc.invert(bad)
    hour24 = pc.if_else(has_ap, pc.add(pc.subtract(h, pc.if_else(pc.equal(h, 12), 12, 0)), pc.if_else(pm, 12, 0)), h)
    pad = lambda a, n: pc.utf8_lpad(pc.cast(a, pa.string()), n, "0")
    iso = pc.binary_join_element_wise(pad(pc.if_else(ok, Y, 1970), 4), pad(pc.if_else(ok, M, 1), 2), pad(pc.if_else(ok, D, 1), 2), "-")
    days = pc.cast(pc.cast(pc.cast(iso, pa.date32()), pa.int32()), pa.int64())
    seconds = pc.add(pc.multiply(days, 86400), pc.add(pc.multiply(hour24, 3600), pc.add(pc.multiply(mi, 60), s)))
    epoch = pc.if_else(ok, pc.subtract(seconds, pc.multiply(offset, 60)), None)
    frac = pc.utf8_slice_codeunits(pc.binary_join_element_wise(part["f"], "000000", ""), 0, 6)
    micros = pc.if_else(ok, pc.cast(frac, pa.int64()), None)
    return epoch, micros, reasons
