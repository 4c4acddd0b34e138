"""Identity providers' user lists as observed facts (issue 18): Microsoft Entra ID (Graph GET /users) and Okta
(GET /api/v1/users) give each user's IdP account and its handler's dates as far as the IdP knows them; what it cannot
tell is "unknown", never left out, and a user or an IdP that maps to no id is listed, never dropped."""

import json

import pytest

from compliance.facts import Handler
from compliance.observed import read_document

from .conftest import ROOT, cli, write
from .test_cli import assert_input_error

SAMPLES = ROOT / "tests" / "data" / "import" / "identity"
GRAPH = SAMPLES / "graph-users.json"
GRAPH_FULL = SAMPLES / "graph-users-full.json"
OKTA = SAMPLES / "okta-users.json"
IDS = "systems: {entra: sys-sso, okta: sys-sso}\nhandlers: {}\n"
NONE_FIELDS = [k for k, f in Handler.model_fields.items() if (f.json_schema_extra or {}).get("absent") == "none"]


def imported(tmp_path, kind, source, ids: str | None = IDS):
    out = tmp_path / "observed.json"
    args = ["import", kind, source, "-o", out]
    if ids is not None:
        args += ["--map", write(tmp_path, "ids.yaml", ids)]
    return cli(*args), out


def observed(tmp_path, kind, source, ids: str = IDS):
    proc, out = imported(tmp_path, kind, source, ids)
    assert proc.returncode == 0, proc.stderr
    return read_document(out)  # what check reads: every row is valid for the facts model


def graph_page(*users, **page):
    context = "https://graph.microsoft.com/v1.0/$metadata#users"
    return json.dumps({"@odata.context": context, "value": list(users), **page}, indent=1)


def entra_user(n: int, **fields):
    return {"id": f"00000000-0000-0000-0000-00000000000{n}", "userPrincipalName": f"user{n}@contoso.com",
            "accountEnabled": True, "createdDateTime": "2024-03-04T01:00:00Z", **fields}


def okta_user(n: int, status="ACTIVE", **fields):
    return {"id": f"00u{n}", "status": status, "created": "2024-03-04T01:00:00.000Z",
            "activated": "2024-03-04T01:00:00.000Z", "statusChanged": "2024-03-04T01:00:00.000Z", "lastLogin": None,
            "profile": {"login": f"user{n}@example.com", "email": f"user{n}@example.com"}, **fields}


def handlers_of(doc):
    return {r["id"]: r for r in doc.lists["handlers"]}


# ---------------------------------------------------------------------------------------------- the real samples


def test_the_real_graph_page_gives_an_account_and_a_handler_per_mapped_user(tmp_path):
    proc, out = imported(tmp_path, "entra-users", GRAPH, IDS.replace("{}", "{Adams@contoso.com: h-1}"))
    assert proc.returncode == 0, proc.stderr
    doc = read_document(out)
    assert doc.kind == "entra-users" and doc.tool == "Microsoft Entra ID users (Microsoft Graph JSON)"
    assert doc.format_version == "v1.0" and doc.source.name == "graph-users.json"
    assert doc.lists["accounts"] == [
        {"id": "Adams@contoso.com", "system": "sys-sso", "holders": ["h-1"], "_at": "graph-users.json#/value/0"}]
    # GET /users without $select has no accountEnabled and no createdDateTime: not "enabled", not "granted never"
    assert doc.lists["handlers"] == [
        {"id": "h-1", "left_on": "unknown", "access_revoked_on": "unknown", "duties_changed_on": "unknown",
         "access_changed_on": "unknown", "trained_on": "unknown", "_at": "graph-users.json#/value/0"}]
    assert [(u.at, u.identity) for u in doc.unmapped] == [("graph-users.json#/value/1", "admin@contoso.com")]
    assert "2 rows" in proc.stderr and "1 unmapped" in proc.stderr
    assert "graph-users.json#/value/1: admin@contoso.com: no handler mapped" in proc.stderr
    assert any(n.startswith("accountEnabled is missing for 2 of 2 users") and "$select=" in n for n in doc.notes)
    assert any("not necessarily the day access to a processing system was granted" in n for n in doc.notes)
    assert any("last sign-in is not kept" in n for n in doc.notes)


