"""Waivers are judged by one module (compliance.waivers): validate and check refuse the same file with the same line."""

import shutil

import pytest

from .conftest import SEED, cli, write
from .test_cli import assert_input_error

WAIVER = "  - {{control: {cid}, owner: IAM team, justification: key rotation scheduled, approved_by: CISO, expires: 2026-01-31}}\n"


@pytest.mark.parametrize("controls, line, message", [
    # a control of the 2021 notice exists in the catalogs but is not in force on the facts' as-of date
    (["notice-2021-2/5-2"], 2, "waivers[0].control: no control 'notice-2021-2/5-2' in the catalogs in force"),
    # the same control twice, once by its former id: the second waiver would silently win or lose
    (["notice/5.2", "notice-2023-6/5-2"], 3, "waivers[1].control: second waiver for 'notice/5.2' (named by its former id"),
])
def test_validate_and_check_refuse_the_same_waivers_with_the_same_line(tmp_path, controls, line, message):
    shutil.copytree(SEED, tmp_path / "org")
    facts = tmp_path / "org" / "facts.yaml"
    waivers = write(tmp_path, "org/w.yaml", "waivers:\n" + "".join(WAIVER.format(cid=c) for c in controls))
    runs = [cli("validate", facts, waivers), cli("validate", waivers, facts), cli("check", facts, "--waivers", waivers)]
    for proc in runs:
        assert_input_error(proc, f"{waivers}:{line}: {message}")
    assert len({tuple(l for l in p.stderr.splitlines() if str(waivers) in l) for p in runs}) == 1


def test_a_justification_of_ten_characters_is_enough(tmp_path):
    shutil.copytree(SEED, tmp_path / "org")
    waivers = write(tmp_path, "org/w.yaml", "waivers:\n" + WAIVER.format(cid="notice/5.2").replace("key rotation scheduled", "ten chars!"))
    assert cli("validate", waivers).returncode == 0


def test_a_waivers_file_names_its_list(tmp_path):
    waivers = write(tmp_path, "w.yaml", "waivers:\n")
    assert_input_error(cli("validate", waivers), "waivers: Input should be a valid list")


def test_a_waiver_is_in_force_through_its_expiry_day(tmp_path):
    shutil.copytree(SEED, tmp_path / "org")
    facts = tmp_path / "org" / "facts.yaml"
    for expires, status in (("2025-11-30", "waived"), ("2025-11-29", "non-compliant")):  # the seed's as_of: 2025-11-30
        waivers = write(tmp_path, "org/w.yaml", "waivers:\n" + WAIVER.format(cid="notice/5.2").replace("2026-01-31", expires))
        proc = cli("check", facts, "--waivers", waivers, "--format", "json", "--fail-on", "none")
        assert proc.returncode == 0, proc.stderr
        import json

        got = {c["id"]: c["verdict"] for c in json.loads(proc.stdout)["controls"]}
        assert got["notice/5.2"] == status, expires


@pytest.mark.parametrize("waiver, line, message", [
    ("{control: notice/5.2, justification: key rotation scheduled, approved_by: CISO, expires: 2026-01-31}", 2,
     "waivers[0].owner: Field required"),
    ("{control: notice/5.2, owner: IAM, justification: key rotation scheduled, approved_by: '', expires: 2026-01-31}", 2,
     "waivers[0].approved_by: String should have at least 1 character"),
    ("{control: notice/5.2, owner: IAM, justification: key rotation scheduled, approved_by: C, granted_on: 2026-01-31, "
     "expires: 2026-01-31}", 2, "expires (2026-01-31) must be after granted_on (2026-01-31)"),
    ("{control: pipa/34.1, owner: IAM, justification: the notice went out late, approved_by: CISO, expires: 2026-01-31}", 2,
     "waivers[0].control: 'pipa/34.1' cannot be waived: A statutory notice or report deadline"),
    ("{control: notice/5.2, owner: IAM, justification: nine char, approved_by: CISO, expires: 2026-01-31}", 2,
     "waivers[0].justification: String should have at least 10 characters"),
    ("{control: notice/5.2, owner: IAM, justification: key rotation scheduled, approved_by: CISO}", 2, "waivers[0].expires: Field required"),
    ("{owner: IAM, justification: key rotation scheduled, approved_by: CISO, expires: 2026-01-31}", 2, "waivers[0].control: Field required"),
])
def test_a_waiver_nobody_owns_or_approved_or_that_ends_when_granted_waives_nothing(tmp_path, waiver, line, message):
    shutil.copytree(SEED, tmp_path / "org")
    waivers = write(tmp_path, "org/w.yaml", f"waivers:\n  - {waiver}\n")
    for proc in (cli("validate", waivers), cli("check", tmp_path / "org" / "facts.yaml", "--waivers", waivers)):
        assert_input_error(proc, f"{waivers}:{line}: ", message)
