"""Maintaining the Korean message catalog (developers only; needs Babel, from the ``test`` extra).

    python -m compliance.messages update [FRAGMENT.po ...]   # extract every _() id, keep/add Korean texts
    python -m compliance.messages compile                    # write the .mo that compliance.i18n reads

The catalog is one file, ``compliance/locale/ko/LC_MESSAGES/pipa-audit.po``: the English text in the code is the
message id, the Korean text is written once there. argparse's own words (usage, options, its usage errors) are kept
in the same catalog (``ARGPARSE``), since ``compliance.i18n.use`` points argparse's lookups at it.
"""

from __future__ import annotations

import datetime
import io
import re
import sys
from pathlib import Path

from compliance.i18n import DOMAIN, LOCALE_DIR

PACKAGE = Path(__file__).parent
PO = LOCALE_DIR / "ko" / "LC_MESSAGES" / f"{DOMAIN}.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "ngettext": (1, 2)}
HEADER = "# pipa-audit: Korean messages. The English id is in the code; each Korean text is written here once.\n" \
         "# Update with `python -m compliance.messages update`; never edit the .mo."
STAMP = datetime.datetime(2026, 12, 5, tzinfo=datetime.timezone.utc)

# argparse's ids a user can meet (help layout and usage errors), as its source spells them
ARGPARSE = (
    "usage: ", "positional arguments", "options", "show this help message and exit",
    "show program's version number and exit", "%(prog)s: error: %(message)s\n", "argument %(argument_name)s: %(message)s",
    "unrecognized arguments: %s", "the following arguments are required: %s", "one of the arguments %s is required",
    "not allowed with argument %s", "ignored explicit argument %r", "expected one argument",
    "expected at most one argument", "expected at least one argument", "ambiguous option: %(option)s could match %(matches)s",
    "invalid %(type)s value: %(value)r", "invalid choice: %(value)r (choose from %(choices)s)",
    "unexpected option string: %s",
)


def extracted() -> dict[str, list[str]]:
    """Every message id in the package's code -> the files that use it."""
    from babel.messages.extract import extract_from_dir

    found: dict[str, list[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(str(PACKAGE), keywords=KEYWORDS):
        for msgid in message if isinstance(message, tuple) else (message,):
            where = f"compliance/{filename}"
            found.setdefault(msgid, [])
            if where not in found[msgid]:
                found[msgid].append(where)
    from compliance.format_index import declared  # ids declared as data, shown through i18n.translate

    for fmt in declared().values():
        found.setdefault(fmt.summary, []).append("compliance/format_index.py")
    return found


def read(path: Path = PO):
    from babel.messages.pofile import read_po

    with open(path, "rb") as fh:
        return read_po(fh, locale="ko", domain=DOMAIN)


def compiled(catalog=None) -> bytes:
    from babel.messages.mofile import write_mo

    out = io.BytesIO()
    write_mo(out, catalog if catalog is not None else read())
    return out.getvalue()


def update(fragments: list[str]) -> list[str]:
    """Re-extract the ids; keep the Korean of ids still used, take new ones from ``fragments``; return ids still
    without Korean."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    known: dict[str, str] = {}
    sources = ([read()] if PO.exists() else []) + [read(Path(f)) for f in fragments]
    for catalog in sources:
        for message in catalog:
            if message.id and message.string:
                known.setdefault(message.id if isinstance(message.id, str) else message.id[0], message.string)
    fresh = Catalog(
        locale="ko", domain=DOMAIN, project="pipa-audit", version="", charset="utf-8", fuzzy=False, header_comment=HEADER,
        creation_date=STAMP, revision_date=STAMP, last_translator="pipa-audit", language_team="ko",
    )  # fixed header fields: the file changes only when a message does
    untranslated = []
    for msgid, files in sorted(extracted().items(), key=lambda kv: (kv[1][0], kv[0])):
        string = known.get(msgid, "")
        if not string:
            untranslated.append(msgid)
        flags = ["python-brace-format"] if re.search(r"\{\w+\}", msgid) else []
        fresh.add(msgid, string, locations=[(f, None) for f in files], flags=flags)
    for msgid in ARGPARSE:
        fresh.add(msgid, known.get(msgid, ""), auto_comments=["argparse"], flags=["python-format"] if "%" in msgid else [])
        if not known.get(msgid):
            untranslated.append(msgid)
    out = io.BytesIO()
    write_po(out, fresh, width=120, include_lineno=False)
    PO.parent.mkdir(parents=True, exist_ok=True)
    PO.write_bytes(out.getvalue())
    MO.write_bytes(compiled(fresh))
    return untranslated


def main(argv: list[str]) -> int:
    if argv[:1] == ["update"]:
        missing = update(argv[1:])
        for msgid in missing:
            print(f"no Korean text: {msgid!r}", file=sys.stderr)
        return 1 if missing else 0
    if argv[:1] == ["compile"]:
        MO.write_bytes(compiled())
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
