"""Identity providers' user lists: Microsoft Entra ID (Microsoft Graph ``GET /users``) and Okta (``GET /api/v1/users``).

Each IdP user becomes an account on the IdP — a system of its own, mapped like any other — held by the handler its
employee id, sign-in name, e-mail or object id maps to, and that handler's dates as far as the IdP knows them: when the
account was created or activated, when the person leaves (Entra's ``employeeLeaveDateTime``), and whether sign-in is
blocked. An IdP knows nothing of changes of duties or of training, and Entra keeps the day an account was disabled only
in its audit log: those are written ``"unknown"``, never left out, because an absent date would say "did not happen".

Dates are the Korean calendar day (UTC+09:00) of the IdP's UTC timestamps, the day the facts' other dates are counted
in: an account created at 19:23 UTC on 10 January was created on 11 January in Seoul.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import re
from pathlib import Path

from compliance.i18n import _
from compliance.importers import KOREA, IdentityMap, Observed, Row, Unmapped, value_kind
from compliance.json_locator import JsonLocator, NotJson
from compliance.loading import fail

UNKNOWN = "unknown"

ENTRA_KEYS = ("id", "userPrincipalName", "mail", "employeeId", "accountEnabled", "createdDateTime",
              "employeeLeaveDateTime", "identities")
"""The user properties read, as Graph names them; Graph PowerShell objects written by ConvertTo-Json use the same
names capitalised (``UserPrincipalName``), and either spelling is read."""
PASCAL_KEYS = tuple(k[0].upper() + k[1:] for k in ENTRA_KEYS)
ENTRA_SELECT = "$select=id,userPrincipalName,mail,employeeId,accountEnabled,createdDateTime,employeeLeaveDateTime"

OKTA_STATUSES = ("STAGED", "PROVISIONED", "ACTIVE", "RECOVERY", "LOCKED_OUT", "PASSWORD_EXPIRED", "SUSPENDED",
                 "DEPROVISIONED")
OKTA_BLOCKED = ("DEPROVISIONED", "SUSPENDED")
"""Okta statuses in which the user cannot sign in; every other status (locked out, password expired, recovery…)
is a temporary state of an account whose access stands."""

_GRAPH_VERSION = re.compile(r"^https://[^/]+/(v1\.0|beta)/")
_UTC_STAMP = re.compile(r"(\d{4}-\d\d-\d\d)T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?Z")  # as Graph and Okta write
_NET_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")  # Windows PowerShell's ConvertTo-Json of a DateTime
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d+)?")
_UNMAPPED_USER = ("no handler mapped for this user's employee id, sign-in name, e-mail or IdP object id "
                  "(identities: handlers: {SIGN-IN-NAME: HANDLER-ID})")


def read(data: bytes, name: str, ids: IdentityMap, kind: str = "entra-users", before=None) -> Observed:
    enabled = gc.isenabled()
    gc.disable()  # every parsed user is kept to the end: collecting while rows are built only walks them again
    try:
        source = _Source(data, name)
        return _okta(source, ids) if kind == "okta-users" else _entra(source, ids)
    finally:
        if enabled:
            gc.enable()


class _Source:
    """The decoded text and parsed JSON of one export, and its problems located at a JSON pointer and a line."""

    def __init__(self, data: bytes, name: str):
        self.name, self.file = name, Path(name).name
        self.days: dict[str, tuple[str, str]] = {}  # UTC day -> (the same day, the next day), as Seoul counts them
        try:
            self.text = data.decode(json.detect_encoding(data))  # a BOM, or UTF-16 from Windows PowerShell's Out-File
        except UnicodeDecodeError as exc:
            raise fail(name, _("not UTF-8 text (byte {offset}): an identity provider's export is JSON text").format(offset=exc.start)) from None
        try:
            self.doc = json.loads(self.text)
        except json.JSONDecodeError as exc:
            raise fail(name, _("invalid JSON: {reason}").format(reason=exc.msg), exc.lineno) from None
        except RecursionError:
            raise fail(name, _("invalid JSON: nested too deeply")) from None
        except ValueError as exc:  # an integer with more digits than Python converts
            raise fail(name, _("invalid JSON: {reason}").format(reason=str(exc).split(";")[0])) from None

    def at(self, parts: tuple) -> str:
        return f"{self.file}#{pointer(parts)}"

    def problem(self, parts: tuple, message: str):
        """One located problem: the JSON pointer in the message, the line found only now that it is needed."""
        try:
            line = JsonLocator(self.text).line(parts)
        except NotJson:
            line = 0
        return fail(self.name, f"{pointer(parts) or '/'}: {message}", line)

    def not_text(self, obj: dict, parts: tuple, keys: tuple):
        """The problem of the first of ``keys`` whose value is neither text nor null."""
        key = next(k for k in keys if obj.get(k) is not None and obj[k].__class__ is not str)
        return self.problem((*parts, key), _("expected text, got {kind}").format(kind=value_kind(obj[key])))

    def day(self, value, prefix: tuple, i: int, key: str) -> str | None:
        """The Korean calendar day of a timestamp the IdP wrote in UTC; None when absent or null. ``prefix``, ``i``:
        where the user holding it stands (a pointer is built only for a problem)."""
        if value.__class__ is str:
            utc = _UTC_STAMP.fullmatch(value)
            if utc is not None:
                days = self.days.get(utc[1]) or self.calendar(utc[1], (*prefix, i), key)
                return days[utc[2] >= "15"]  # from 15:00 UTC it is the next day in Seoul
        if value is None or value == "":  # Graph writes "" for a time it never recorded
            return None
        parts = (*prefix, i)
        if value.__class__ is not str:
            raise self.problem((*parts, key), _("expected a timestamp (text), got {kind}").format(kind=value_kind(value)))
        try:
            ticks = _NET_DATE.match(value) if value[0] == "/" else None
            when = (dt.datetime.fromtimestamp(int(ticks[1]) / 1000, dt.timezone.utc) if ticks
                    else dt.datetime.fromisoformat(value))
        except (ValueError, OverflowError, OSError):
            raise self.problem((*parts, key), _("not an ISO 8601 time: {value}").format(value=repr(value[:40]))) from None
        if when.tzinfo is None:  # Graph and Okta document every timestamp as UTC; an exporter may drop the 'Z'
            when = when.replace(tzinfo=dt.timezone.utc)
        return when.astimezone(KOREA).date().isoformat()

    def calendar(self, utc_day: str, parts: tuple, key: str) -> tuple[str, str]:
        """(the day, the next day) for a UTC day, which is checked to be one once."""
        try:
            day = dt.date.fromisoformat(utc_day)
            self.days[utc_day] = days = (day.isoformat(), (day + dt.timedelta(days=1)).isoformat())
        except (ValueError, OverflowError):
            raise self.problem((*parts, key), _("not a calendar day: {value}").format(value=repr(utc_day))) from None
        return days


def pointer(parts: tuple) -> str:
    """RFC 6901 JSON pointer of a path of keys and indexes ('' is the whole document)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


