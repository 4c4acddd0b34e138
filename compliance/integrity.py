"""Facts that hold together: unique ids, references that resolve, no look-alike characters.

Why: a second, clean row for a departed handler's id, or an id typed with U+2011 instead of '-', would
otherwise turn a failing control into a passing one without anyone noticing. Each such input is an
error naming the file, the line (and column, in JSON) and the reference — never a different verdict. Locating them
costs one pass over the text however many there are (``json_locator``).
"""

from __future__ import annotations

import unicodedata
from itertools import chain
from operator import attrgetter

from compliance.facts import Facts
from compliance.i18n import _
from compliance.loading import Problem
from compliance.located import Document

ID_LISTS = ("systems", "handlers", "accounts", "credentials", "incidents", "secrets", "data_stores", "processors")  # attachments: evidence.py

# (list, field, target list, many)
REFERENCES = (
    ("handlers", "systems", "systems", True),
    ("systems", "reaches", "systems+data_stores", True),  # a VPN reaches processing systems or file stores
    ("accounts", "system", "systems", False),
    ("accounts", "holders", "handlers", True),
    ("credentials", "owner", "handlers", False),
    ("credentials", "system", "systems", False),
    ("secrets", "system", "systems", False),
    ("secrets", "owner", "handlers", False),
    ("privacy_officer", "systems_outside_remit", "systems", True),  # one object, not a list: its own path
)


_ID = attrgetter("id")

_MINUS_LIKE = frozenset("\u2212\u02d7\u2043\u2796")
"""Characters Unicode's confusables read as '-' that are not dashes (category Pd) and that NFKC keeps: MINUS SIGN
(word processors and PDFs write it), MODIFIER LETTER MINUS, HYPHEN BULLET, HEAVY MINUS. (The CJK strokes that
look like one, 一 and ー, are letters of real names and stay allowed; ㅡ is refused by NFKC.)"""


def lookalike(value: str) -> str | None:
    """Why an identifier is refused, or None: NFKC must not change it, and no invisible, control or
    non-ASCII dash or space character may hide in it."""
    if value.isascii():  # the common case, at C speed: NFKC cannot change ASCII; only control characters remain
        if value.isprintable():
            return None
        bad = next(c for c in value if not c.isprintable())
        return _("contains U+{code} (a control character); use plain '-' and spaces").format(code=f"{ord(bad):04X}")
    if unicodedata.normalize("NFKC", value) != value:
        bad = next((c for c in value if unicodedata.normalize("NFKC", c) != c), "")
        return _("contains U+{code} ({name}), which reads like another character").format(
            code=f"{ord(bad):04X}", name=unicodedata.name(bad, "?"))
    for c in value:
        cat = unicodedata.category(c)
        if cat in ("Cc", "Cf", "Zl", "Zp") or (cat == "Pd" and c != "-") or (cat == "Zs" and c != " ") or c in _MINUS_LIKE:
            return _("contains U+{code} ({name}); use plain '-' and spaces").format(code=f"{ord(c):04X}", name=unicodedata.name(c, "?"))
    return None


def _plain(values: list[str]) -> bool:
    """True when no value can be a look-alike: together they are printable ASCII (one C pass over them all)."""
    joined = "".join(values)
    return joined.isascii() and joined.isprintable()


def reference_problems(facts: Facts, text: str, path: str) -> list[Problem]:
    """Every id unique within its list and free of look-alikes; every cross-reference resolves."""
    doc = Document(path, text)
    problems: list[Problem] = []
    ids: dict[str, set[str] | None] = {}
    plain: set[str] = set()  # the lists whose ids are all printable ASCII (so is any reference equal to one)
    for name in ID_LISTS:
        items = getattr(facts, name, None)
        if items is None:
            ids[name] = None
            continue
        idents = list(map(_ID, items))
        unique = set(idents)
        if _plain(idents):
            plain.add(name)
            if len(unique) == len(idents):  # the common case, in C: nothing to report
                ids[name] = unique
                continue
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            ident = item.id
            loc = (name, i, "id")
            why = lookalike(ident)
            if why:
                problems.append(doc.problem(loc, _("id {id} {reason}").format(id=repr(ident), reason=why)))
            if ident in seen:
                line, column = doc.place((name, seen[ident], "id"))
                if column:  # a JSON text: its column too, as every JSON problem is located (loading.Problem)
                    said = _("duplicate id {id} (first on line {line}, column {column}): every id in {list} must be unique")
                else:
                    said = _("duplicate id {id} (first on line {line}): every id in {list} must be unique")
                problems.append(doc.problem(loc, said.format(id=repr(ident), line=line, column=column, list=name)))
            else:
                seen[ident] = i
        ids[name] = set(seen)
    for source, field, target, many in REFERENCES:
        stated = getattr(facts, source, None)
        single = stated is not None and not isinstance(stated, list)
        items = [stated] if single else stated or []
        lists = target.split("+")
        found = [ids[t] for t in lists if ids.get(t) is not None]
        known = found[0] if len(found) == 1 else set().union(*found) if found else None
        kind = _(" or ").join(t[:-1].replace("_", " ") for t in lists)
        stated_refs = map(attrgetter(field), items)  # rows are models or structs: every field is an attribute
        if many:  # a list of references (an empty one holds none)
            refs = chain.from_iterable(filter(None, stated_refs))
        else:  # the distinct references, hashed once each (a million accounts name a few systems)
            refs = set(stated_refs)
            refs.discard(None)
        if known is not None and all(t in plain for t in lists if ids.get(t) is not None) and known.issuperset(refs):
            continue  # all resolve, each equal to a plain id: no per-row walk
        for i, item in enumerate(items):
            value = getattr(item, field, None)
            if value is None:
                continue
            refs = value if many else [value]
            for j, ref in enumerate(refs):
                base = (source,) if single else (source, i)
                loc = (*base, field, j) if many else (*base, field)
                why = lookalike(ref)
                if why:
                    problems.append(doc.problem(loc, _("reference {ref} {reason}").format(ref=repr(ref), reason=why)))
                elif known is None:
                    problems.append(doc.problem(loc, _("names {kind} {ref} but the file states no {list} list").format(
                        kind=kind, ref=repr(ref), list=_(" or ").join(lists))))
                elif ref not in known:
                    problems.append(doc.problem(loc, _("no {kind} with id {ref}").format(kind=kind, ref=repr(ref))))
    for i, inc in enumerate(facts.incidents or []):
        starts = [a for a in inc.awareness or [] if a.starts_clock]
        loc = ("incidents", i, "awareness")
        if len(starts) > 1:
            problems.append(doc.problem(loc, _("more than one awareness moment marked starts_clock: the statutory clock starts once")))
        elif starts and inc.aware_at not in (None, "unknown") and inc.aware_at != starts[0].at:
            problems.append(doc.problem(("incidents", i, "aware_at"), _(
                "aware_at {aware_at} differs from the awareness moment marked starts_clock ({starts_clock})").format(
                aware_at=inc.aware_at.isoformat(), starts_clock=starts[0].at.isoformat())))
    return problems
