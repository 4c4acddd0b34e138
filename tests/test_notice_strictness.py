"""Issue 20, the notice's part: each verdict rests on what the provision says, a reading beyond it is named as one and
never what fails the control, and silence is never a pass.

- Art 5(5): the password rule's floor is the PIPC guide's own example (8 characters with 2 classes, 10 with 1), a
  parameter naming its source; the stricter ISMS-P example fails nothing; default or weak passwords in use fail.
- Art 7(1): a password hashed with MD5 or unsalted SHA-1 is not safe one-way encryption; an unlisted algorithm, or a
  fast hash whose salting is not stated, is insufficient evidence.
- Network and security devices (systems[].kind): judged where the notice reaches them (Arts 2(8), 2(11), 5(5), 6(2),
  7(1), 9), not by the processing-system duties (access records, idle time-out...).
- Art 9(1) item 2: malware found and not removed by the as-of date fails.
- Personal-data files outside the systems (data_stores): Art 6(3) sharing, Art 7(5) encryption on devices; an empty
  inventory needs a recent search or its report.
- Art 6(1) no longer fails on internet separation, reads without authentication (Art 6(3) now) or alerts that flag no
  leak attempt; Art 7(3) allows the item 2 option for non-RRN identifiers in the internal network.
- Deferrals of the 2023-6 addendum: Art 16(5) for user agencies, the data-subject part of Art 5(6) for former 2021-2
  processors.
- The ISMS-P crosswalk: notice/7.4 under 2.10.5, pipa/23.2 under 3.1.4, no criterion id with stray whitespace.
"""

from __future__ import annotations

import re

import pytest
import yaml

from compliance.catalog import load_catalogs
from compliance.examples import write_example
from compliance.pipeline import audit

from .conftest import CATALOGS


def _control(tmp_path, fragment: dict, control: str, name: str = "facts"):
    facts = write_example(fragment, tmp_path / name)
    return next(c for c in audit(facts, CATALOGS).controls if c.id == control)


def _check(result, check_id: str):
    return next(ch for ch in result.checks if ch.id == check_id)


@pytest.fixture(scope="module")
def notice():
    return next(c for c in load_catalogs(CATALOGS) if c.meta.id == "pipc-notice")


# ------------------------------------------------------------------------------------------------ Art 7(1): algorithms


def _passwords(**datum) -> dict:
    return {"systems": [{"id": "s1", "password_storage": "one-way-hash",
                         "auth_data": [{"kind": "password", "storage": "one-way-hash", **datum}]}]}


@pytest.mark.parametrize("datum, verdict", [
    ({"algorithm": "MD5"}, "non-compliant"),
    ({"algorithm": "md5", "salted": True}, "non-compliant"),  # a salt does not save a broken function
    ({"algorithm": "SHA-1", "salted": False}, "non-compliant"),
    ({"algorithm": "Base64"}, "non-compliant"),  # an encoding is no encryption
    ({"algorithm": "MD5", "assessed_safe": True}, "non-compliant"),  # a listed unsafe algorithm fails whatever is said
    ({"algorithm": "bcrypt"}, "compliant"),
    ({"algorithm": "Md5"}, "non-compliant"),  # names compare in any case: no spelling escapes the list
    ({"algorithm": "BCRYPT"}, "compliant"),
    ({"algorithm": "argon2id"}, "compliant"),
    ({"algorithm": "PBKDF2"}, "compliant"),
    ({"algorithm": "SHA-256", "salted": True}, "compliant"),
    ({"algorithm": "SHA-256"}, "insufficient-evidence"),  # salting not stated
    ({"algorithm": "SHA-256", "salted": False}, "insufficient-evidence"),  # not forbidden by the notice: a review decides
    ({"algorithm": "SHA-256", "salted": False, "assessed_safe": True}, "compliant"),
    ({"algorithm": "SHA-1", "salted": True}, "insufficient-evidence"),
    ({"algorithm": "SHA-1"}, "insufficient-evidence"),
    ({"algorithm": "homegrown-hash-v2"}, "insufficient-evidence"),  # unknown algorithm: never a pass
    ({"algorithm": "homegrown-hash-v2", "assessed_safe": True}, "compliant"),
    ({"algorithm": "homegrown-hash-v2", "assessed_safe": False}, "non-compliant"),
    ({}, "insufficient-evidence"),  # no algorithm stated
])
def test_password_hash_algorithm_is_judged_against_the_catalog_lists(tmp_path, datum, verdict):
    got = _control(tmp_path, _passwords(**datum), "notice/7.1")
    assert got.verdict == verdict, [(ch.id, ch.status, [m.path for m in ch.missing]) for ch in got.checks]
    assert _check(got, "passwords-one-way").status == "pass"  # one-way it is: the algorithm is what is judged


