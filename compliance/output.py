"""Writing outputs: atomically, so an interrupted or failed render never leaves a partial file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from compliance.loading import fail


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write via a temporary file in the same folder, then rename: never a partial file."""
    target = Path(path)
    if target.is_dir():
        raise fail(target, "is a directory; give a file name")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise fail(target, f"folder {parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a report is an ordinary file
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
