"""The auditor's report as Markdown (reports/templates/report.md.j2)."""

from __future__ import annotations

from compliance.render import Format, Options, context, environment
from compliance.result import AuditResult


def _render(result: AuditResult, options: Options) -> bytes:
    return environment(False).get_template("report.md.j2").render(context(result, options.lang, options)).encode("utf-8")


FORMAT = Format("md", (".md", ".markdown"), False, _render, "the report as Markdown")