def test_a_full_graph_user_gives_its_creation_day_as_seoul_counts_it(tmp_path):
    # the tenant's domain (the issuer of the user principal name) is the IdP's name when the map has it
    ids = ("systems: {w325q.onmicrosoft.com: sys-entra, entra: sys-other}\n"
           "handlers: {6bb70a30-124a-4666-b9b8-6ae178d4f791: h-3}\n")  # mapped by its object id
    doc = observed(tmp_path, "entra-users", GRAPH_FULL, ids)
    assert doc.format_version == "beta"
    assert doc.lists["accounts"] == [{"id": "ChrisAndersen@w325q.onmicrosoft.com", "system": "sys-entra",
                                      "holders": ["h-3"], "_at": "graph-users-full.json#/value/0"}]
    # created 2023-01-10T19:23:04Z is 04:23 on 11 January in Seoul; enabled: access_revoked_on absent (not revoked)
    assert doc.lists["handlers"] == [
        {"id": "h-3", "granted_on": "2023-01-11", "left_on": "unknown", "duties_changed_on": "unknown",
         "access_changed_on": "unknown", "trained_on": "unknown", "_at": "graph-users-full.json#/value/0"}]
    assert not doc.unmapped and not any("accountEnabled is missing" in n for n in doc.notes)


def test_the_real_okta_list_gives_activation_days_and_no_departure(tmp_path):
    ids = IDS.replace("{}", "{isaac.brock@example.com: h-1, eric.judy@example.com: h-2}")
    doc = observed(tmp_path, "okta-users", OKTA, ids)
    assert doc.tool == "Okta users (Okta Users API JSON)"
    assert doc.lists["accounts"] == [
        {"id": "isaac.brock@example.com", "system": "sys-sso", "holders": ["h-1"], "_at": "okta-users.json#/0"},
        {"id": "eric.judy@example.com", "system": "sys-sso", "holders": ["h-2"], "_at": "okta-users.json#/1"}]
    unknowns = {"duties_changed_on": "unknown", "access_changed_on": "unknown", "trained_on": "unknown"}
    assert doc.lists["handlers"] == [
        # STAGED, never activated: no grant day; not revoked (it was never blocked)
        {"id": "h-1", "left_on": "unknown", **unknowns, "_at": "okta-users.json#/0"},
        # activated 2013-06-24T16:39:19Z: the 25th in Seoul
        {"id": "h-2", "granted_on": "2013-06-25", "left_on": "unknown", **unknowns, "_at": "okta-users.json#/1"}]
    assert any("Okta lists DEPROVISIONED users only when asked" in n for n in doc.notes)


def test_the_okta_org_named_in_the_users_links_is_the_system_when_mapped(tmp_path):
    links = {"self": {"href": "https://acme.okta.com/api/v1/users/00u1"}}
    source = write(tmp_path, "users.json", json.dumps([okta_user(1, _links=links)]))
    ids = "systems: {acme.okta.com: sys-acme, okta: sys-other}\nhandlers: {00u1: h-1}\n"
    doc = observed(tmp_path, "okta-users", source, ids)
    assert [a["system"] for a in doc.lists["accounts"]] == ["sys-acme"]


# ------------------------------------------------------------------------------------------------------ identities


def test_an_idp_mapped_to_no_system_is_one_entry_and_no_rows(tmp_path):
    doc = observed(tmp_path, "entra-users", GRAPH_FULL, "handlers: {ChrisAndersen@w325q.onmicrosoft.com: h-3}\n")
    assert doc.lists == {}
    [entry] = doc.unmapped
    assert entry.at == "graph-users-full.json#" and entry.identity == "w325q.onmicrosoft.com"
    assert "'w325q.onmicrosoft.com' or 'entra'" in entry.reason and "systems:" in entry.reason
    doc = observed(tmp_path, "okta-users", OKTA, "handlers: {eric.judy@example.com: h-2}\n")
    assert doc.lists == {} and [(u.at, u.identity) for u in doc.unmapped] == [("okta-users.json#", "okta")]


