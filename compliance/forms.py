"""How a date, a date and time, and a yes/no may be written: one list, read the same from YAML, JSON, CSV and XLSX.

The facts model's date, timestamp and yes/no fields are the types below (``Date``, ``Stamp``, ``YesNo``): each runs
one of this module's readers before pydantic sees the value, so the forms are decided here and nowhere else. A CSV
or XLSX cell is handed to the same model as text (or as the spreadsheet's own date or boolean), and YAML reads every
date as text (YAML 1.2 core schema, both readers): the same written value is the same fact whichever file holds it.

Accepted (surrounding spaces ignored):

- a date: ``2025-03-31``, ``2025.03.31``, ``2025. 3. 31.`` (the Korean document form, with or without the last dot
  and the spaces), ``2025/03/31``; the month and day may have one digit. A spreadsheet date cell. A date followed by
  a zero time (``2025-03-31 00:00:00``, what database exports write for a date) is that date.
- a date and time: any of those dates, then ``T`` or spaces, ``09:00`` (``09:00:00``, ``09:00:00.5``), then the UTC
  offset ``+09:00`` (``+0900``, ``Z``), as ``2025-11-18T09:00+09:00`` or ``2025.11.18 09:00 +09:00``. The offset is
  required: without it the same text is a different instant depending on where it is read. (A CSV or XLSX source
  may state a ``timezone`` for times written without one: ``compliance.sources``.)
- a time of day (working hours): ``09:00`` (``9:00``; ``24:00`` is the day's end); a spreadsheet time cell
  (``18:00:00``) is that time.
- a yes/no: ``true``/``false``, ``yes``/``no``, ``y``/``n`` (any case), ``예``/``아니오`` (or ``아니요``). Every one of
  them means the same in YAML 1.1, so no reader or YAML version can read another answer; YAML 1.1's ``on``/``off``
  are refused, as are ``1``/``0`` and ``O``/``X`` (a checkmark X means yes in some sheets).

Everything else is refused with the expected form in the message: a number (``20250331`` is not a date: YAML and
JSON read it as a number, and nothing in the file says which calendar it counts in), a date that is not in the
calendar (``2025.02.30``), an ISO week or ordinal date, a time without its offset.

``explain`` turns any pydantic error into the sentence a user reads, in the user's language: the validation
messages are written here once (``compliance.loading.located`` and the sources' cell problems both use it).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, Strict, WithJsonSchema
from pydantic_core import PydanticCustomError

from compliance.i18n import _

# ----------------------------------------------------------------------------------------- the written forms
# One pattern per form, read alike by Python's re and by editors' JSON Schema (ECMA-262): ASCII classes only (a
# Python \d would take Arabic-Indic digits), no named groups, no \s (whose classes differ).

_YMD = r"([0-9]{4})(?:-([0-9]{1,2})-([0-9]{1,2})|/([0-9]{1,2})/([0-9]{1,2})|\. *([0-9]{1,2})\. *([0-9]{1,2})\.?)"
_ZERO_TIME = r"(?:[Tt ]00:00(?::00)?)?"
_CLOCK = r"(?:[Tt]| +)([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?"
_OFFSET = r" *(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))"

DATE_PATTERN = "^ *" + _YMD + _ZERO_TIME + " *$"
"""Every accepted way of writing a date (the calendar is checked after: 2025.02.30 matches and is refused)."""
DATETIME_PATTERN = "^ *" + _YMD + _CLOCK + _OFFSET + " *$"
"""Every accepted way of writing a date and time in a facts file: the offset is part of it."""

_DATE = re.compile(DATE_PATTERN)
_DATETIME = re.compile("^ *" + _YMD + _CLOCK + "(?:" + _OFFSET + ")? *$")  # naive too: a source may state a timezone

YES = frozenset({"true", "yes", "y", "예"})
NO = frozenset({"false", "no", "n", "아니오", "아니요"})


# ----------------------------------------------------------------------------------------- messages


def date_form() -> str:
    return _("write a date as 2025-03-31 (2025.03.31 and 2025. 3. 31. also work)")


def datetime_form() -> str:
    return _("write a date and time with its UTC offset, as 2025-11-18T09:00+09:00 "
             "(2025.11.18 09:00+09:00 and 2025. 11. 18. 09:00 +09:00 also work)")


def yes_no_form() -> str:
    return _("write true or false (yes/no, y/n and 예/아니오 also work)")


def _no_such_date() -> PydanticCustomError:
    return PydanticCustomError("date_calendar", _("no such day in the calendar (the month is 1 to 12, the day within the month); "
                                                  "write a date as 2025-03-31"))


def _no_such_time() -> PydanticCustomError:
    return PydanticCustomError("datetime_calendar", _("no such date or time (the month is 1 to 12, the day within the month, "
                                                      "the hour 0 to 23, the offset under 24 hours); write it as 2025-11-18T09:00+09:00"))


def _no_offset() -> PydanticCustomError:
    return PydanticCustomError("datetime_offset", _("the time has no timezone: add its UTC offset, as 2025-11-18T09:00+09:00 "
                                                    "(Korean time is +09:00)"))


def time_form() -> str:
    return _("write a time of day as 09:00 (the hour 00 to 24, the minutes 00 to 59; 24:00 is the day's end)")


_OURS = frozenset({"date_form", "date_calendar", "datetime_form", "datetime_calendar", "datetime_offset", "yes_no_form",
                   "time_form"})


# ----------------------------------------------------------------------------------------- readers


def _ymd(m: re.Match) -> tuple[int, int, int]:
    g = m.groups()
    if g[1] is not None:
        return int(g[0]), int(g[1]), int(g[2])
    if g[3] is not None:
        return int(g[0]), int(g[3]), int(g[4])
    return int(g[0]), int(g[5]), int(g[6])


_from_iso = dt.date.fromisoformat
_date_cls, _datetime_cls, _str = dt.date, dt.datetime, str


def to_date(value: Any) -> dt.date:
    """A date from any accepted form, else a pydantic error naming the form (a number is refused, not counted)."""
    if value.__class__ is _str:
        if len(value) == 10 and value[4] == "-" and value[7] == "-":  # 2025-03-31: the usual case, read in C
            try:
                return _from_iso(value)
            except ValueError:
                pass
        m = _DATE.match(value)
        if m is None:
            raise PydanticCustomError("date_form", date_form())
        try:
            return _date_cls(*_ymd(m))
        except ValueError:
            raise _no_such_date() from None
    if value.__class__ is _date_cls:
        return value
    if isinstance(value, _datetime_cls):  # a spreadsheet's date cell: a date at midnight, without a timezone
        if value.tzinfo is None and value.time() == dt.time(0):
            return value.date()
    elif isinstance(value, _date_cls):
        return value
    raise PydanticCustomError("date_form", date_form())


def read_datetime(text: str) -> dt.datetime | None:
    """A date and time from any accepted form, with its offset or without one (naive); None if the text is no such
    form. Raises the calendar error for a form naming no real moment (2025.02.30 09:00, 25:00, +25:00)."""
    m = _DATETIME.match(text)
    if m is None:
        return None
    g = m.groups()
    hour, minute, second, fraction = g[7], g[8], g[9], g[10]
    try:
        if g[11] is not None:
            tz: dt.tzinfo | None = dt.timezone.utc
        elif g[12] is not None:
            delta = dt.timedelta(hours=int(g[13]), minutes=int(g[14]))
            tz = dt.timezone(delta if g[12] == "+" else -delta)
        else:
            tz = None
        micro = int((fraction + "00000")[:6]) if fraction else 0
        return _datetime_cls(*_ymd(m), int(hour), int(minute), int(second or 0), micro, tzinfo=tz)
    except ValueError:
        raise _no_such_time() from None


def to_stamp(value: Any) -> dt.datetime:
    """A date and time with its UTC offset, from any accepted form."""
    if value.__class__ is _str:
        stamp = read_datetime(value)
        if stamp is None:
            raise PydanticCustomError("datetime_form", datetime_form())
    elif isinstance(value, _datetime_cls):
        stamp = value
    else:
        raise PydanticCustomError("datetime_form", datetime_form())
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise _no_offset()
    return stamp


TIME_PATTERN = "^ *(?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::00)? *$|^ *24:00(?::00)? *$"
"""A time of day as HH:MM (a spreadsheet's time cell adds :00)."""
_TIME = re.compile(TIME_PATTERN)


def to_time_of_day(value: Any) -> str:
    """'09:00' (as written, or a spreadsheet's time cell) as HH:MM; anything else a pydantic error naming the form."""
    if isinstance(value, dt.time) and not value.second and not value.microsecond and value.tzinfo is None:
        return value.strftime("%H:%M")
    if value.__class__ is _str and _TIME.match(value):
        hours, minutes = value.strip().split(":")[:2]
        return f"{int(hours):02d}:{minutes}"
    raise PydanticCustomError("time_form", time_form())


def to_yes_no(value: Any) -> bool:
    """True or False from any accepted form; a number (1, 0) is refused."""
    if value is True or value is False:
        return value
    if value.__class__ is _str:
        word = value.strip(" ").lower()  # spaces only, as the schema says
        if word in YES:
            return True
        if word in NO:
            return False
    raise PydanticCustomError("yes_no_form", yes_no_form())


# ----------------------------------------------------------------------------------------- the model's types

_DATE_SCHEMA = {
    "type": "string", "pattern": DATE_PATTERN, "examples": ["2025-03-31", "2025.03.31", "2025. 3. 31."],
    "description": "A date: 2025-03-31, 2025.03.31, 2025. 3. 31. or 2025/03/31 (a day of the calendar)",
}
_DATETIME_SCHEMA = {
    "type": "string", "pattern": DATETIME_PATTERN, "examples": ["2025-11-18T09:00+09:00", "2025.11.18 09:00+09:00"],
    "description": "A date and time with its UTC offset: 2025-11-18T09:00+09:00 (the date as for a date; Z or +0900 "
                   "also work)",
}
YES_NO_PATTERN = "^ *(?:" + "|".join(
    "".join(f"[{c.lower()}{c.upper()}]" if c.isascii() else c for c in word) for word in sorted(YES | NO)
) + ") *$"
"""The yes/no words as text, in any case (the schema's; the reader compares the lower-cased word)."""
_YES_NO_SCHEMA = {
    "anyOf": [{"type": "boolean"}, {"type": "string", "pattern": YES_NO_PATTERN}],
    "description": "true or false (yes/no, y/n and 예/아니오 also work)",
}

Date = Annotated[dt.date, BeforeValidator(to_date), WithJsonSchema(_DATE_SCHEMA, mode="validation")]
Stamp = Annotated[AwareDatetime, BeforeValidator(to_stamp), WithJsonSchema(_DATETIME_SCHEMA, mode="validation")]
TimeOfDay = Annotated[str, BeforeValidator(to_time_of_day), WithJsonSchema(
    {"type": "string", "pattern": TIME_PATTERN, "examples": ["09:00", "18:00"], "description": "A time of day: 09:00"},
    mode="validation")]
YesNo = Annotated[bool, BeforeValidator(to_yes_no), Strict(), WithJsonSchema(_YES_NO_SCHEMA, mode="validation")]


# ----------------------------------------------------------------------------------------- pydantic's errors, in words


def shown(value: Any) -> str:
    """A refused value as the user wrote it, shortened: dates as dates, not as Python's repr."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return repr(value)[:60]


def explain(err: dict) -> str:
    """The sentence for one pydantic error (an item of ``ValidationError.errors()``), in the user's language: what
    is wrong, the hint that ``unknown`` may be stated for an event field, and the value refused. The same for a
    facts file (``loading.located``) and a CSV/XLSX cell (``sources``)."""
    message = _sentence(err)
    steps = err.get("loc") or ()
    if any(isinstance(s, str) and s.startswith(("function-before[to_date", "function-before[to_stamp")) for s in steps):
        # the field is a union of a date (or time) and 'unknown': the one case a union tag names a form reader
        message = _("{message} (or 'unknown' when the event may have happened but is not known)").format(message=message)
    if err["type"] not in ("missing", "extra_forbidden") and "input" in err and not isinstance(err["input"], (dict, list)):
        message = _("{message} (got {value})").format(message=message, value=shown(err["input"]))
    return message


def _sentence(err: dict) -> str:
    """The forms' own errors are already in words; pydantic's are mapped by type, written once here. A type not
    listed keeps pydantic's English (models' own checks, ``value_error``: their text is the model's)."""
    kind = err["type"]
    if kind in _OURS:
        return err["msg"]
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return _("Field required")
    if kind == "extra_forbidden":
        return _("unknown field (not in the model; check the spelling)")
    if kind in ("literal_error", "enum"):
        return _("Input should be one of {choices}").format(choices=str(ctx.get("expected", "")).replace(" or ", ", "))
    # pydantic's own date and bool errors come from models whose fields are plain dates (catalogs, manifests):
    # they take ISO dates only, so the message names that form alone
    if kind.startswith("bool"):
        return _("Input should be true or false")
    if kind.startswith("date_"):
        return _("Input should be a valid date, written as 2025-03-31")
    if kind == "timezone_aware":
        return _no_offset().message()
    if kind.startswith("datetime_"):
        return _("Input should be a valid date and time, written as 2025-11-18T09:00:00+09:00")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _("Input should be a valid integer (a whole number, written without quotes)")
    if kind in ("float_type", "float_parsing"):
        return _("Input should be a valid number (written without quotes)")
    if kind == "greater_than_equal":
        return _("Input should be greater than or equal to {limit}").format(limit=ctx.get("ge"))
    if kind == "greater_than":
        return _("Input should be greater than {limit}").format(limit=ctx.get("gt"))
    if kind == "less_than_equal":
        return _("Input should be less than or equal to {limit}").format(limit=ctx.get("le"))
    if kind == "less_than":
        return _("Input should be less than {limit}").format(limit=ctx.get("lt"))
    if kind == "string_type":
        return _("Input should be a valid string (text; put a value that looks like a number or a date in quotes)")
    if kind == "string_too_long":
        return _("String should have at most {count} characters").format(count=ctx.get("max_length"))
    if kind == "string_too_short":
        return _("String should have at least {count} characters").format(count=ctx.get("min_length"))
    if kind == "string_pattern_mismatch":
        return _("String should match pattern '{pattern}'").format(pattern=ctx.get("pattern"))
    if kind == "list_type":
        return _("Input should be a valid list")
    if kind == "too_long":
        return _("List should have at most {count} items").format(count=ctx.get("max_length"))
    if kind == "too_short":
        return _("List should have at least {count} items").format(count=ctx.get("min_length"))
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _("Input should be a mapping of fields (name: value), not a single value")
    return err["msg"]
