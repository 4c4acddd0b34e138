"""Wazuh's alerts file (``/var/ossec/logs/alerts/alerts.json``, Wazuh 4.x): alerts and detection per system.

One JSON object a line, as the manager's analysisd writes it: ``timestamp`` (``2022-05-11T12:29:19.905+0000``),
``rule.{id, level, description, groups}``, ``agent.{id, name, ip}``, ``manager.name``, ``id``, ``location``. An
agent maps to a system through the identity map (its name, else its id); an agent that maps to nothing is listed
once, with the count of its alerts, never dropped in silence.

Per system: ``alerts`` at or above ``LISTED_LEVEL`` (the lower levels are counted in the notes, not listed: a month
of level-3 noise would be a million rows nobody reviews); ``intrusion_detection`` true once an agent of the system
raised any alert; ``server_malware_protection`` true only when every agent of the system seen in the file last
reported an anti-malware engine at work (ClamAV, Windows Defender). Whether anyone reviewed or followed up an alert
is not in the file: ``reviewed_at`` is ``"unknown"`` and ``followed_up`` left out.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from compliance.i18n import _
from compliance.importers import IdentityMap, Observed, Unmapped
from compliance.loading import fail

LISTED_LEVEL = 7
"""Alerts listed as rows: level 7 and above. Wazuh's rules classification (documentation.wazuh.com, "Rules
classification") says of levels 2-5 that they have no security relevance by themselves, of 6 "low relevance attack",
and of 7 ("bad word" matching) that such events "may have some security relevance"; 12 and above are "high
importance". Below 7 an alert is counted, not listed."""

ANTI_MALWARE_AT_WORK = frozenset({
    "52502", "52505", "52506", "52507", "52508", "52511",  # ClamAV: virus detected, clamd restarted, database updated
    "62108", "62113", "62114", "62128", "62130", "62132",  # Windows Defender: scan finished, malware found or acted
    "62151", "62156", "62158",  # on, healthy, definitions or engine updated, real-time protection / scanning enabled
})
"""Stock Wazuh rules (ruleset/rules/0320-clam_av_rules.xml, 0600-win-wdefender_rules.xml) whose alert shows an
anti-malware engine installed and working on the agent."""

ANTI_MALWARE_STOPPED = frozenset({
    "52510",  # ClamAV: clamd stopped
    "62152", "62157", "62159",  # Windows Defender: real-time protection disabled, scanning disabled
})
"""Stock rules whose alert shows the engine stopped. Not a "false": a Defender that steps aside for another
anti-malware program reports itself disabled, so the fact is left unknown when this is an agent's last word."""

_ANTI_MALWARE = {**dict.fromkeys(ANTI_MALWARE_AT_WORK, True), **dict.fromkeys(ANTI_MALWARE_STOPPED, False)}
_TEXT = (str, type(None))
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:?\d\d|Z)")


def _stamp(value: str) -> str:
    """ISO 8601 with a colon in the offset (Wazuh writes ``+0900``, the facts model reads ``+09:00``)."""
    if value[-1] == "Z":
        return value[:-1] + "+00:00"
    return value if value[-3] == ":" else value[:-2] + ":" + value[-2:]


def _lines(data: bytes):
    """(line number, bytes) of each non-blank line, read without copying the whole file again."""
    for number, line in enumerate(io.BytesIO(data), 1):
        if line.strip():
            yield number, line