def test_a_user_maps_by_employee_id_then_sign_in_name_then_mail_then_object_id(tmp_path):
    users = [entra_user(1, employeeId="E1", mail="m1@contoso.com"), entra_user(2, mail="m2@contoso.com"),
             entra_user(3, mail="m3@contoso.com"), entra_user(4), entra_user(5)]
    source = write(tmp_path, "users.json", graph_page(*users))
    ids = ("systems: {entra: sys-sso}\nhandlers: {E1: h-1, user1@contoso.com: h-wrong, user2@contoso.com: h-2, "
           "m3@contoso.com: h-3, 00000000-0000-0000-0000-000000000004: h-4}\n")
    doc = observed(tmp_path, "entra-users", source, ids)
    assert [(a["id"], a["holders"]) for a in doc.lists["accounts"]] == [
        ("user1@contoso.com", ["h-1"]), ("user2@contoso.com", ["h-2"]), ("user3@contoso.com", ["h-3"]),
        ("user4@contoso.com", ["h-4"])]
    # the unmapped user is named by its sign-in name only: no other personal data in the output
    assert [(u.at, u.identity) for u in doc.unmapped] == [("users.json#/value/4", "user5@contoso.com")]
    users = [okta_user(1, profile={"login": "l1", "email": "e1", "employeeNumber": "N1"}),
             okta_user(2, profile={"login": "l2", "email": "e2"}), okta_user(3)]
    source = write(tmp_path, "okta.json", json.dumps(users))
    ids = "systems: {okta: sys-sso}\nhandlers: {N1: h-1, l1: h-x, e2: h-2, 00u3: h-3}\n"
    doc = observed(tmp_path, "okta-users", source, ids)
    assert [a["holders"] for a in doc.lists["accounts"]] == [["h-1"], ["h-2"], ["h-3"]]


def test_two_accounts_of_one_person_are_one_handler_revoked_only_when_both_are(tmp_path):
    admin = entra_user(1, employeeId="E7", createdDateTime="2020-05-01T00:00:00Z", accountEnabled=False)
    own = entra_user(2, employeeId="E7", createdDateTime="2019-02-01T00:00:00Z",
                     employeeLeaveDateTime="2025-01-31T00:00:00Z")
    source = write(tmp_path, "users.json", graph_page(admin, own))
    ids = "systems: {entra: sys-sso}\nhandlers: {E7: h-7}\n"
    doc = observed(tmp_path, "entra-users", source, ids)
    assert [a["id"] for a in doc.lists["accounts"]] == ["user1@contoso.com", "user2@contoso.com"]
    [row] = doc.lists["handlers"]  # one person, one handler row: facts ids are unique
    assert row["granted_on"] == "2019-02-01" and row["left_on"] == "2025-01-31"
    assert "access_revoked_on" not in row  # the second account can still sign in
    own["accountEnabled"] = False
    write(tmp_path, "users.json", graph_page(admin, own))
    [row] = observed(tmp_path, "entra-users", source, ids).lists["handlers"]
    assert row["access_revoked_on"] == "unknown"  # both disabled, neither day known


# ------------------------------------------------------------------------------------------- the "unknown" rule


