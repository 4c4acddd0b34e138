"""Names that look like a field without being one: ``left_on`` with a zero-width space, a Cyrillic ``е``, ``Left_On``.

A column header that is a near miss of a field is not read as that field, so the field is absent for every row —
and for a field whose absence means "did not happen" (``left_on``), the duty is cleared in silence. Such a header
is an error at its cell; this module decides what "near miss" means: equal after NFKC, case folding, removing
format characters (zero-width spaces, joiners, bidi marks), reading look-alike letters of other scripts as the
Latin letter they imitate (the Cyrillic and Greek letters of Unicode's confusables that stand for a Latin letter
in identifiers) and reading space and hyphen as an underscore.
"""

from __future__ import annotations

import unicodedata

from compliance.i18n import _

_CONFUSABLE = str.maketrans({
    # Cyrillic lower case (upper case folds to these first)
    "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j", "к": "k", "м": "m", "н": "h",
    "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ү": "y",
    "ӏ": "l", "ɡ": "g",
    # Greek lower case
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
    # Latin letters that read as another
    "ı": "i", "ȷ": "j", "ꞁ": "l", "ſ": "s",
    # separators
    " ": "_", "-": "_", "‐": "_", "‑": "_", "‒": "_", "–": "_", "—": "_", "−": "_",
})


def skeleton(name: str) -> str:
    """The form two names share when one is a near miss of the other."""
    text = unicodedata.normalize("NFKC", name).strip()
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return text.casefold().translate(_CONFUSABLE)


def difference(name: str, field: str) -> str:
    """Why ``name`` is not ``field``, in words (for the error message)."""
    odd = [ch for ch in name if not ch.isascii() and skeleton(ch) != ch.casefold()]  # not the Hangul it is written in
    if odd:
        shown = ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, '?')}" for ch in dict.fromkeys(odd))
        return _("it holds {characters}").format(characters=shown)
    if name.strip() != name:
        return _("it has spaces around it")
    if name.casefold() == field.casefold():
        return _("it differs in upper/lower case")
    return _("it differs in separators (space, hyphen, underscore)")


def near_misses(headers: list[str], fields: list[str]) -> dict[int, str]:
    """Column index -> the field it nearly names, for headers that are not exactly a field but normalise to one."""
    exact = set(fields)
    by_skeleton: dict[str, str] = {}
    for f in fields:
        by_skeleton.setdefault(skeleton(f), f)
    out = {}
    for i, h in enumerate(headers):
        if h and h not in exact and (f := by_skeleton.get(skeleton(h))) is not None:
            out[i] = f
    return out
