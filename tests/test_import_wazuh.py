"""`pipa-audit import wazuh-alerts`: Wazuh's alerts.json lines become each system's alerts (reviewed_at unknown),
its intrusion detection and, only from an anti-malware engine's own alerts, its malware protection."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from compliance.observed import read_document
from tests.conftest import ROOT, cli, write

SAMPLE = ROOT / "tests" / "data" / "import" / "wazuh" / "alerts.json"
REAL = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]


def alert(agent: str = "web-01", agent_id: str = "001", level: int = 10, rule_id: str = "5712",
          description: str | None = None, stamp: str = "2025-06-11T02:14:00.123+0900",
          alert_id: str | None = None) -> dict:
    """A line shaped as Wazuh wrote the real sample's sshd alert, with the fields a test varies."""
    line = copy.deepcopy(REAL[2])
    line["timestamp"] = stamp
    line["agent"] = {"id": agent_id, "name": agent, "ip": "10.0.0.5"}
    line["rule"]["level"], line["rule"]["id"] = level, rule_id
    if description:
        line["rule"]["description"] = description
    line["id"] = alert_id or f"1749575640.{len(json.dumps(line))}"
    return line


def run(tmp_path: Path, source: Path, systems: dict[str, str]):
    lines = "".join(f"  {json.dumps(k)}: {v}\n" for k, v in systems.items())
    mapping = write(tmp_path, "ids.yaml", "systems:\n" + lines)
    out = tmp_path / "observed.json"
    return cli("import", "wazuh-alerts", source, "--map", mapping, "-o", out), out


def imported(tmp_path: Path, lines: list, systems: dict[str, str] | None = None):
    source = tmp_path / "alerts.json"
    source.write_text("".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines), encoding="utf-8")
    result, out = run(tmp_path, source, {"web-01": "sys-shop"} if systems is None else systems)
    assert result.returncode == 0, result.stderr
    return read_document(out)


# ---------------------------------------------------------------------------------------------- the real sample


def test_real_sample_through_the_cli(tmp_path):
    result, out = run(tmp_path, SAMPLE, {"vpc-agent-debian": "sys-shop", "005": "sys-shop"})  # by name, by agent id
    assert result.returncode == 0, result.stderr
    doc = read_document(out)
    assert doc.kind == "wazuh-alerts" and doc.tool == "Wazuh alerts (alerts.json)" and doc.format_version is None
    assert doc.systems == {"sys-shop": {
        "alerts": [
            {"id": "1531224328.283446", "raised_at": "2018-07-10T14:05:28.452-08:00",
             "kind": "Integrity checksum changed. (rule 550, level 7)", "reviewed_at": "unknown",
             "_at": "alerts.json:1"},
            {"id": "1531323832.103575", "raised_at": "2018-07-11T17:43:52.914+02:00",
             "kind": "Integrity checksum changed. (rule 550, level 7)", "reviewed_at": "unknown",
             "_at": "alerts.json:2"},
        ],
        "intrusion_detection": True,
        "_at": {"intrusion_detection": "alerts.json:1"},
    }}
    assert [(u.at, u.identity, u.reason) for u in doc.unmapped] == [(
        "alerts.json:3", "localhost.localdomain",
        "agent 000 maps to no system in the identity map: 1 alert (1 of level 7 or above) not imported")]
    assert "alerts.json:3: localhost.localdomain: agent 000 maps to no system" in result.stderr
    assert "2 rows from" in result.stderr and "1 unmapped" in result.stderr
    assert any("does not say whether anyone reviewed an alert or followed it up" in n for n in doc.notes)


def test_real_sample_without_a_map_lists_each_agent_once(tmp_path):
    result, out = run(tmp_path, SAMPLE, {})
    doc = read_document(out)
    assert doc.systems == {}
    assert [(u.at, u.identity) for u in doc.unmapped] == [
        ("alerts.json:1", "vpc-agent-debian"), ("alerts.json:2", "vpc-agent-win"),
        ("alerts.json:3", "localhost.localdomain")]


# ---------------------------------------------------------------------------------------------- alerts


