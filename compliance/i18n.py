"""Messages in the user's language: Korean when ``--lang ko`` or a Korean locale, English otherwise.

Every user-facing message is written once in the code, in English, as a gettext message id
(``_("{path}: no such file").format(path=...)``); its Korean text lives in one message catalog,
``compliance/locale/ko/LC_MESSAGES/pipa-audit.po``, compiled to the ``.mo`` beside it (stdlib ``gettext`` reads it:
no dependency at run time). ``tests/test_messages.py`` holds the catalog to the code: every message id in the package
has a Korean text with the same ``{placeholders}``, and the committed ``.mo`` is the compiled ``.po``.

argparse's own words (``usage:``, ``options``, its errors) are message ids of the same catalog: argparse looks up
its module-level ``_``/``ngettext`` at call time, and ``use()`` points them here.
"""

from __future__ import annotations

import gettext  # argparse imports it anyway
import os

DOMAIN = "pipa-audit"
LANGS = ("ko", "en")


def __getattr__(name: str):
    """``LOCALE_DIR`` (a ``Path``), made when asked: ``--help`` and usage errors do not import pathlib for it."""
    if name == "LOCALE_DIR":
        from pathlib import Path

        return Path(_locale_dir())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _locale_dir() -> str:
    return os.path.join(os.path.dirname(__file__), "locale")

_current = gettext.NullTranslations()
_lang = "en"


def from_environment(environ=os.environ) -> str:
    """The language the locale asks for, as gettext reads it (LANGUAGE, LC_ALL, LC_MESSAGES, LANG): 'ko' or 'en'."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(var)
        if value:
            first = value.split(":")[0]
            return "ko" if first.lower().startswith("ko") else "en"
    return "en"


def use(lang: str | None) -> str:
    """Speak ``lang`` (None: the locale's) from now on; returns the language chosen."""
    global _current, _lang
    _lang = lang if lang in LANGS else from_environment()
    if _lang == "en":
        _current = gettext.NullTranslations()
    else:
        _current = gettext.translation(DOMAIN, _locale_dir(), languages=[_lang])  # read only when Korean is spoken
    import argparse  # its help and usage errors in the same language

    argparse._ = _
    argparse.ngettext = ngettext
    return _lang


def current() -> str:
    return _lang


def _(message: str) -> str:
    """The message in the current language (the English id when it has no translation)."""
    return _current.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current.ngettext(singular, plural, n)


def translate(message_id: str) -> str:
    """A message id declared as data where ``_()`` cannot run (the renderers' format summaries, read from their
    source by ``compliance.format_index``); ``compliance.messages`` extracts those ids too."""
    return _current.gettext(message_id)
