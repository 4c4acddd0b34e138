"""``python -m compliance`` is the same as the ``pipa-audit`` command."""

from compliance.cli import run

run()