class _Handlers:
    """One handler row per handler id: a person with two IdP accounts (an administrator account beside their own)
    is one handler, granted access when the first was created and revoked only once every one is blocked.

    ``granted`` None: not known; ``revoked`` None: the account can sign in, "unknown": blocked on a day the export
    does not tell. The loops call ``row`` for a handler's first account and ``merge`` for the next ones."""

    def __init__(self):
        self.rows: dict[str, Row] = {}

    @staticmethod
    def row(hid: str, granted: str | None, left: str, revoked: str | None, at: str) -> Row:
        fields = {"id": hid, "granted_on": granted, "left_on": left, "access_revoked_on": revoked,
                  "duties_changed_on": UNKNOWN, "access_changed_on": UNKNOWN, "trained_on": UNKNOWN}
        if granted is None:  # absent: unknown (granted_on is not an event whose absence says "never")
            del fields["granted_on"]
        if revoked is None:  # absent says "not revoked", which is what an account that can sign in shows
            del fields["access_revoked_on"]
        return Row(fields, at)

    def add(self, accounts: list, account: str, sid: str, hid: str, at: str, granted, left, revoked) -> None:
        """One IdP account of handler ``hid``: its account row (one holder, so no shared_reason: whether the person
        lends it, an IdP cannot tell), and the handler's row made or merged."""
        accounts.append(Row({"id": account, "system": sid, "holders": [hid]}, at))
        if hid in self.rows:
            self.merge(self.rows[hid].fields, granted, left, revoked)
        else:
            self.rows[hid] = self.row(hid, granted, left, revoked, at)

    def fill(self, out: Observed, sid: str | None, accounts: list) -> None:
        if sid is not None:
            out.lists["accounts"], out.lists["handlers"] = accounts, list(self.rows.values())

    @staticmethod
    def merge(fields: dict, granted: str | None, left: str, revoked: str | None) -> None:
        mine = fields.get("granted_on")
        if mine and granted:
            fields["granted_on"] = min(mine, granted)
        else:
            fields.pop("granted_on", None)  # one account's creation not known: the first grant is not known
        if left != UNKNOWN:
            fields["left_on"] = left if fields["left_on"] == UNKNOWN else min(fields["left_on"], left)
        mine = fields.get("access_revoked_on")
        if mine is None or revoked is None:
            fields.pop("access_revoked_on", None)  # an account that can still sign in: access stands
        else:
            fields["access_revoked_on"] = UNKNOWN if UNKNOWN in (mine, revoked) else max(mine, revoked)


