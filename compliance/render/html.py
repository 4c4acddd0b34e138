"""HTML report (also the source of the PDF): Jinja2 with autoescape on."""

from __future__ import annotations

from compliance.render import Format, context, environment
from compliance.result import AuditResult


def render_html(result: AuditResult, lang: str, for_print: bool = False) -> str:
    ctx = context(result, lang)
    ctx["for_print"] = for_print
    return environment(True).get_template("report.html.j2").render(ctx)


FORMAT = Format(
    "html", (".html", ".htm"), False, lambda result, options: render_html(result, options.lang).encode("utf-8"),
    "the report as one HTML page",
)
