"""IP addresses as fixed-width numbers every SQL engine compares the same way.

An address becomes 32 hexadecimal digits of its 128-bit value (IPv4 as ``::ffff:a.b.c.d``), so ``BETWEEN`` on
strings orders exactly like the numbers on DuckDB, Spark and Trino alike (none of them shares an ``inet`` type,
and DuckDB's does not install offline). CIDR blocks become (low, high) pairs computed here, never in SQL.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from compliance.i18n import _

_V4_MAPPED = 0xFFFF << 32


@dataclass(frozen=True)
class Parsed:
    text: str  # canonical form (compressed IPv6, dotted IPv4)
    hex: str  # 32 hex digits of the 128-bit value
    net: str  # hex of the /24 (IPv4) or /64 (IPv6) it belongs to: "the same network" for concurrency checks
    repair: str = ""  # what was removed to read it (a port, a zone), reported as a repaired line


def to_hex(value: int) -> str:
    return f"{value:032x}"


def _value(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> int:
    return _V4_MAPPED | int(addr) if addr.version == 4 else int(addr)


def parse(text: str) -> Parsed:
    """Parse one address as exports write it; ValueError with the reason when it is not one."""
    raw = text.strip()
    repair = ""
    if not raw:
        raise ValueError("empty")
    if raw.startswith("["):  # [v6]:port
        end = raw.find("]")
        if end < 0:
            raise ValueError(f"not an IP address: {text!r}")
        if raw[end + 1 :]:
            if raw[end + 1] != ":":
                raise ValueError(f"not an IP address: {text!r}")
            repair = f"port {_port(raw[end + 2:], text)} removed"
        raw = raw[1:end]
    elif raw.count(":") == 1 and "." in raw:  # v4:port
        raw, port = raw.split(":")
        repair = f"port {_port(port, text)} removed"
    if "%" in raw:
        raw, zone = raw.split("%", 1)
        if not zone or not all(ch.isascii() and (ch.isalnum() or ch in "-_.") for ch in zone):
            raise ValueError(f"not an IP address: {text!r} (not a zone after %)")
        repair = f"zone {zone} removed"
    try:
        addr = ipaddress.ip_address(raw)
    except ValueError:
        raise ValueError(f"not an IP address: {text!r}") from None
    if addr.version == 6 and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    value = _value(addr)
    prefix = 24 if addr.version == 4 else 64
    mask = ((1 << 128) - 1) ^ ((1 << (128 - (prefix + (96 if addr.version == 4 else 0)))) - 1)
    return Parsed(str(addr), to_hex(value), to_hex(value & mask), repair)


def _port(port: str, text: str) -> str:
    """A port as exports append it: 0–65535 in at most five ASCII digits; anything else is no address (a 21-digit
    'port' would otherwise be removed, and the line kept, as if it were one)."""
    if not (0 < len(port) <= 5 and port.isascii() and port.isdigit() and int(port) <= 65535):
        raise ValueError(f"not an IP address: {text!r} ({port[:20]!r} is not a port number)")
    return port


def cidr_range(text: str) -> tuple[str, str]:
    """'10.0.0.0/8' → (low hex, high hex); ValueError with the reason."""
    try:
        net = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError as exc:
        raise ValueError(_("not a network: {network} ({error})").format(network=repr(text), error=exc)) from None
    low, high = _value(net.network_address), _value(net.broadcast_address)
    return to_hex(low), to_hex(high)


def from_hex(value: str) -> str:
    """Back to the canonical text (for examples in derived facts)."""
    n = int(value, 16)
    if n >> 32 == 0xFFFF:
        return str(ipaddress.IPv4Address(n & 0xFFFFFFFF))
    return str(ipaddress.IPv6Address(n))
