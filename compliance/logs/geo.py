"""Address → country, offline: the shipped special-purpose table, the user's table, or an RIR file.

No lookup ever goes to the network. Rows become ``geo(lo, hi, country, priority, prefix)`` for the SQL:
the user's entries (priority 0) win over the shipped ones (priority 1); within a priority the most specific
block wins (longest prefix).
"""

from __future__ import annotations

import csv
import ipaddress
from pathlib import Path

from compliance.i18n import _
from compliance.loading import InputError, Problem, read_text
from compliance.logs.addresses import cidr_range

SHIPPED = Path(__file__).parent / "data" / "ip_country.csv"


def _prefix(cidr: str) -> int:
    net = ipaddress.ip_network(cidr, strict=False)
    return net.prefixlen + (96 if net.version == 4 else 0)


def read_table(path: str | Path, priority: int, text: str | None = None) -> list[tuple[str, str, str, int, int]]:
    """CSV ``network,country`` (comment lines start with #) or an RIR delegated file (``registry|CC|ipv4|…``).

    ``text``: the file's content when the caller read it (``params.load``, under the attachment rules); a line that
    does not parse is named by its number and never quoted: the file is the user's, and an echo of its cells would
    turn a misnamed path into a way to read any file."""
    p = Path(path)
    if text is None:
        text = read_text(p)  # a regular file of bounded size, noted as an input of the run (the shipped table)
    rows, problems = [], []
    lines = text.splitlines()
    rir = any(line.count("|") >= 6 for line in lines[:50] if not line.startswith("#"))
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            if rir:
                parts = line.split("|")
                if len(parts) < 7 or parts[2] not in ("ipv4", "ipv6") or parts[1] in ("*", "") or parts[6] not in ("allocated", "assigned"):
                    continue
                if parts[2] == "ipv4":
                    count = int(parts[4])
                    start = ipaddress.IPv4Address(parts[3])
                    # an IPv4 record may not be a power of two: split into CIDR blocks
                    for net in ipaddress.summarize_address_range(start, start + count - 1):
                        lo, hi = cidr_range(str(net))
                        rows.append((lo, hi, parts[1].upper(), priority, net.prefixlen + 96))
                else:
                    cidr = f"{parts[3]}/{parts[4]}"
                    lo, hi = cidr_range(cidr)
                    rows.append((lo, hi, parts[1].upper(), priority, _prefix(cidr)))
            else:
                cells = next(csv.reader([line]))
                if cells[0].strip().lower() == "network":
                    continue
                if len(cells) < 2 or not cells[1].strip():
                    raise ValueError
                lo, hi = cidr_range(cells[0])
                rows.append((lo, hi, cells[1].strip(), priority, _prefix(cells[0])))
        except (ValueError, IndexError, ipaddress.AddressValueError, csv.Error):
            if rir:
                why = _("not an RIR record (registry|CC|ipv4 or ipv6|start|count or prefix|date|status)")
            else:
                why = _("not 'network,country' (an IPv4 or IPv6 network in CIDR form, then a country)")
            problems.append(Problem(str(p), n, why))
    if problems:
        raise InputError(problems[:20])
    return rows


def table(user_entries: list[tuple[str, str]] | None = None, user_file: tuple[str, str] | None = None):
    """The shipped table, the user's file (``(path as shown, text)``) and the user's entries of the parameters."""
    rows = read_table(SHIPPED, 1)
    if user_file:
        rows += read_table(user_file[0], 0, user_file[1])
    for cidr, country in user_entries or []:
        lo, hi = cidr_range(cidr)
        rows.append((lo, hi, country, 0, _prefix(cidr)))
    return rows