def test_an_md5_store_names_the_system_and_a_stated_hash_without_auth_data_lacks_evidence(tmp_path):
    got = _control(tmp_path, _passwords(algorithm="MD5"), "notice/7.1")
    assert [o.id for o in _check(got, "password-hash-algorithm-safe").offenders] == ["s1"]
    legacy = _control(tmp_path, {"systems": [{"id": "s1", "password_storage": "one-way-hash"}]}, "notice/7.1", "legacy")
    assert legacy.verdict == "insufficient-evidence"  # 'hashed' alone no longer passes: which algorithm?
    assert [m.path for m in _check(legacy, "password-hash-algorithm-safe").missing] == ["systems[].auth_data"]


def test_passwords_on_a_device_are_judged_too(tmp_path):
    fragment = {"systems": [{"id": "vpn", "kind": "vpn-gateway", "password_storage": "one-way-hash",
                             "auth_data": [{"kind": "password", "storage": "one-way-hash", "algorithm": "MD5"}]}]}
    assert _control(tmp_path, fragment, "notice/7.1").verdict == "non-compliant"


def test_the_algorithm_lists_name_their_sources(notice):
    means = {name: (d.means.ko + d.means.en) for name, d in notice.defs.items()}
    for name in ("unsafe_password_hashes", "sha1_password_hashes", "hashes_needing_salt"):
        assert "안내서" in means[name] and ("this catalog's reading" in means[name] or "본 카탈로그의 판단 기준" in means[name]), name
    assert "암호 알고리즘 및 키 길이 이용 안내서" in means["unsafe_password_hashes"]
    assert "NIST SP 800-132" in means["salted_password_hashes"]


# ------------------------------------------------------------------------------------------------ Art 5(5)


def _policy(length: int, classes: int) -> dict:
    return {"password_policy": {"min_length": length, "min_char_classes": classes},
            "systems": [{"id": "s1", "default_credentials_active": False, "weak_passwords_found": 0}],
            "secrets": [{"id": "db", "kind": "db-credential", "location": "vault", "plaintext": False}]}


@pytest.mark.parametrize("length, classes, verdict", [
    (8, 2, "compliant"),  # the PIPC guide's example: not failed on the notice (ISMS-P's 10/2 or 8/3 is not applied)
    (10, 1, "compliant"),
    (9, 1, "non-compliant"),
    (7, 4, "non-compliant"),
])
def test_password_rule_floor_is_the_pipc_guides_example(tmp_path, length, classes, verdict):
    got = _control(tmp_path, _policy(length, classes), "notice/5.5")
    assert got.verdict == verdict, [(ch.id, ch.status) for ch in got.checks]


def test_the_password_floor_is_a_parameter_naming_its_real_source(notice):
    two, one = notice.defs["password_min_length_two_classes"], notice.defs["password_min_length_one_class"]
    assert (two.expr, one.expr) == ("8", "10")
    assert "2020. 12." in two.means.ko and "itstarter.tistory.com/818" in two.means.ko
    assert "ISMS-P" in two.means.ko and "not applied" in two.means.en  # the stricter example is named, and not used
    check = next(c for c in notice.controls if c.control.id == "notice/5.5").checks[0].check
    assert "password_min_length_two_classes" in check.expect and "본 카탈로그의 판단 기준" in check.description.ko
    assert "PIPC guide's example rule" not in check.description.en  # the old mislabel


