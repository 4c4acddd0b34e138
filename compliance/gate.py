"""What fails a run: one definition for the exit code, the text table's marks and ``diff``.

``--fail-on`` sets the lowest severity that fails. ``--insufficient`` decides what an evidence gap
does: ``fail`` (default) counts insufficient evidence like a finding of its severity — a missing fact
is never a silent pass; ``warn`` reports it without failing; ``only`` fails on insufficient evidence
alone, so a CI job can gate findings (``warn``) and evidence gaps (``only``) in separate steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from compliance.vocabulary import FAILING, INSUFFICIENT, SEVERITIES, THRESHOLDS  # noqa: F401 - THRESHOLDS, INSUFFICIENT re-exported

if TYPE_CHECKING:
    from compliance.result import ControlResult


def fails(control: ControlResult, threshold: str = "low", insufficient: str = "fail") -> bool:
    """Does this control fail the run under the given policy?"""
    verdict = control.verdict
    if threshold == "none" or verdict not in FAILING:
        return False
    if verdict == "insufficient-evidence" and insufficient == "warn":
        return False
    if verdict == "non-compliant" and insufficient == "only":
        return False
    return SEVERITIES.index(control.severity) <= SEVERITIES.index(threshold)


def failing(result, threshold: str = "low", insufficient: str = "fail") -> list[ControlResult]:
    return [c for c in result.controls if fails(c, threshold, insufficient)]
