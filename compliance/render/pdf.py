"""PDF via WeasyPrint, imported only when a PDF is rendered (the import costs about a second).

WeasyPrint may read only files inside the templates folder (the bundled font and CSS):
no network, no file elsewhere, whatever a fact value tries to reference.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import os
from pathlib import Path

from compliance.render import Format, Options, templates_dir
from compliance.render.html import render_html
from compliance.result import AuditResult


def _confined_fetcher(root: Path):
    from urllib.parse import unquote, urlsplit

    from weasyprint.urls import URLFetcher

    root = root.resolve()

    class ConfinedFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.lower().startswith("file:"):
                target = Path(unquote(urlsplit(url).path)).resolve()
                if target == root or root in target.parents:
                    return super().fetch(url, headers)
            raise ValueError(f"refused to fetch {url!r}: only bundled template files may be read")

    return ConfinedFetcher(allowed_protocols=["file"], allow_redirects=False)


def render_pdf(result: AuditResult, lang: str, pdfa: bool = False, options: Options | None = None) -> bytes:
    """The report as PDF; ``pdfa`` gives PDF/A-3b with the JSON result embedded (AFRelationship Data)."""
    return _layout(*_read(result, lang, pdfa, options))


def _handover(held: list[AuditResult], options: Options) -> bytes:
    """``render_pdf`` for a caller whose only reference to the result is ``held``: emptied once the HTML (and the
    embedded JSON) is made, so that the layout reuses the result's memory (1 GB for a 1M-row audit's offenders)."""
    made = _read(held[0], options.lang, options.pdfa, options)
    held.clear()
    gc.collect()  # the template's context holds the result in a cycle (Jinja's), and a command runs with the collector off
    return _layout(*made)


def _read(result: AuditResult, lang: str, pdfa: bool, options: Options | None) -> tuple[str, dt.date, str | None]:
    """What the PDF needs of the result: its HTML, its as-of date, and for PDF/A the JSON result to embed."""
    html = render_html(result, lang, for_print=True, options=options)
    return html, result.as_of, result.model_dump_json(indent=2) if pdfa else None


def _layout(html: str, as_of: dt.date, embedded: str | None) -> bytes:
    from weasyprint import HTML, Attachment

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    root = templates_dir()
    document = HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=_confined_fetcher(root))
    # fontTools stamps subset fonts with "now" unless SOURCE_DATE_EPOCH is set; the as-of
    # date stands in for "now" so the same inputs give the same bytes.
    epoch = str(int(dt.datetime.combine(as_of, dt.time(), dt.timezone.utc).timestamp()))
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = epoch
    options = {}
    if embedded is not None:
        stamp = dt.datetime.combine(as_of, dt.time(), dt.timezone.utc)
        json_result = Attachment(
            string=embedded,
            name="audit-result.json",
            description="pipa-audit AuditResult (JSON), the data this report renders",
            created=stamp,
            modified=stamp,
            relationship="Data",
        )
        options = {"pdf_variant": "pdf/a-3b", "attachments": [json_result]}
    try:
        return document.write_pdf(**options)
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


FORMAT = Format(
    "pdf", (".pdf",), True, lambda result, options: render_pdf(result, options.lang, options.pdfa, options),
    "the auditor's report (--pdfa: PDF/A-3b with the JSON result embedded)", handover=_handover,
)