@pytest.mark.parametrize("device, verdict", [
    ({"default_credentials_active": True, "weak_passwords_found": 0}, "non-compliant"),
    ({"default_credentials_active": False, "weak_passwords_found": 3}, "non-compliant"),
    ({"default_credentials_active": False, "weak_passwords_found": 0}, "compliant"),
    ({"weak_passwords_found": 0}, "insufficient-evidence"),  # unknown, never a pass
])
def test_default_or_weak_credentials_in_use_fail(tmp_path, device, verdict):
    fragment = _policy(12, 3)
    fragment["systems"].append({"id": "fw", "kind": "firewall", **device})
    got = _control(tmp_path, fragment, "notice/5.5")
    assert got.verdict == verdict
    if verdict == "non-compliant":
        assert [o.id for o in _check(got, "no-default-or-weak-credentials").offenders] == ["fw"]


# ------------------------------------------------------------------------------------------------ devices


def _vpn(methods: list[str], user_data: bool = True) -> dict:
    return {"systems": [{"id": "crm", "user_data": user_data, "remote_access": {"allowed": True, "methods": ["vpn", "otp"]}},
                        {"id": "vpn", "kind": "vpn-gateway", "reaches": ["crm"],
                         "remote_access": {"allowed": True, "methods": methods}}]}


def test_a_vpn_gateway_without_mfa_fails_the_access_control_control(tmp_path):
    got = _control(tmp_path, _vpn(["vpn", "password"]), "notice/6.2")
    assert got.verdict == "non-compliant"
    assert [o.id for o in _check(got, "gateway-safe-auth").offenders] == ["vpn"]
    assert _check(got, "remote-access-safe-auth").status == "pass"  # the device is not judged as a processing system
    assert _control(tmp_path, _vpn(["vpn", "otp"]), "notice/6.2", "otp").verdict == "compliant"
    # Art 6(2) proviso: the VPN alone is a safe access means where no system it reaches holds users' data
    non_users = _vpn(["vpn", "password"], user_data=False)
    non_users["systems"][0]["remote_access"] = {"allowed": True, "methods": ["vpn"]}
    assert _control(tmp_path, non_users, "notice/6.2", "non-users").verdict == "compliant"
    unknown = _vpn(["vpn", "password"])
    del unknown["systems"][1]["reaches"]
    assert _control(tmp_path, unknown, "notice/6.2", "unknown").verdict == "insufficient-evidence"


def test_processing_system_duties_do_not_reach_devices(tmp_path):
    fragment = {"organization": {"key_telecom_operator": False},
                "systems": [{"id": "s1", "subjects": 10, "unique_identifiers": False, "sensitive_data": False,
                             "access_log": {"retention_days": 400, "tamper_protected": True}, "session_timeout_minutes": 10,
                             "transit_encrypted": True},
                            {"id": "fw", "kind": "firewall"}, {"id": "console", "kind": "management-console"}]}
    for control in ("notice/8.1", "notice/8.3", "notice/6.4", "notice/7.4"):
        assert _control(tmp_path, fragment, control, control.replace("/", "-")).verdict == "compliant", control


def test_patching_reaches_devices(tmp_path):
    fragment = {"endpoints": {"max_patch_lag_days": 3},
                "systems": [{"id": "vpn", "kind": "vpn-gateway", "components": [{"name": "SSL VPN", "version": "9.1.0"}],
                             "vulnerabilities": [{"id": "CVE-2025-0002", "fix_available_on": "2025-06-01"}]}]}
    got = _control(tmp_path, fragment, "notice/9.2")
    assert got.verdict == "non-compliant" and [o.id for o in _check(got, "known-vulnerabilities-fixed").offenders] == ["vpn"]


def test_a_device_kind_named_in_reaches_must_exist(tmp_path):
    from compliance.loading import InputError

    with pytest.raises(InputError, match="no system or data store with id 'nowhere'"):
        audit(write_example({"systems": [{"id": "vpn", "kind": "vpn-gateway", "reaches": ["nowhere"]}]}, tmp_path), CATALOGS)


# ------------------------------------------------------------------------------------------------ Art 9(1) item 2


def _malware(found: list | None) -> dict:
    system = {"id": "web", "server_malware_protection": True}
    if found is not None:
        system["malware_found"] = found
    return {"endpoints": {"malware_protection": True, "malware_auto_update": True}, "systems": [system],
            "attestations": [{"control": "notice/9.1", "attester": "Park", "date": "2025-10-01", "attachment": "av", "met": True}],
            "attachments": [{"id": "av", "kind": "malware-response-log", "path": "evidence/av.csv"}]}