def read(data: bytes, name: str, ids: IdentityMap, kind: str, before=None) -> Observed:
    file = Path(name).name
    agents: dict[tuple, dict] = {}  # (name, id) -> what the file tells of that agent
    systems: dict[str, dict] = {}  # system id -> listed alerts, counts, agents
    decode = json.JSONDecoder().decode  # on text decoded here: json.loads would sniff each line's encoding again
    for number, line in _lines(data):
        try:
            alert = decode(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            if isinstance(exc, UnicodeDecodeError):
                raise fail(name, _("not UTF-8 text: expected one Wazuh alert (JSON) a line, as in alerts.json"),
                           number) from None
            raise fail(name, _("not JSON ({reason}): expected one Wazuh alert (JSON) a line, as in alerts.json").format(
                reason=getattr(exc, "msg", exc)), number) from None
        if not isinstance(alert, dict):
            raise fail(name, _("not a Wazuh alert: expected a JSON object a line, as in alerts.json"), number)
        stamp, rule, agent = alert.get("timestamp"), alert.get("rule"), alert.get("agent")
        if stamp is None or rule is None:
            raise fail(name, _not_wazuh(alert), number)
        if stamp.__class__ is not str or not _STAMP.fullmatch(stamp):
            raise fail(name, _("timestamp: expected Wazuh's 2022-05-11T12:29:19.905+0000 (got {value})").format(
                value=repr(str(stamp)[:40])), number)
        level = rule.get("level", 0) if rule.__class__ is dict else None  # Wazuh leaves the level out when it is 0
        if level.__class__ is not int:
            raise fail(name, _("rule: expected an object with a whole-number level"), number)
        key = (agent.get("name"), agent.get("id")) if agent.__class__ is dict else (None, None)
        if key[0].__class__ is not str and key[1].__class__ is not str or any(k.__class__ not in _TEXT for k in key):
            raise fail(name, _("agent: expected an object with the agent's name or id (text)"), number)
        seen = agents.get(key)
        if seen is None:
            sid = ids.system(*key)
            seen = agents[key] = {"sid": sid, "first": number, "alerts": 0, "listed": 0, "malware": None}
            if sid is not None:
                systems.setdefault(sid, {"alerts": [], "low": 0, "agents": [], "first": number})["agents"].append(key)
        seen["alerts"] += 1
        rule_id = rule.get("id")
        if rule_id.__class__ not in _TEXT:
            raise fail(name, _("rule.id: expected text such as \"5712\" (got {value})").format(value=repr(str(rule_id)[:40])),
                       number)
        at_work = _ANTI_MALWARE.get(rule_id)
        if at_work is not None:
            seen["malware"] = (at_work, number, rule_id)
        if level < LISTED_LEVEL:
            if seen["sid"] is not None:
                systems[seen["sid"]]["low"] += 1
            continue
        seen["listed"] += 1
        if seen["sid"] is None:
            continue
        description = rule.get("description")
        systems[seen["sid"]]["alerts"].append({
            "id": alert.get("id") if isinstance(alert.get("id"), str) else f"{stamp} rule {rule_id}",
            "raised_at": _stamp(stamp),
            "kind": f"{description if isinstance(description, str) else 'Wazuh alert'} (rule {rule_id}, level {level})",
            "reviewed_at": "unknown",  # the file cannot tell whether anyone looked; followed_up left out (unknown)
            "_at": f"{file}:{number}",
        })
    return _observed(file, agents, systems)


def _not_wazuh(alert: dict) -> str:
    """Why a JSON line is not a Wazuh 4 alert, naming the format it looks like."""
    if "@timestamp" in alert and "wazuh" in alert:
        return _("a Wazuh 5 (ECS) alert: this reads the Wazuh 4.x alerts.json lines, with 'timestamp' and 'rule'")
    if "TimeStamp" in alert:
        return _("an OSSEC alert (TimeStamp, rule.comment): this reads Wazuh 4.x alerts.json lines, with 'timestamp' "
                 "and 'rule'")
    missing = [k for k in ("timestamp", "rule") if alert.get(k) is None]
    if len(missing) == 2:
        return _("not a Wazuh alert: no 'timestamp and rule' (expected the lines of /var/ossec/logs/alerts/alerts.json)")
    return _("not a Wazuh alert: no '{key}' (expected the lines of /var/ossec/logs/alerts/alerts.json)").format(
        key=missing[0])


def _observed(file: str, agents: dict, systems: dict) -> Observed:
    observed = Observed(tool="Wazuh alerts (alerts.json)", format_version=None)
    for (agent_name, agent_id), seen in agents.items():
        if seen["sid"] is None:
            label = agent_name or agent_id
            observed.unmapped.append(Unmapped(
                f"{file}:{seen['first']}", label,
                f"agent {agent_id or '(no id)'} maps to no system in the identity map: {_n(seen['alerts'], 'alert')} "
                f"({seen['listed']} of level {LISTED_LEVEL} or above) not imported"))
    for sid, held in sorted(systems.items()):
        facts = observed.systems.setdefault(sid, {})
        at = observed.system_at.setdefault(sid, {})
        facts["alerts"] = held["alerts"]
        facts["intrusion_detection"] = True  # an agent of it raised alerts: Wazuh's analysis runs on its logs
        at["intrusion_detection"] = f"{file}:{held['first']}"
        states = [agents[key]["malware"] for key in held["agents"]]
        if all(s is not None and s[0] for s in states):
            facts["server_malware_protection"] = True
            at["server_malware_protection"] = f"{file}:{max(s[1] for s in states)}"
        elif any(s is not None for s in states):
            observed.notes.append(_malware_unknown(sid, held, agents, file))
        if held["low"]:
            observed.notes.append(
                f"{sid}: {_n(held['low'], 'alert')} below level {LISTED_LEVEL} counted but not listed "
                f"({held['low'] + len(held['alerts'])} alerts in all).")
    observed.notes += [
        "Wazuh's alerts.json does not say whether anyone reviewed an alert or followed it up: reviewed_at is "
        "'unknown' and followed_up left out; state them from the records of whoever handles the alerts.",
        f"Alerts are listed from level {LISTED_LEVEL} (Wazuh's rules classification: lower levels have no or low "
        "security relevance by themselves); lower levels are only counted.",
        "server_malware_protection is observed only from ClamAV and Windows Defender alerts (Wazuh's stock rules); "
        "syscheck (file integrity), rootcheck (rootkit signatures) and VirusTotal lookups are not an anti-malware "
        "program at work, and an agent without such alerts leaves the fact unknown.",
    ]
    return observed


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _malware_unknown(sid: str, held: dict, agents: dict, file: str) -> str:
    silent = [key[0] or key[1] for key in held["agents"] if agents[key]["malware"] is None]
    stopped = [f"{key[0] or key[1]} (rule {agents[key]['malware'][2]} at {file}:{agents[key]['malware'][1]})"
               for key in held["agents"] if agents[key]["malware"] is not None and not agents[key]["malware"][0]]
    parts = []
    if stopped:
        parts.append(f"the last anti-malware alert of {', '.join(stopped)} says the engine stopped")
    if silent:
        parts.append(f"{', '.join(silent)} raised no anti-malware alert")
    return f"{sid}: server_malware_protection left unknown: {'; '.join(parts)}."