def test_every_did_not_happen_field_is_set_or_unknown_and_only_a_usable_account_leaves_revocation_out(tmp_path):
    users = [entra_user(1), entra_user(2, accountEnabled=False), entra_user(3),
             entra_user(4, employeeLeaveDateTime="2025-03-30T15:00:00Z"), entra_user(5, employeeLeaveDateTime=None)]
    users[2].pop("accountEnabled")
    source = write(tmp_path, "users.json", graph_page(*users))
    ids = "systems: {entra: sys-sso}\nhandlers: {" + ", ".join(f"user{n}@contoso.com: h-{n}" for n in range(1, 6))
    ids += "}\n"
    rows = handlers_of(doc := observed(tmp_path, "entra-users", source, ids))
    for hid, row in rows.items():
        for f in NONE_FIELDS:  # absent would say "did not happen": only access_revoked_on, and only when enabled
            assert f in row or (f == "access_revoked_on" and hid in ("h-1", "h-4", "h-5")), (hid, f)
    assert rows["h-2"]["access_revoked_on"] == "unknown"  # disabled; the day is only in the audit log
    assert rows["h-3"]["access_revoked_on"] == "unknown"  # not exported: unknown, never "enabled"
    assert rows["h-4"]["left_on"] == "2025-03-31"  # 15:00 UTC on the 30th is midnight of the 31st in Seoul
    assert rows["h-5"]["left_on"] == "unknown" and rows["h-1"]["left_on"] == "unknown"  # no HR date: not "stays"
    assert all(rows[h]["granted_on"] == "2024-03-04" for h in rows)
    assert any(n.startswith("accountEnabled is missing for 1 of 5 users") for n in doc.notes)


@pytest.mark.parametrize("status, fields, revoked", [
    ("DEPROVISIONED", {"statusChanged": "2024-05-01T16:00:00.000Z"}, "2024-05-02"),  # 01:00 on 2 May in Seoul
    ("DEPROVISIONED", {"statusChanged": None}, "unknown"),  # Okta left it null (users older than mid-2013)
    ("SUSPENDED", {"statusChanged": "2024-05-01T01:00:00.000Z"}, "2024-05-01"),
    ("ACTIVE", {"transitioningToStatus": "DEPROVISIONED"}, "unknown"),  # being deactivated as exported
    ("LOCKED_OUT", {}, None), ("PASSWORD_EXPIRED", {}, None), ("RECOVERY", {}, None), ("PROVISIONED", {}, None),
])
def test_an_okta_user_is_revoked_only_when_it_cannot_sign_in(tmp_path, status, fields, revoked):
    source = write(tmp_path, "users.json", json.dumps([okta_user(1, status, **fields)]))
    ids = "systems: {okta: sys-sso}\nhandlers: {user1@example.com: h-1}\n"
    [row] = observed(tmp_path, "okta-users", source, ids).lists["handlers"]
    assert row.get("access_revoked_on") == revoked
    assert row["left_on"] == "unknown" and row["granted_on"] == "2024-03-04"
    assert all(f in row for f in NONE_FIELDS if f != "access_revoked_on")


# ------------------------------------------------------------------------------------------- the shapes exports take


def test_a_plain_array_joined_pages_and_a_page_with_more_to_fetch(tmp_path):
    ids = "systems: {entra: sys-sso}\nhandlers: {user1@contoso.com: h-1, user2@contoso.com: h-2}\n"
    source = write(tmp_path, "az.json", json.dumps([entra_user(1), entra_user(2)], indent=2))  # az ad user list
    doc = observed(tmp_path, "entra-users", source, ids)
    assert [a["_at"] for a in doc.lists["accounts"]] == ["az.json#/0", "az.json#/1"]
    link = "https://graph.microsoft.com/v1.0/users?$skiptoken=X"
    pages = [json.loads(graph_page(entra_user(1), **{"@odata.nextLink": link})), json.loads(graph_page(entra_user(2)))]
    source = write(tmp_path, "pages.json", json.dumps(pages))
    doc = observed(tmp_path, "entra-users", source, ids)
    assert [a["_at"] for a in doc.lists["accounts"]] == ["pages.json#/0/value/0", "pages.json#/1/value/0"]
    assert not any("nextLink" in n for n in doc.notes)  # the last page has none: every page is here
    source = write(tmp_path, "first.json", graph_page(entra_user(1), **{"@odata.nextLink": link}))
    assert any("@odata.nextLink" in n for n in observed(tmp_path, "entra-users", source, ids).notes)