@pytest.mark.parametrize("found, verdict", [
    ([{"id": "ws", "kind": "web-shell", "found_on": "2025-10-05"}], "non-compliant"),  # found, never removed
    ([{"id": "ws", "kind": "web-shell", "found_on": "2025-10-05", "removed_on": "2025-12-20"}], "non-compliant"),  # after as_of
    ([{"id": "ws", "kind": "web-shell", "found_on": "2025-10-05", "removed_on": "2025-10-06"}], "compliant"),
    ([{"id": "ws", "kind": "web-shell", "found_on": "2025-10-05", "removed_on": "unknown"}], "insufficient-evidence"),
    ([], "compliant"),  # stated: none found
    (None, "insufficient-evidence"),  # not stated: unknown
])
def test_a_web_shell_found_and_not_removed_fails(tmp_path, found, verdict):
    got = _control(tmp_path, _malware(found), "notice/9.1")
    assert got.verdict == verdict, [(ch.id, ch.status) for ch in got.checks]


# ------------------------------------------------------------------------------------------------ data stores


def _stores(stores, scans=("2025-09-15",), attachments=()) -> dict:
    fragment = {"systems": [{"id": "s1", "web_exposure_checked": True, "read_requires_auth": True}],
                "endpoints": {"p2p_blocked": True, "sharing_restricted": True, "local_storage_encrypted": True},
                "handlers": [{"id": "h1", "systems": ["s1"]}]}
    if scans is not None:
        fragment["endpoints"]["personal_data_scans"] = list(scans)
    if stores is not None:
        fragment["data_stores"] = stores
    if attachments:
        fragment["attachments"] = list(attachments)
    return fragment


@pytest.mark.parametrize("stores, scans, attachments, verdict", [
    ([{"id": "share", "kind": "shared-drive", "shared_with_unauthorised": True}], ("2025-09-15",), (), "non-compliant"),
    ([{"id": "share", "kind": "shared-drive", "shared_with_unauthorised": True, "resolved_on": "2025-09-20"}],
     ("2025-09-15",), (), "compliant"),
    ([{"id": "share", "kind": "shared-drive"}], ("2025-09-15",), (), "insufficient-evidence"),
    ([], ("2025-09-15",), (), "compliant"),  # none found by a search within the year
    ([], ("2023-01-10",), (), "insufficient-evidence"),  # an old search: 'none' needs the search report, never fails
    ([], None, (), "insufficient-evidence"),
    ([], None, ({"id": "scan", "kind": "personal-data-scan-report", "path": "evidence/scan.pdf"},), "compliant"),
    (None, ("2025-09-15",), (), "insufficient-evidence"),  # no inventory stated: unknown
])
def test_personal_data_files_outside_the_systems_under_art_6_3(tmp_path, stores, scans, attachments, verdict):
    got = _control(tmp_path, _stores(stores, scans, attachments), "notice/6.3")
    assert got.verdict == verdict, [(ch.id, ch.status, [m.path for m in ch.missing]) for ch in got.checks]


def test_files_on_handlers_devices_must_be_encrypted_under_art_7_5(tmp_path):
    usb = {"id": "usb", "kind": "removable-media", "user_data": True, "encrypted": False}
    server = {"id": "fs", "kind": "file-server", "user_data": True, "encrypted": False}
    assert _control(tmp_path, _stores([usb]), "notice/7.5").verdict == "non-compliant"
    assert _control(tmp_path, _stores([server]), "notice/7.5", "server").verdict == "compliant"  # Art 6(3), not 7(5)
    assert _control(tmp_path, _stores([{**usb, "resolved_on": "2025-10-01"}]), "notice/7.5", "gone").verdict == "compliant"


# ------------------------------------------------------------------------------------------------ Art 6(1), 7(3)


def _system(**facts) -> dict:
    return {"systems": [{"id": "s1", "ip_restricted": True, "ip_leak_detection": True, **facts}]}