def _system(source: _Source, ids: IdentityMap, out: Observed, names: tuple, example: str) -> str | None:
    """The IdP's system id; unmapped, one entry says how to map it and no row is written."""
    sid = ids.system(*names)
    if sid is None:
        shown = " or ".join(repr(n) for n in names if n)
        out.unmapped.append(Unmapped(source.at(()), names[0] or names[-1],
                                     f"no system mapped for this identity provider: map {shown} to the system id the "
                                     f"facts give it (identities: systems: {{{example}: SYSTEM-ID}})"))
    return sid


def _common_notes(out: Observed, created: str) -> None:
    out.notes += [
        f"granted_on is the day the IdP account was {created}, not necessarily the day access to a processing "
        "system was granted.",
        "Dates are the calendar day in Korea (UTC+09:00) of the identity provider's UTC timestamps.",
        "duties_changed_on, access_changed_on and trained_on are unknown: an identity provider records no change of "
        "duties, no change of access that follows one, and no training.",
        "access_revoked_on shows whether the IdP account can sign in; a blocked account keeps its group and app "
        "assignments, and access granted outside the IdP is not seen.",
        "The last sign-in is not kept: the facts model's Account has no field for it.",
    ]


# ------------------------------------------------------------------------------------------------- Microsoft Entra


def _entra(source: _Source, ids: IdentityMap) -> Observed:
    pages, version, more = _graph_pages(source)
    first = next((u for _prefix, users in pages for u in users[:1] if u.__class__ is dict), {})
    keys = PASCAL_KEYS if "UserPrincipalName" in first and "userPrincipalName" not in first else ENTRA_KEYS
    k_id, k_upn, k_mail, k_employee, k_enabled, k_created, k_leave, k_identities = keys
    out = Observed(tool="Microsoft Entra ID users (Microsoft Graph JSON)", format_version=version,
                   proxies=["handlers.granted_on"])  # the account's creation stands in for the grant: fills, never contradicts
    tenant = _tenant(first.get(k_identities))
    sid = _system(source, ids, out, (tenant, "entra"), tenant or "entra")
    accounts, handlers, seen, day = [], _Handlers(), set(), source.day
    stamp, calendar = _UTC_STAMP.fullmatch, source.days
    mapped = ids.handlers.get  # IdentityMap.handler's rule, the first name the map holds, without its generator
    no_state = no_created = 0
    for prefix, users in pages:
        base = f"{source.file}#{pointer(prefix)}/"
        for i, user in enumerate(users):
            if user.__class__ is not dict:
                raise source.problem((*prefix, i), _("expected a user object, got {kind}").format(kind=value_kind(user)))
            upn = user.get(k_upn)
            if upn.__class__ is not str or not upn:
                raise source.problem((*prefix, i), _no_upn(user, k_upn))
            if "@odata.type" in user and user["@odata.type"] != "#microsoft.graph.user":
                raise source.problem((*prefix, i, "@odata.type"), _("a {type} in a list of users (GET /users lists users "
                                                                     "only)").format(type=user["@odata.type"]))
            if upn in seen:
                raise source.problem((*prefix, i), _("user {user} listed twice: are two exports of the same pages "
                                                     "joined?").format(user=repr(upn)))
            seen.add(upn)
            object_id, mail, employee = user.get(k_id), user.get(k_mail), user.get(k_employee)
            if ((object_id is not None and object_id.__class__ is not str)
                    or (mail is not None and mail.__class__ is not str)
                    or (employee is not None and employee.__class__ is not str)):
                raise source.not_text(user, (*prefix, i), (k_id, k_mail, k_employee))
            enabled = user.get(k_enabled)
            if enabled is True:
                revoked = None  # enabled: not revoked
            elif enabled is False:
                revoked = UNKNOWN  # disabled: revoked, on a day only the audit log holds
            elif enabled is None:
                revoked = UNKNOWN  # not exported: whether the account can sign in is not known
                no_state += 1
            else:
                raise source.problem((*prefix, i, k_enabled), _("expected true or false, got {kind}").format(kind=value_kind(enabled)))
            created = user.get(k_created)
            utc = stamp(created) if created.__class__ is str else None
            if utc is not None:  # day()'s own first step, inlined: it is most of a row's time
                created = (calendar.get(utc[1]) or source.calendar(utc[1], (*prefix, i), k_created))[utc[2] >= "15"]
            else:
                created = day(created, prefix, i, k_created)
                no_created += created is None
            left = user.get(k_leave)  # none: not known, never "stays"
            left = UNKNOWN if left is None else day(left, prefix, i, k_leave) or UNKNOWN
            if sid is None:
                continue
            at = base + str(i)
            hid = mapped(employee) or mapped(upn) or mapped(mail) or mapped(object_id)
            if hid is None:
                out.unmapped.append(Unmapped(at, upn, _UNMAPPED_USER))
                continue
            handlers.add(accounts, upn, sid, hid, at, created, left, revoked)
    handlers.fill(out, sid, accounts)
    _common_notes(out, "created (createdDateTime)")
    out.notes += [
        "left_on is employeeLeaveDateTime where the export has it, else unknown: the directory may not carry HR dates.",
        "A disabled account (accountEnabled false) is revoked on an unknown day: Entra keeps the day it was disabled "
        "only in its audit log.",
        "Deleted users are not in GET /users (they stay in /directory/deletedItems for 30 days): a handler missing "
        "from this export is not observed, which says nothing of their access.",
    ]
    if no_state:
        out.notes.append(f"accountEnabled is missing for {no_state} of {len(seen)} users (not selected in the export): "
                         f"whether they can sign in is unknown; export with {ENTRA_SELECT}.")
    if no_created:
        out.notes.append(f"createdDateTime is missing for {no_created} of {len(seen)} users (not selected, or created "
                         "before Entra recorded it): their granted_on is unknown.")
    if more:
        out.notes.append("The export ends with an @odata.nextLink: the users on further pages are not in this file "
                         "(fetch every page: Get-MgUser -All, or follow the link).")
    return out