def test_an_unmapped_agent_is_one_entry_with_its_count_not_one_per_line(tmp_path):
    lines = [alert(agent="db-09", agent_id="009", level=level) for level in (3, 3, 10, 5, 12)] + [alert()]
    doc = imported(tmp_path, lines)
    assert [(u.at, u.identity, u.reason) for u in doc.unmapped] == [(
        "alerts.json:1", "db-09",
        "agent 009 maps to no system in the identity map: 5 alerts (2 of level 7 or above) not imported")]
    assert [a["_at"] for a in doc.systems["sys-shop"]["alerts"]] == ["alerts.json:6"]


def test_only_alerts_of_level_7_or_above_are_listed_the_rest_counted(tmp_path):
    lines = [alert(level=3, alert_id="a3"), alert(level=6, alert_id="a6"), alert(level=7, alert_id="a7"),
             alert(level=12, alert_id="a12")]
    del lines[0]["rule"]["level"]  # Wazuh leaves a level of 0 out
    doc = imported(tmp_path, lines)
    assert [a["id"] for a in doc.systems["sys-shop"]["alerts"]] == ["a7", "a12"]
    assert "sys-shop: 2 alerts below level 7 counted but not listed (4 alerts in all)." in doc.notes
    assert doc.systems["sys-shop"]["_at"]["intrusion_detection"] == "alerts.json:1"  # low levels still show detection


def test_offsets_get_their_colon_and_the_kind_names_rule_and_level(tmp_path):
    doc = imported(tmp_path, [alert(stamp="2025-06-11T02:14:00.123+0900"), alert(stamp="2025-06-11T02:14:00-0330"),
                              alert(stamp="2025-06-10T17:14:00.123Z",
                                    description="Multiple web server 400 error codes")])
    rows = doc.systems["sys-shop"]["alerts"]
    assert [r["raised_at"] for r in rows] == ["2025-06-11T02:14:00.123+09:00", "2025-06-11T02:14:00-03:30",
                                              "2025-06-10T17:14:00.123+00:00"]
    assert rows[2]["kind"] == "Multiple web server 400 error codes (rule 5712, level 10)"


def test_review_is_unknown_never_absent_and_follow_up_is_left_out(tmp_path):
    """reviewed_at absent would say nobody reviewed the alert: the file cannot tell, so it is 'unknown'."""
    doc = imported(tmp_path, [alert()])
    (row,) = doc.systems["sys-shop"]["alerts"]
    assert row["reviewed_at"] == "unknown" and "followed_up" not in row


def test_an_alert_without_its_id_is_named_by_time_and_rule(tmp_path):
    line = alert()
    del line["id"]
    doc = imported(tmp_path, [line])
    assert doc.systems["sys-shop"]["alerts"][0]["id"] == "2025-06-11T02:14:00.123+0900 rule 5712"


# ---------------------------------------------------------------------------------------------- anti-malware


def test_malware_protection_only_from_an_engine_at_work_on_every_agent_of_the_system(tmp_path):
    clam_updated = alert(level=3, rule_id="52507", description="ClamAV database update")
    defender_ok = alert(agent="web-02", agent_id="002", level=3, rule_id="62130",
                        description="Windows Defender: Antimalware definitions updated successfully")
    systems = {"web-01": "sys-shop", "web-02": "sys-shop"}
    doc = imported(tmp_path, [alert(), clam_updated, defender_ok], systems)
    assert doc.systems["sys-shop"]["server_malware_protection"] is True
    assert doc.systems["sys-shop"]["_at"]["server_malware_protection"] == "alerts.json:3"
    doc = imported(tmp_path, [alert(), clam_updated, alert(agent="web-02", agent_id="002")], systems)
    assert "server_malware_protection" not in doc.systems["sys-shop"]
    assert "sys-shop: server_malware_protection left unknown: web-02 raised no anti-malware alert." in doc.notes


