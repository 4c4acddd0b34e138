"""``pipa-audit catalog docs``: a browsable reference of every control, in Markdown and HTML.

It is the page a compliance officer reads while filling the evidence file: legal text (ko/en),
applicability, the facts each control reads with an example, the evidence expected, mappings.
"""

from __future__ import annotations

import datetime as dt

from pathlib import Path

import yaml

from compliance.catalog import Catalog
from compliance.coverage import load_frameworks
from compliance.output import write_atomic


def _context(catalogs: list[Catalog], catalog_dir) -> dict:
    from compliance.render import docs_anchor  # the same anchors SARIF's helpUri links to

    frameworks = {fid: {c.id: c.name for c in fw.criteria} for fid, fw in load_frameworks(catalog_dir).items()}
    entries = []
    for cat in catalogs:
        for ctl in cat.controls:
            c = ctl.control
            example = (
                yaml.safe_dump(c.example_sets[-1].compliant, allow_unicode=True, sort_keys=False, default_flow_style=False)
                if c.example_sets
                else ""
            )
            entries.append(
                {
                    "catalog": cat.meta,
                    "c": c,
                    "cite_ko": ctl.cite("ko"),
                    "cite_en": ctl.cite("en"),
                    "facts": sorted(p for p in ctl.fact_paths if p != "as_of"),
                    "example": example,
                    "anchor": docs_anchor(c.id),
                    "wordings": [
                        {
                            "window": f"{w.start.isoformat()} – {(w.until - dt.timedelta(days=1)).isoformat() if w.until else ''}",
                            "cite": ctl.cite("en", w.ref),
                            "ko": w.wording.ko,
                            "en": w.wording.en,
                            "status": w.text_status(w.until - dt.timedelta(days=1) if w.until else dt.date.max),
                            "amended_by": w.wording.amended_by,
                        }
                        for w in ctl.wordings
                    ],
                }
            )
    return {"catalogs": catalogs, "entries": entries, "frameworks": frameworks}


def write_docs(catalogs: list[Catalog], catalog_dir, out: Path) -> list[Path]:
    from compliance.render import environment

    out.mkdir(parents=True, exist_ok=True)
    ctx = _context(catalogs, catalog_dir)
    written = []
    for name, markup in (("catalog.md", False), ("catalog.html", True)):
        text = environment(markup).get_template(f"{name}.j2").render(ctx)
        target = out / name
        write_atomic(target, text.encode("utf-8"))
        written.append(target)
    return written