def _graph_pages(source: _Source) -> tuple[list[tuple[tuple, list]], str | None, bool]:
    """(pointer prefix, users) of each page; the Graph version the context names; whether a further page exists."""
    doc = source.doc
    if doc.__class__ is dict:
        pages = [((), doc)]
    elif doc.__class__ is list:
        if not doc or doc[0].__class__ is not dict or "value" not in doc[0]:
            return [((), doc)], None, False  # a plain array of users (az ad user list, Graph PowerShell)
        pages = [((i,), page) for i, page in enumerate(doc)]  # pages joined into one array
    else:
        raise source.problem((), _("expected the JSON of Microsoft Graph GET /users: an object with a 'value' list of "
                                   "users, or an array of users"))
    out, version = [], None
    for prefix, page in pages:
        users = page.get("value") if page.__class__ is dict else None
        if users.__class__ is not list:
            what = _("no 'value' list") if page.__class__ is dict else value_kind(page)
            raise source.problem(prefix, _("not a Microsoft Graph users page ({what}): expected {shape}").format(
                what=what, shape='{"@odata.context": ".../$metadata#users", "value": [users]}'))
        context = page.get("@odata.context")
        if context is not None:
            entity = context.partition("#")[2] if context.__class__ is str else ""
            if entity.split("(")[0] != "users":
                raise source.problem((*prefix, "@odata.context"), _("a Graph response of {entity}, not of GET /users "
                                                                     "($metadata#users)").format(entity=repr(entity or context)))
            found = _GRAPH_VERSION.match(context)
            version = version or (found[1] if found else None)
        out.append(((*prefix, "value"), users))
    last = pages[-1][1]
    return out, version, isinstance(last, dict) and isinstance(last.get("@odata.nextLink"), str)


def _tenant(identities) -> str | None:
    """The tenant's domain, where the export selected identities: the issuer of the user principal name."""
    if identities.__class__ is list:
        for identity in identities:
            if identity.__class__ is dict and identity.get("signInType") == "userPrincipalName":
                issuer = identity.get("issuer")
                return issuer if issuer.__class__ is str and issuer else None
    return None


def _no_upn(user: dict, key: str) -> str:
    if "profile" in user and "status" in user:
        return _("no userPrincipalName: this looks like an Okta users list (import it as okta-users)")
    return _("no {key}: every Graph user has one; export it ({select})").format(key=key, select=ENTRA_SELECT)


# ------------------------------------------------------------------------------------------------------------ Okta


