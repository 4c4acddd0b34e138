"""Render a large audit to PDF and compare with WeasyPrint rendering the same HTML alone.

    python benchmarks/bench_render.py [-n 3000]

The facts give n departed handlers whose access was never revoked, so the report carries
thousands of offender rows (inline excerpt plus the annex) and runs past 100 pages.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from compliance.bundled import bundled_dir
from compliance.pipeline import audit
from compliance.render import templates_dir
from compliance.render.html import render_html
from compliance.render.pdf import render_pdf


def facts_text(n: int) -> str:
    rows = "\n".join(
        f"  - {{id: h-{i:05d}, role: agent, granted_on: 2020-01-01, left_on: 2025-0{1 + i % 9}-15}}" for i in range(n)
    )
    keys = "\n".join(f"  - {{id: key-{i:05d}, kind: api-key, owner: h-{i:05d}, issued_on: 2021-01-01}}" for i in range(n))
    return f"as_of: 2025-11-30\norganization: {{name: Benchmark Org, subjects: 900000}}\nhandlers:\n{rows}\ncredentials:\n{keys}\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=3000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "facts.yaml"
        f.write_text(facts_text(args.n), encoding="utf-8")
        t0 = time.perf_counter()
        result = audit(f, bundled_dir("controls"))
        t_audit = time.perf_counter() - t0
    t0 = time.perf_counter()
    html = render_html(result, "ko", for_print=True)
    t_html = time.perf_counter() - t0
    import weasyprint

    t0 = time.perf_counter()
    pdf = render_pdf(result, "ko")
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    doc = weasyprint.HTML(string=html, base_url=templates_dir().as_uri() + "/").render()
    raw = doc.write_pdf()
    t_raw = time.perf_counter() - t0
    print(f"offenders: {sum(len(ch.offenders) for c in result.controls for ch in c.checks)}")
    print(f"audit (load + evaluate)        {t_audit:7.2f} s")
    print(f"HTML (Jinja2)                  {t_html:7.2f} s   {len(html) / 1e6:.1f} MB")
    print(f"pipa-audit PDF (HTML + print)  {t_ours:7.2f} s   {len(doc.pages)} pages, {len(pdf) / 1e6:.2f} MB")
    print(f"WeasyPrint alone, same HTML    {t_raw:7.2f} s   {len(raw) / 1e6:.2f} MB")
    print(f"pages per second (pipa-audit)  {len(doc.pages) / t_ours:7.1f}")


if __name__ == "__main__":
    main()
