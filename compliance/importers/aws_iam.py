"""AWS IAM credential report (``aws iam generate-credential-report`` then ``aws iam get-credential-report``, the CSV
decoded from its ``Content``): one credential per active access key slot, active signing certificate and console
password, with when it was issued or last rotated and when it was last used.

What the report cannot tell stays unknown: a key made inactive has no deactivation date in the report (so inactive
slots are counted in the notes, not listed as revoked on some guessed day), and ``no_information`` (a password last
used before IAM tracked it, October 2014) is ``unknown``. ``N/A`` means never (never used: absent, as a stated fact
would say it), and a user's MFA has no fact of its own: it is counted in the notes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from compliance.i18n import _
from compliance.importers import KOREA, IdentityMap, Observed, Row, Unmapped
from compliance.loading import fail

COLUMNS = (
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
    "password_next_rotation", "mfa_active", "access_key_1_active", "access_key_1_last_rotated",
    "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date", "access_key_2_last_used_region",
    "access_key_2_last_used_service", "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
)
NEVER = "N/A"


def read(data: bytes, name: str, ids: IdentityMap, kind: str = "aws-iam-credential-report", before=None) -> Observed:
    file = Path(name).name
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(name, _("not UTF-8 text (byte {offset}): an IAM credential report is UTF-8 CSV").format(offset=exc.start), 1) from None
    rows = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(rows, None)
    except csv.Error as exc:
        raise fail(name, _("not readable as CSV: {reason}").format(reason=exc), 1) from None
    if header is None or header[:2] != ["user", "arn"]:
        raise fail(name, _("not an AWS IAM credential report: its first columns must be 'user,arn' "
                           "(aws iam get-credential-report --query Content --output text | base64 -d)"), 1)
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise fail(name, _("an IAM credential report without the column {column} (another version?)").format(column=repr(missing[0])), 1)
    col = {c: header.index(c) for c in COLUMNS}
    out = Observed(tool="AWS IAM credential report (CSV)", format_version=None)
    creds: list[Row] = []
    mfa, users, inactive = 0, 0, 0
    line = 1
    try:
        for cells in rows:
            line = rows.line_num
            if not cells or cells == [""]:
                continue
            if len(cells) != len(header):
                raise fail(name, _("this row has {cells} cells and the header {columns}").format(cells=len(cells), columns=len(header)), line)
            get = lambda c: cells[col[c]].strip()  # noqa: E731 - one row's cells by column name
            user, arn = get("user"), get("arn")
            at = f"{file}:{line}"
            found, slots_off = _credentials(get, arn, name, line)  # every row is checked, mapped or not
            user_mfa = _flag(get("mfa_active"), "mfa_active", name, line)
            account = arn.split(":")[4] if arn.count(":") >= 5 else None
            system = ids.system(account, arn, "aws")
            if system is None:
                out.unmapped.append(Unmapped(at, f"AWS account {account or arn}", "no system mapped for this AWS account "
                                             "(identities: systems: {ACCOUNT-ID: SYSTEM-ID})"))
                continue
            owner = ids.handler(user, arn)  # the root account too: whose it is, the organisation says
            if owner is None:
                out.unmapped.append(Unmapped(at, f"IAM user {user}", "no handler mapped for this IAM user (identities: "
                                             "handlers: {IAM-USER: HANDLER-ID}; the root account as '<root_account>')"))
                continue
            users += 1
            mfa += user_mfa
            inactive += slots_off
            creds += [Row({**c, "system": system, "owner": owner}, at) for c in found]
    except csv.Error as exc:
        raise fail(name, _("not readable as CSV: {reason}").format(reason=exc), line) from None
    out.lists["credentials"] = creds  # active credentials: not revoked, which is what an absent revoked_on says
    out.notes.append(f"MFA active for {mfa} of {users} mapped IAM users (no fact of the facts model holds MFA per user)")
    if inactive:
        out.notes.append(f"{inactive} inactive key or certificate slots not listed: the report gives no deactivation date")
    out.notes.append("signing certificates carry no last-used date in the report: their last use is unknown")
    return out


def _credentials(get, arn: str, name: str, line: int) -> tuple[list[dict], int]:
    """The credentials in use in one row (console password, active key slots and certificates), and how many
    slots were once used and are now inactive."""
    found, inactive = [], 0
    if _flag(get("password_enabled"), "password_enabled", name, line, allow_unsupported=True):
        changed = get("password_last_changed")
        found.append({"id": f"{arn}#password", "kind": "password",
                      **_issued(changed if changed != NEVER else get("user_creation_time"), name, line),
                      **_used(get("password_last_used"), name, line)})
    for slot, kind in (("access_key_1", "api-key"), ("access_key_2", "api-key"), ("cert_1", "certificate"),
                       ("cert_2", "certificate")):
        rotated = get(f"{slot}_last_rotated")
        if not _flag(get(f"{slot}_active"), f"{slot}_active", name, line):
            inactive += rotated != NEVER
            continue
        used = _used(get(f"{slot}_last_used_date"), name, line) if slot.startswith("access") else {"last_used_at": "unknown"}
        found.append({"id": f"{arn}#{slot}", "kind": kind, **_issued(rotated, name, line), **used})
    return found, inactive


def _flag(value: str, column: str, name: str, line: int, allow_unsupported: bool = False) -> bool:
    if value in ("true", "false"):
        return value == "true"
    if allow_unsupported and value == "not_supported":  # the root account's password, in the report's words
        return True
    raise fail(name, _("{column}: expected true or false, got {value}").format(column=column, value=repr(value[:40])), line)


def _stamp(value: str, column: str, name: str, line: int) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise fail(name, _("{column}: not an ISO 8601 time: {value}").format(column=column, value=repr(value[:40])), line) from None
    if when.tzinfo is None:
        raise fail(name, _("{column}: a time without its UTC offset: {value}").format(column=column, value=repr(value[:40])), line)
    return when


def _issued(value: str, name: str, line: int) -> dict:
    if value in (NEVER, "", "no_information", "not_supported"):  # the root account's password has no rotation date
        return {}
    return {"issued_on": _stamp(value, "last_rotated", name, line).astimezone(KOREA).date().isoformat()}  # Korea's day


def _used(value: str, name: str, line: int) -> dict:
    """last_used_at: absent when the report says N/A (never used), unknown for no_information."""
    if value == NEVER:
        return {}
    if value in ("no_information", "not_supported"):
        return {"last_used_at": "unknown"}
    return {"last_used_at": _stamp(value, "last_used", name, line).isoformat()}