def test_graph_powershell_objects_in_utf16_are_read(tmp_path):
    # Get-MgUser | ConvertTo-Json | Out-File in Windows PowerShell: capitalised names, /Date(ms)/, UTF-16 with a BOM
    user = {"Id": "abc", "UserPrincipalName": "Kim@contoso.com", "AccountEnabled": False,
            "CreatedDateTime": "/Date(1673378584000)/", "EmployeeId": "E9"}
    source = tmp_path / "mg.json"
    source.write_bytes(json.dumps([user], indent=4).encode("utf-16"))
    doc = observed(tmp_path, "entra-users", source, "systems: {entra: sys-sso}\nhandlers: {E9: h-9}\n")
    [row] = doc.lists["handlers"]
    assert row["granted_on"] == "2023-01-11" and row["access_revoked_on"] == "unknown"  # 19:23:04 UTC on the 10th


# ----------------------------------------------------------------------------------------------------- bad input


def line_of(text: str, fragment: str, occurrence: int = 0) -> int:
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(fragment, at + 1)
    return text.count("\n", 0, at) + 1


FULL = GRAPH_FULL.read_text(encoding="utf-8")
SAMPLE = GRAPH.read_text(encoding="utf-8")
OKTA_TEXT = OKTA.read_text(encoding="utf-8")
CUT = SAMPLE[:SAMPLE.index('"Adams@contoso.com"', SAMPLE.index("userPrincipalName")) + 6]
GROUPS = SAMPLE.replace("$metadata#users", "$metadata#groups")
NO_UPN = SAMPLE.replace('"userPrincipalName": "admin@contoso.com",', "")
TWICE = SAMPLE.replace('"admin@contoso.com",\n            "id"', '"Adams@contoso.com",\n            "id"')
ENABLED = FULL.replace('"accountEnabled": true', '"accountEnabled": "yes"')
CREATED = FULL.replace('"createdDateTime": "2023-01-10T19:23:04Z"', '"createdDateTime": "10/01/2023 19:23"')
FEBRUARY = FULL.replace('"createdDateTime": "2023-01-10T19:23:04Z"', '"createdDateTime": "2023-02-30T19:23:04Z"')
EMPLOYEE = FULL.replace('"employeeId": null', '"employeeId": 42')
GROUP_MEMBER = FULL.replace('"deletedDateTime": null', '"@odata.type": "#microsoft.graph.group"')
STATUS = OKTA_TEXT.replace('"status": "ACTIVE"', '"status": "DELETED"')
NO_LOGIN = OKTA_TEXT.replace('"login": "eric.judy@example.com",', "")
NO_PROFILE = json.dumps([okta_user(1, profile=None)], indent=1)
CHANGED = json.dumps([okta_user(1, "DEPROVISIONED", statusChanged=1714579200)], indent=1)


