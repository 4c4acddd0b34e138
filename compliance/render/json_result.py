"""The AuditResult as JSON (its schema: ``pipa-audit schema result``); with --framework, the
result grouped by the framework's criteria."""

from __future__ import annotations

import json

from compliance.render import Format, Options
from compliance.render import framework as by_framework
from compliance.result import AuditResult


def _render(result: AuditResult, options: Options) -> bytes:
    if options.framework:
        view = by_framework.grouped(result, options.framework, options.catalog_dir)
        return (json.dumps(view, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    # bytes straight from pydantic's serializer: a str, its encoding and a concatenation were three copies of a
    # 180 MB result at 1M rows
    return result.__pydantic_serializer__.to_json(result, indent=2) + b"\n"


FORMAT = Format("json", (".json",), False, _render, "the AuditResult (input of pipa-audit diff)", framework=True)
