"""Text from users and files, printed so it cannot act on a terminal: every message of the CLI goes through
:func:`inert`. A module of its own (``compliance.located`` re-exports it) because a usage error prints its line before
anything else loads: ``located`` builds its problem types with ``dataclasses``, 5 ms that ``--help`` and usage errors
do not pay."""

from __future__ import annotations


def inert(text: str) -> str:
    """``text`` safe to print on one terminal line: control and format characters (escape
    sequences, newlines, bidi overrides, NUL), line separators and undecodable bytes are shown
    as ``\\xNN``/``\\uNNNN`` escapes instead of acting on the terminal or splitting the line."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        out.append(ch if ch.isprintable() or ch == " " else escaped(ch))
    return "".join(out)


def escaped(ch: str) -> str:
    """One character as the escape Python would write for it: ``\\x1b``, ``\\u202e``, ``\\U0010fffe``."""
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
