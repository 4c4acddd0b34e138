"""Progress of long runs (ingest and analysis take minutes on large logs).

On a terminal: one line rewritten in place. Elsewhere (a CI log, a file), when asked for (``plain=True``): whole lines,
a stage change each time and otherwise at most one line per ``PIPA_AUDIT_PROGRESS_SECONDS`` (default 30), so a log
shows the run is alive without filling up. ``-q`` silences both."""

from __future__ import annotations

import os
import sys
import time

PLAIN_EVERY_SECONDS = 30.0


def _plain_every() -> float:
    try:
        return max(float(os.environ.get("PIPA_AUDIT_PROGRESS_SECONDS", PLAIN_EVERY_SECONDS)), 0.0)
    except ValueError:
        return PLAIN_EVERY_SECONDS


class Progress:
    def __init__(self, enabled: bool | None = None, stream=None, plain: bool = False):
        self.stream = stream or sys.stderr
        tty = self.stream.isatty()
        self.enabled = (tty or plain) if enabled is None else enabled
        self.plain = self.enabled and not tty and enabled is None
        self._every = _plain_every() if self.plain else 0.2
        self._last = 0.0 if not self.plain else time.monotonic()
        self._shown = False

    def show(self, text: str, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if force or now - self._last >= self._every:
            self._last = now
            if self.plain:
                self.stream.write(text[:300] + "\n")
            else:
                self.stream.write("\r\033[K" + text[:150])
                self._shown = True
            self.stream.flush()

    def done(self) -> None:
        if self.enabled and self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._shown = False