@pytest.mark.parametrize("kind, text, line, message", [
    ("entra-users", "user,arn\nkim,arn:aws:iam::1:user/kim\n", 1, "invalid JSON"),
    ("entra-users", CUT, line_of(CUT, "userPrincipalName"), "invalid JSON: Unterminated string"),  # cut off in a string
    ("entra-users", '{"users": []}', 1, "/: not a Microsoft Graph users page (no 'value' list)"),
    ("entra-users", GROUPS, 2, "/@odata.context: a Graph response of 'groups', not of GET /users"),
    ("entra-users", NO_UPN, line_of(NO_UPN, "{", 2), "/value/1: no userPrincipalName"),
    ("entra-users", TWICE, line_of(TWICE, "{", 2), "/value/1: user 'Adams@contoso.com' listed twice"),
    ("entra-users", ENABLED, line_of(ENABLED, "accountEnabled"),
     "/value/0/accountEnabled: expected true or false, got text"),
    ("entra-users", CREATED, line_of(CREATED, "createdDateTime"), "/value/0/createdDateTime: not an ISO 8601 time"),
    ("entra-users", FEBRUARY, line_of(FEBRUARY, "createdDateTime"),
     "/value/0/createdDateTime: not a calendar day: '2023-02-30'"),
    ("entra-users", EMPLOYEE, line_of(EMPLOYEE, "employeeId"), "/value/0/employeeId: expected text, got a number"),
    ("entra-users", GROUP_MEMBER, line_of(GROUP_MEMBER, "@odata.type"), "#microsoft.graph.group in a list of users"),
    ("entra-users", OKTA_TEXT, 2,
     "/0: no userPrincipalName: this looks like an Okta users list (import it as okta-users)"),
    ("okta-users", SAMPLE, 1,
     "/: expected the JSON array Okta's GET /api/v1/users returns, got an object (this looks like Microsoft Graph: "
     "import it as entra-users)"),
    ("okta-users", STATUS, line_of(STATUS, "DELETED"), "/1/status: unknown Okta status 'DELETED'"),
    ("okta-users", NO_LOGIN, line_of(NO_LOGIN, '"profile"', 1), "/1/profile: no login in the profile"),
    ("okta-users", NO_PROFILE, 2, "/0: no profile: every Okta user has an id, a status and a profile"),
    ("okta-users", CHANGED, line_of(CHANGED, "statusChanged"),
     "/0/statusChanged: expected a timestamp (text), got a number"),
    ("okta-users", '["00u1"]', 1, "/0: expected a user object, got text"),
])
def test_bad_input_is_one_located_line_and_no_output(tmp_path, kind, text, line, message):
    source = write(tmp_path, "users.json", text)
    proc, out = imported(tmp_path, kind, source)
    assert_input_error(proc, f"users.json:{line}: ", message)
    assert len(proc.stderr.strip().splitlines()) == 1 and not out.exists()


def test_bytes_that_are_not_text_are_refused(tmp_path):
    source = tmp_path / "users.json"
    source.write_bytes(b'{"value": [\x80]}')
    proc, out = imported(tmp_path, "entra-users", source)
    assert_input_error(proc, "users.json: not UTF-8 text (byte 11)")
    assert not out.exists()


def test_an_idp_account_date_fills_an_unknown_grant_but_never_contradicts_a_stated_one(tmp_path):
    """The IdP account's creation stands in for the grant of access (a proxy): it must not fail a control against a
    stated grant of access to the processing system. A departure date the HR field of the IdP shows is a fact."""
    import shutil

    from .conftest import ROOT as root

    shutil.copytree(root / "examples" / "clean-observed", tmp_path / "org")
    org = tmp_path / "org"
    users = [entra_user(1, employeeId="E1", createdDateTime="2020-01-01T00:00:00Z"),  # h-1 stated granted 2024-01-15
             entra_user(2, employeeId="E2", employeeLeaveDateTime="2025-06-30T00:00:00Z")]  # h-2 stated as not left
    write(org, "evidence/idp/users.json", graph_page(*users))
    ids = write(org, "idp-map.yaml", "systems: {entra: sys-booking}\nhandlers: {E1: h-1, E2: h-2}\n")
    proc = cli("import", "entra-users", org / "evidence/idp/users.json", "--map", ids, "-o", org / "evidence/observed/idp.json")
    assert proc.returncode == 0, proc.stderr
    facts = org / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").replace(
        "  - {path: evidence/observed/iam.json}", "  - {path: evidence/observed/iam.json}\n  - {path: evidence/observed/idp.json}"),
        encoding="utf-8")
    res = json.loads(cli("check", facts, "--format", "json", "--fail-on", "none").stdout)
    told = [(c["id"], o["values"]) for c in res["controls"] for ch in c["checks"] if ch["id"] == "stated-vs-observed"
            for o in ch["offenders"]]
    assert not any("granted_on (stated)" in v for _, v in told), told
    assert any(v.get("left_on (observed)") == "2025-06-30" and v.get("left_on (stated)") is None for _, v in told), told
