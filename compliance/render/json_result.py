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
    return (result.model_dump_json(indent=2) + "\n").encode("utf-8")


FORMAT = Format("json", (".json",), False, _render, "the AuditResult (input of pipa-audit diff)", framework=True)