def test_an_engine_that_stopped_last_leaves_the_fact_unknown_not_false(tmp_path):
    doc = imported(tmp_path, [alert(level=3, rule_id="62151"), alert(level=5, rule_id="62152")])
    assert "server_malware_protection" not in doc.systems["sys-shop"]
    assert ("sys-shop: server_malware_protection left unknown: the last anti-malware alert of web-01 "
            "(rule 62152 at alerts.json:2) says the engine stopped.") in doc.notes
    doc = imported(tmp_path, [alert(level=5, rule_id="62152"), alert(level=3, rule_id="62151")])
    assert doc.systems["sys-shop"]["server_malware_protection"] is True


def test_file_integrity_and_rootcheck_alerts_are_not_anti_malware(tmp_path):
    doc = imported(tmp_path, [alert(level=7, rule_id="550"), alert(level=7, rule_id="510"),
                              alert(level=12, rule_id="87105", description="VirusTotal: Alert")])
    assert "server_malware_protection" not in doc.systems["sys-shop"]


# ---------------------------------------------------------------------------------------------- bad input


def _lines(*lines) -> str:
    texts = (line if isinstance(line, str) else json.dumps(line, separators=(",", ":")) for line in lines)
    return "".join(text + "\n" for text in texts)


def _without(key: str) -> dict:
    line = alert()
    del line[key]
    return line


def _with(key: str, value) -> dict:
    line = alert()
    line[key] = value
    return line


BAD = {
    "not-json": (_lines(alert(), alert(), '{"timestamp":"2025-06-11T02:14:00.123+0900","rule":{'), 3, "not JSON ("),
    "not-an-object": (_lines(alert(), "[1, 2]"), 2, "not a Wazuh alert: expected a JSON object a line"),
    "no-timestamp": (_lines(alert(), _without("timestamp")), 2, "not a Wazuh alert: no 'timestamp'"),
    "no-rule": (_lines(_without("rule")), 1, "not a Wazuh alert: no 'rule'"),
    "wazuh-5-ecs": (_lines({"@timestamp": "2026-01-16T00:12:30Z", "wazuh": {}, "agent": {"id": "002"}}), 1,
                    "a Wazuh 5 (ECS) alert"),
    "ossec": (_lines({"rule": {"level": 7, "comment": "x", "sidid": 550}, "TimeStamp": 1531224328000}), 1,
              "an OSSEC alert (TimeStamp, rule.comment)"),
    "bad-timestamp": (_lines(_with("timestamp", "Jun 11 02:14:00")), 1, "timestamp: expected Wazuh's"),
    "level-as-text": (_lines(alert(), _with("rule", {"level": "high", "id": "5712"})), 2,
                      "rule: expected an object with a whole-number level"),
    "no-agent": (_lines(_without("agent")), 1, "agent: expected an object with the agent's name or id"),
    "agent-id-not-text": (_lines(_with("agent", {"name": "web-01", "id": [1]})), 1, "agent: expected an object"),
    "rule-id-not-text": (_lines(_with("rule", {"level": 10, "id": ["5712"]})), 1, "rule.id: expected text"),
    "not-utf8": ('{"timestamp":"2025-06-11T02:14:00.123+0900","rule":{"description":"\xff"}}\n', 1, "not UTF-8 text"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_line_is_one_located_line_exit_2_and_no_output(tmp_path, kind):
    text, line, message = BAD[kind]
    source = tmp_path / "alerts.json"
    source.write_bytes(text.encode("latin-1") if kind == "not-utf8" else text.encode("utf-8"))
    result, out = run(tmp_path, source, {"web-01": "sys-shop"})
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{source}:{line}: ") and message in lines[0], lines
    assert "Traceback" not in result.stderr and not out.exists()


def test_blank_lines_are_skipped_and_line_numbers_kept(tmp_path):
    source = tmp_path / "alerts.json"
    source.write_text("\n" + _lines(alert()) + "\n" + _lines(alert(alert_id="x")), encoding="utf-8")
    result, out = run(tmp_path, source, {"web-01": "sys-shop"})
    assert [a["_at"] for a in read_document(out).systems["sys-shop"]["alerts"]] == ["alerts.json:2", "alerts.json:4"]


def test_an_empty_file_has_no_alerts(tmp_path):
    doc = imported(tmp_path, [])
    assert doc.systems == {} and doc.unmapped == []