def test_art_6_1_rests_on_its_two_items(tmp_path):
    # an internal system not separated from the internet, read without authentication: not Art 6(1)'s duties
    loose = _system(network_zone="internal", internet_separated=False, read_requires_auth=False, intrusion_detection=False)
    got = _control(tmp_path, loose, "notice/6.1")
    assert got.verdict == "compliant" and {ch.id for ch in got.checks} == {"ip-restricted", "leak-attempts-detected",
                                                                            "leak-attempts-answered"}
    open_read = {**loose, "endpoints": {"p2p_blocked": True, "sharing_restricted": True}, "data_stores": [],
                 "attachments": [{"id": "scan", "kind": "personal-data-scan-report", "path": "evidence/scan.pdf"}]}
    open_read["systems"][0]["web_exposure_checked"] = True
    six_three = _control(tmp_path, open_read, "notice/6.3", "six-three")
    assert six_three.verdict == "non-compliant" and _check(six_three, "reading-requires-authentication").status == "fail"


@pytest.mark.parametrize("alert, verdict", [
    ({"id": "a1", "leak_attempt": True, "followed_up": False}, "non-compliant"),  # a leak attempt left unanswered
    ({"id": "a1", "leak_attempt": False, "followed_up": False}, "compliant"),  # an intrusion alert: not item 2's
    ({"id": "a1", "followed_up": False}, "insufficient-evidence"),  # which it was is not stated
    ({"id": "a1", "reviewed_at": "2025-06-11T09:00:00+09:00", "followed_up": True}, "compliant"),
])
def test_only_leak_attempts_need_an_answer_under_item_2(tmp_path, alert, verdict):
    assert _control(tmp_path, _system(intrusion_detection=True, alerts=[alert]), "notice/6.1").verdict == verdict


@pytest.mark.parametrize("facts, verdict", [
    ({"network_zone": "internal", "rrn": False, "identifiers_encryption_basis": "risk-analysis"}, "compliant"),
    ({"network_zone": "internal", "rrn": True, "rrn_encrypted": True, "identifiers_encryption_basis": "risk-analysis"}, "compliant"),
    ({"network_zone": "internal", "rrn": True, "rrn_encrypted": False, "identifiers_encryption_basis": "risk-analysis"}, "non-compliant"),
    ({"network_zone": "dmz", "rrn": False, "identifiers_encryption_basis": "risk-analysis"}, "non-compliant"),  # item 1
    ({"network_zone": "internal", "rrn": False, "identifiers_encryption_basis": "none"}, "non-compliant"),
    ({"network_zone": "internal", "rrn": False, "identifiers_encryption_basis": "impact-assessment"}, "non-compliant"),  # private
    ({"network_zone": "internal", "rrn": False}, "insufficient-evidence"),
])
def test_art_7_3_item_2_option_for_identifiers_other_than_rrn(tmp_path, facts, verdict):
    fragment = {"organization": {"kind": "private"},
                "systems": [{"id": "hr", "unique_identifiers": True, "user_data": False, "identifiers_encrypted": False, **facts}]}
    assert _control(tmp_path, fragment, "notice/7.3").verdict == verdict


def test_impact_assessment_is_the_public_bodies_option(tmp_path):
    fragment = {"organization": {"kind": "public"},
                "systems": [{"id": "hr", "unique_identifiers": True, "user_data": False, "identifiers_encrypted": False,
                             "network_zone": "internal", "rrn": False, "identifiers_encryption_basis": "impact-assessment"}]}
    assert _control(tmp_path, fragment, "notice/7.3").verdict == "compliant"


# ------------------------------------------------------------------------------------------------ deferrals


def _user_agency(as_of: str) -> dict:
    return {"as_of": as_of, "organization": {"kind": "public", "public_system_operator": False, "public_system_user_agency": True},
            "attestations": [{"control": "notice/16.5", "attester": "Jung", "date": "2024-03-01", "attachment": "doc", "met": False}],
            "attachments": [{"id": "doc", "kind": "public-system-record", "path": "evidence/doc.pdf"}]}


def test_user_agency_is_deferred_to_2024_09_15_under_art_16_5(tmp_path):
    early = _control(tmp_path, _user_agency("2024-03-31"), "notice/16.5")
    assert early.verdict == "not-applicable"
    assert "부칙 제3호" in early.not_applicable.ko and "user agencies" in early.not_applicable.en
    late = _control(tmp_path, {**_user_agency("2024-10-31"), "attestations": [
        {"control": "notice/16.5", "attester": "Jung", "date": "2024-10-01", "attachment": "doc", "met": False}]},
        "notice/16.5", "late")
    assert late.verdict == "non-compliant"


