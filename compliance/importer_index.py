"""The kinds ``pipa-audit import`` reads, each with its module under ``compliance.importers``: a module of its own
because ``import --help`` lists the kinds, and importing ``compliance.importers`` (its row types are dataclasses) was
11 ms of that help's 30. ``compliance.importers`` takes its ``MODULES`` from here."""

MODULES = {
    "aws-iam-credential-report": "aws_iam",
    "entra-users": "identity",
    "okta-users": "identity",
    "trivy": "vulnerabilities",
    "grype": "vulnerabilities",
    "cyclonedx": "vulnerabilities",
    "gitleaks": "secrets",
    "trufflehog": "secrets",
    "prowler-ocsf": "prowler",
    "wazuh-alerts": "wazuh",
}
"""kind -> module under compliance.importers (imported only when that kind is read)"""
