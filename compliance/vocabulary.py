"""The words every output and option shares, in a module that imports nothing: severities and the verdicts that
fail, the policies of --fail-on and --insufficient, diff's formats. ``--help`` and usage errors read them without
loading the models (which cost 0.13 s)."""

SEVERITIES = ("critical", "high", "medium", "low")
FAILING = ("non-compliant", "insufficient-evidence")
THRESHOLDS = (*SEVERITIES, "none")
INSUFFICIENT = ("fail", "warn", "only")
DIFF_FORMATS: dict[str, tuple[str, ...]] = {"text": (".txt",), "md": (".md", ".markdown"), "json": (".json",)}