@pytest.mark.parametrize("as_of, ict, policy, verdict", [
    ("2024-03-31", False, {"lockout_after_failures": 5, "subject_lockout_after_failures": 0}, "compliant"),  # 2021-2: subjects deferred
    ("2024-03-31", False, {"lockout_after_failures": 0, "subject_lockout_after_failures": 5}, "non-compliant"),  # handlers' part in force
    ("2024-10-31", False, {"lockout_after_failures": 5, "subject_lockout_after_failures": 0}, "non-compliant"),
    ("2024-03-31", True, {"lockout_after_failures": 0}, "not-applicable"),  # 2021-3: the whole paragraph deferred
    ("2024-03-31", None, {"lockout_after_failures": 5, "subject_lockout_after_failures": 0}, "insufficient-evidence"),
])
def test_art_5_6_data_subject_part_deferred_for_former_2021_2_processors(tmp_path, as_of, ict, policy, verdict):
    org = {} if ict is None else {"ict_service_provider": ict}
    got = _control(tmp_path, {"as_of": as_of, "organization": org, "password_policy": policy}, "notice/5.6")
    assert got.verdict == verdict, [(ch.id, ch.status, [m.path for m in ch.missing]) for ch in got.checks]


# ------------------------------------------------------------------------------------------------ the ISMS-P crosswalk


def test_isms_p_crosswalk_corrections(catalogs):
    mapped = {ctl.control.id: set(ctl.control.mappings.get("isms-p", [])) for cat in catalogs for ctl in cat.controls}
    assert "2.10.5" in mapped["notice/7.4"] and "2.10.2" not in mapped["notice/7.4"]  # 정보전송 보안, not 클라우드 보안
    assert "3.1.4" in mapped["pipa/23.2"] and "3.1.5" not in mapped["pipa/23.2"]  # 민감정보, not 간접수집
    raw = (CATALOGS / "frameworks" / "isms-p.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(raw)
    names = {c["id"]: c["name"] for c in data["criteria"]}
    assert names["2.10.5"] == "정보전송 보안" and names["3.1.4"] == "민감정보 및 고유식별정보의 처리 제한"
    assert all(c["id"] == c["id"].strip() and re.fullmatch(r"\d+\.\d+\.\d+", c["id"]) for c in data["criteria"])
    assert all(k == k.strip() for k in data["mappings"])
    assert '"2.4.5"' in raw and not re.search(r'id: "\d+\.\d+\.\d+\s+"', raw)


def test_a_vpn_reaching_a_file_store_of_users_data_needs_more_than_a_password(tmp_path):
    """Golfzon 2024: the VPN (ID and password) reached a file server holding users' data — a data store, not a
    processing system: Art 6(2) reaches it too, and `reaches` may name it."""
    vpn = {"id": "vpn", "kind": "vpn-gateway", "reaches": ["fs"], "remote_access": {"allowed": True, "methods": ["vpn", "password"]}}
    store = {"id": "fs", "kind": "file-server", "user_data": True}
    assert _control(tmp_path, {"systems": [vpn], "data_stores": [store]}, "notice/6.2", "a").verdict == "non-compliant"
    staff = {**store, "user_data": False}
    assert _control(tmp_path, {"systems": [vpn], "data_stores": [staff]}, "notice/6.2", "b").verdict != "non-compliant"


def test_a_server_that_is_not_a_processing_system_still_needs_anti_malware(tmp_path):
    """Court administration 2025: an internet-facing server of another kind, without anti-malware (Art 9(1))."""
    web = {"id": "web", "kind": "other", "server_malware_protection": False}
    assert _control(tmp_path, {"systems": [web]}, "notice/9.1", "a").verdict == "non-compliant"
    firewall = {"id": "fw", "kind": "firewall"}
    result = _control(tmp_path, {"systems": [firewall]}, "notice/9.1", "b")
    assert not any(o.id == "fw" for ch in result.checks for o in ch.offenders)  # an appliance runs no anti-malware