def _okta(source: _Source, ids: IdentityMap) -> Observed:
    users = source.doc
    if users.__class__ is not list:
        if isinstance(users, dict) and "value" in users:
            raise source.problem((), _("expected the JSON array Okta's GET /api/v1/users returns, got {kind} (this looks "
                                       "like Microsoft Graph: import it as entra-users)").format(kind=value_kind(users)))
        raise source.problem((), _("expected the JSON array Okta's GET /api/v1/users returns, got {kind}").format(
            kind=value_kind(users)))
    org = next((_host(u) for u in users if u.__class__ is dict and _host(u)), None)
    out = Observed(tool="Okta users (Okta Users API JSON)", format_version=None,  # the body states no version
                   proxies=["handlers.granted_on"])  # the activation stands in for the grant: fills, never contradicts
    sid = _system(source, ids, out, (org, "okta"), org or "okta")
    accounts, handlers, seen, day, base = [], _Handlers(), set(), source.day, f"{source.file}#/"
    mapped = ids.handlers.get  # IdentityMap.handler's rule, the first name the map holds, without its generator
    for i, user in enumerate(users):
        if user.__class__ is not dict:
            raise source.problem((i,), _("expected a user object, got {kind}").format(kind=value_kind(user)))
        uid, status, profile = user.get("id"), user.get("status"), user.get("profile")
        if uid.__class__ is not str or status.__class__ is not str or profile.__class__ is not dict:
            raise _not_an_okta_user(source, user, (i,))
        if status not in OKTA_STATUSES:
            raise source.problem((i, "status"), _("unknown Okta status {status} (expected one of {known})").format(
                status=repr(status[:40]), known=", ".join(OKTA_STATUSES)))
        login = profile.get("login")
        if login.__class__ is not str or not login:
            raise source.problem((i, "profile"), _("no login in the profile: every Okta user has one"))
        if login in seen:
            raise source.problem((i,), _("user {user} listed twice: are two exports of the same pages joined?").format(user=repr(login)))
        seen.add(login)
        email, number = profile.get("email"), profile.get("employeeNumber")
        if (email is not None and email.__class__ is not str) or (number is not None and number.__class__ is not str):
            raise source.not_text(profile, (i, "profile"), ("email", "employeeNumber"))
        activated = day(user.get("activated"), (), i, "activated")
        if status in OKTA_BLOCKED:  # statusChanged: the day it was deactivated or suspended (null before mid-2013)
            revoked = day(user.get("statusChanged"), (), i, "statusChanged") or UNKNOWN
        elif user.get("transitioningToStatus") == "DEPROVISIONED":
            revoked = UNKNOWN  # being deactivated as exported: the day it completes is not in the export
        else:
            revoked = None  # can sign in, or will once activated: not revoked
        if sid is None:
            continue
        at = base + str(i)
        hid = mapped(number) or mapped(login) or mapped(email) or mapped(uid)
        if hid is None:
            out.unmapped.append(Unmapped(at, login, _UNMAPPED_USER))
            continue
        handlers.add(accounts, login, sid, hid, at, activated, UNKNOWN, revoked)
    handlers.fill(out, sid, accounts)
    _common_notes(out, "activated (its activated time; unknown where Okta left it null)")
    out.notes += [
        "left_on is unknown: an Okta user's profile holds no departure date.",
        "A DEPROVISIONED or SUSPENDED user is revoked on the day its status last changed (statusChanged).",
        "Okta lists DEPROVISIONED users only when asked (search=status eq \"DEPROVISIONED\"), and 200 users a page: "
        "a handler missing from this export is not observed, which says nothing of their access.",
    ]
    return out


def _not_an_okta_user(source: _Source, user: dict, parts: tuple):
    for key, expected in (("id", str), ("status", str), ("profile", dict)):
        value = user.get(key)
        if value is None:
            if "userPrincipalName" in user:
                return source.problem(parts, _("no {key}: every Okta user has an id, a status and a profile (this looks "
                                               "like Microsoft Graph: import it as entra-users)").format(key=key))
            return source.problem(parts, _("no {key}: every Okta user has an id, a status and a profile").format(key=key))
        if value.__class__ is not expected:
            if expected is dict:
                return source.problem((*parts, key), _("expected an object, got {kind}").format(kind=value_kind(value)))
            return source.problem((*parts, key), _("expected text, got {kind}").format(kind=value_kind(value)))
    raise AssertionError("called for a user that is well formed")


def _host(user: dict) -> str | None:
    """The Okta org's host, from the user's own link (https://ORG.okta.com/api/v1/users/ID)."""
    links = user.get("_links")
    link = links.get("self") if links.__class__ is dict else None
    href = link.get("href") if link.__class__ is dict else None
    host = href[8:].split("/", 1)[0] if href.__class__ is str and href.startswith("https://") else ""
    return host if _HOST.fullmatch(host) else None  # not "{yourOktaDomain}", as Okta's documentation writes it
