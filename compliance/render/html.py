"""HTML report (also the source of the PDF): Jinja2 with autoescape on.

The HTML file stands alone: its fonts are embedded as ``data:`` URIs, so it reads the same in a browser on a
machine without Korean fonts. The bundled NanumGothic files are 4.7 MB each (12.5 MB as base64 for the two
weights) and carry VTT source tables (``TSI0``–``TSI5``) that Chromium's font sanitiser rejects, dropping the
whole font; so each weight is subset to the characters the page uses, without those tables and without hinting
(measured on the seed report: 411 characters, 91 KB per weight, 1.3 s for both with fontTools, which WeasyPrint
already depends on). The PDF reads the font files themselves (WeasyPrint subsets them into the PDF).
"""

from __future__ import annotations

import base64
import io
import re

from compliance.render import Format, Options, context, environment, templates_dir
from compliance.result import AuditResult

FONTS = (("normal", "NanumGothic.ttf"), ("bold", "NanumGothicBold.ttf"))
_DROP = ["TSI0", "TSI1", "TSI2", "TSI3", "TSI5", "DSIG"]


def subset_font(path, text: str) -> bytes:
    """``path`` reduced to the glyphs of ``text`` (plus printable ASCII), deterministic (no timestamp)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(path), recalcTimestamp=False, lazy=False)
    opts = subset.Options()
    opts.drop_tables += _DROP
    opts.hinting = False
    opts.name_IDs = ["*"]  # keep the licence and the family name (SIL OFL 1.1 asks to keep the notices)
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=sorted({ord(ch) for ch in text} | set(range(0x20, 0x7F))))
    sub.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def font_faces(text: str | None) -> str:
    """``@font-face`` rules: the font files for print, or the fonts subset to ``text`` as data: URIs."""
    rules = []
    for weight, name in FONTS:
        if text is None:
            src = f'url("fonts/{name}")'
        else:
            data = base64.b64encode(subset_font(templates_dir() / "fonts" / name, text)).decode("ascii")
            src = f'url("data:font/ttf;base64,{data}") format("truetype")'
        rules.append(f'@font-face {{ font-family: "NanumGothic"; src: {src}; font-weight: {weight}; }}')
    return "\n".join(rules)


_FACES = "/*@font-faces@*/"
_SPLIT = re.compile(r"(<[^>]*>)")
_CHAR = r"(?:&#?\w+;|[^\s<>&])"  # a character, or an entity as a whole (never split &#39;)
_HANGUL_WORD = re.compile(f"{_CHAR}*[\uac00-\ud7a3\u3131-\u318e]{_CHAR}*")


_LONGEST_KEPT = 40
"""Korean words and legal terms are far shorter. A longer Hangul run without a space is given one every 40
characters in print: WeasyPrint breaking such a run between syllables took 23 s per 4,000 characters (an attestation
statement at the field limit; ten of them 239 s), the same text with spaces 1 s (measured)."""
_ONE_CHAR = re.compile(_CHAR)


def _kept(m: re.Match) -> str:
    word = m.group(0)
    if len(word) <= _LONGEST_KEPT:
        return f'<span class="kw">{word}</span>'
    chars = _ONE_CHAR.findall(word)  # an entity (&amp;) is one character: never split inside it
    return " ".join("".join(chars[i : i + _LONGEST_KEPT]) for i in range(0, len(chars), _LONGEST_KEPT))


def keep_words(html: str) -> str:
    """Print only: each word holding Hangul in a no-wrap span, so lines break between words, never inside one
    (CSS ``word-break: keep-all`` does this in browsers; WeasyPrint does not implement it)."""
    out, skip = [], 0
    for part in _SPLIT.split(html):
        if part.startswith("<"):
            tag = part[1:].split(None, 1)[0].rstrip(">").lower() if len(part) > 2 else ""
            if tag in ("svg", "style", "title", "head"):
                skip += 1
            elif tag in ("/svg", "/style", "/title", "/head"):
                skip -= 1
            out.append(part)
        elif skip or not part.strip():
            out.append(part)
        else:
            out.append(_HANGUL_WORD.sub(_kept, part))
    return "".join(out)


def render_html(result: AuditResult, lang: str, for_print: bool = False, options: Options | None = None) -> str:
    ctx = context(result, lang, options)
    ctx["for_print"] = for_print
    ctx["font_faces"] = _FACES
    html = environment(True).get_template("report.html.j2").render(ctx)
    if for_print:
        return keep_words(html.replace(_FACES, font_faces(None)))
    return html.replace(_FACES, font_faces(html))


def _render(result: AuditResult, options: Options) -> bytes:
    return render_html(result, options.lang, options=options).encode("utf-8")


FORMAT = Format("html", (".html", ".htm"), False, _render, "the report as one self-contained HTML page (fonts embedded)")
