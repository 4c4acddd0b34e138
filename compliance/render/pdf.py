"""PDF via WeasyPrint. Imported only when a PDF is asked for (the import costs about a second).

WeasyPrint may read only files inside the templates folder (the bundled font and CSS):
no network, no file elsewhere, whatever a fact value tries to reference.
"""

from __future__ import annotations

import logging
from pathlib import Path

from compliance.render import templates_dir
from compliance.render.html import render_html
from compliance.result import AuditResult


def _confined_fetcher(root: Path):
    from weasyprint.urls import default_url_fetcher

    root = root.resolve()

    def fetch(url: str, *args, **kwargs):
        if url.startswith("file://"):
            from urllib.parse import unquote, urlparse

            target = Path(unquote(urlparse(url).path)).resolve()
            if target == root or root in target.parents:
                return default_url_fetcher(url, *args, **kwargs)
        raise ValueError(f"refused to fetch {url!r}: only bundled template files may be read")

    return fetch


def render_pdf(result: AuditResult, lang: str) -> bytes:
    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    root = templates_dir()
    html = render_html(result, lang, for_print=True)
    document = HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=_confined_fetcher(root))
    return document.write_pdf(uncompressed_pdf=False)
