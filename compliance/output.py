"""Writing outputs: one function, ``write_output``, for every file or stream the CLI writes.

Why each rule exists:

- **Never an input.** A target that is the same file (same device and inode, so hard links and
  symlinks count) as anything read in this run — facts, waivers, attachments, catalog, outline or
  framework files — or as a path in ``inputs`` is refused (exit 2) before anything is written:
  ``report facts.yaml -o facts.yaml`` must not destroy the evidence.
- **Regular files are replaced atomically**: the data goes to a temporary ``.NAME.*.part`` file in
  the target's folder, is flushed to disk, then renamed over the target, so a failed or interrupted
  run never leaves a partial report. A symlink to a regular file is followed: the file it points to
  is replaced, the link stays. The temporary file is removed on every exit path, including
  SIGTERM and SIGHUP (a handler raises while it exists; after cleaning up, the signal is re-raised
  so the parent sees the usual "terminated" status). When ``data`` is a callable, the temporary
  file is reserved before calling it, so a refusal costs no rendering and an interrupted render
  leaves nothing behind. ``write_outputs`` does this for several outputs of one run: all targets
  checked and reserved, then all rendered, then all renamed — a refusal or render error writes none.
- **Anything else is never renamed over.** Character devices (``/dev/null``, a terminal) and FIFOs
  are opened and written directly; a path naming one of this process's descriptors
  (``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N``, ``/proc/self/fd/N``) writes to that descriptor,
  as ``-`` does for standard output. Directories, block devices, sockets and dangling symlinks are
  refused (exit 2): replacing ``/dev/null`` with a report in a CI container running as root broke
  the container.
- **A full or read-only disk is an error, not a traceback**: one line naming the target, exit 2.
- **A reader that stops reading standard output early** (``check | head``) is not an error: the rest
  of the output is dropped and the command keeps its own exit code (0 or 1), so a pipeline cannot
  turn failing findings into a pass.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path

from compliance.i18n import _
from compliance.loading import fail, inputs_read

Data = bytes | Callable[[], bytes | Iterable[bytes]]
"""What is written: bytes, or a callable giving them, whole or in pieces (a regular file takes the pieces as they
come, so that a 440 MB findings table is never held whole; every other target gets them joined, as it is written
only once every output is rendered)."""

_FD_DIR = re.compile(r"^/proc/(\d+)(?:/task/\d+)?/fd$")


class _Terminated(BaseException):
    """Raised by the signal handler while a temporary file exists (BaseException: nothing swallows it)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _identity(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


def _refuse_inputs(target: str | Path, st: os.stat_result, inputs: Iterable[str | Path]) -> None:
    """Refuse when ``st`` (the target's stat) is the file currently at any input path."""
    ident = _identity(st)
    for p in [*inputs_read(), *inputs]:
        try:
            if _identity(os.stat(p)) == ident:
                raise fail(target, _("is an input of this run ({path}); refusing to overwrite it, choose another output name").format(path=p))
        except (OSError, ValueError):
            continue


def _descriptor_alias(path: str) -> int | None:
    """The descriptor number if ``path`` (after following links) names one of this process's descriptors."""
    p = os.path.abspath(path)
    for _step in range(40):
        parent = os.path.realpath(os.path.dirname(p))
        m = _FD_DIR.match(parent)
        if m and int(m.group(1)) == os.getpid() and os.path.basename(p).isdigit():
            return int(os.path.basename(p))
        if not os.path.islink(p):
            return None
        p = os.path.normpath(os.path.join(os.path.dirname(p), os.readlink(p)))
    return None


def _os_message(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return _("cannot write: no space left on the device")
    if exc.errno == errno.EROFS:
        return _("cannot write: read-only file system")
    return _("cannot write: {reason}").format(reason=exc.strerror or exc)


def _pieces(data: Data) -> Iterable[bytes]:
    """What ``data`` gives, as pieces (bytes are one piece)."""
    made = data() if callable(data) else data
    return (made,) if isinstance(made, (bytes, bytearray, memoryview)) else made


def _produce(data: Data) -> bytes:
    return b"".join(_pieces(data))  # one bytes piece is returned as it is, not copied


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def write_stdout(data: Data) -> None:
    """Write to standard output. A closed pipe drops the rest quietly (see the module docstring)."""
    payload = _produce(data)
    try:
        sys.stdout.flush()
        try:
            fd = sys.stdout.fileno()
        except (AttributeError, ValueError, OSError):  # replaced by a non-file stream (tests, embedding)
            sys.stdout.buffer.write(payload)
            sys.stdout.flush()
        else:  # not sys.stdout.buffer: after a partial write it swallows EPIPE/ENOSPC and truncates silently
            _write_all(fd, payload)
    except BrokenPipeError:
        silence_stdout()
    except OSError as exc:
        silence_stdout()
        raise fail("standard output", _os_message(exc)) from None


def silence_stdout() -> None:
    """Point fd 1 at /dev/null so buffered output cannot fail again at exit (Python would exit 120)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _write_descriptor(fd: int, data: Data, target: str) -> None:
    if fd == 1:
        write_stdout(data)
        return
    payload = _produce(data)
    try:
        _write_all(fd, payload)
    except OSError as exc:
        raise fail(target, _os_message(exc)) from None


def _write_direct(target: str, data: Data) -> None:
    """Character devices and FIFOs: open the existing node and write; never create, truncate or rename."""
    payload = _produce(data)  # render before opening: a FIFO's open blocks until a reader comes
    try:
        fd = os.open(target, os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise fail(target, _os_message(exc)) from None
    try:
        st = os.fstat(fd)
        if not (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
            raise fail(target, _("changed while opening it; not written"))
        _write_all(fd, payload)
    except BrokenPipeError:
        raise fail(target, _("the reader of this FIFO went away before the output was written")) from None
    except OSError as exc:
        raise fail(target, _os_message(exc)) from None
    finally:
        os.close(fd)


def write_output(path: str | Path | None, data: Data, inputs: Iterable[str | Path] = ()) -> None:
    """Write ``data`` (bytes, or a callable producing them) to ``path``; ``None`` or ``-`` is stdout.

    ``inputs`` adds paths to those already read in this run (``loading.inputs_read``) that the
    target must not be. Every problem is an ``InputError`` naming the target (exit 2).
    """
    write_outputs([(path, data)], inputs)


def write_outputs(items: Iterable[tuple[str | Path | None, Data]], inputs: Iterable[str | Path] = ()) -> None:
    """Several outputs of one run, all or nothing as far as a file system allows: every target is
    checked (and a temporary file reserved for each regular file) before anything is rendered; a
    refusal or a render error then writes nothing; only when every output is rendered are the
    temporary files renamed and the devices, FIFOs and standard output written."""
    inputs = list(inputs)
    plans = [_plan(path, inputs) for path, _data in items]
    with _signals_raise() as guard:
        try:
            for plan, (_path, data) in zip(plans, items):
                if plan.kind == "atomic":
                    with guard.blocked():  # no signal between creating the file and knowing its name
                        plan.reserve()
                    plan.fill(data)
                else:
                    plan.payload = _produce(data)
            for plan in plans:
                plan.commit(inputs)
        finally:
            for plan in plans:
                plan.discard()


class _Target:
    """One output: its kind (stdout, descriptor, direct, atomic) and, for atomic, its temporary file."""

    def __init__(self, kind: str, target: str = "-", fd: int | None = None, existing: os.stat_result | None = None):
        self.kind, self.target, self.alias, self.existing = kind, target, fd, existing
        self.payload: bytes | None = None
        self.tmp: str | None = None
        self.tmp_fd = -1

    def reserve(self) -> None:
        parent = os.path.dirname(self.target) or "."
        try:
            pst = os.stat(parent)
        except (OSError, ValueError):
            raise fail(self.target, _("folder {folder} does not exist").format(folder=parent)) from None
        if not stat.S_ISDIR(pst.st_mode):
            raise fail(self.target, _("{folder} is not a folder").format(folder=parent))
        try:
            self.tmp_fd, self.tmp = tempfile.mkstemp(prefix=f".{os.path.basename(self.target)[:100]}.", suffix=".part", dir=parent)
        except OSError as exc:
            raise fail(self.target, _os_message(exc)) from None

    def fill(self, data: Data) -> None:
        pieces = _pieces(data)
        if self.existing is not None:
            mode = stat.S_IMODE(self.existing.st_mode)  # a report the user made private stays private
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask  # mkstemp makes 0600; a new report is an ordinary file
        for piece in pieces:  # rendered and written in turn; a render error is the renderer's, never "cannot write"
            self._write(_write_all, self.tmp_fd, piece)
        self._write(os.fchmod, self.tmp_fd, mode)
        self._write(os.fsync, self.tmp_fd)
        fd, self.tmp_fd = self.tmp_fd, -1
        self._write(os.close, fd)

    def _write(self, step: Callable, *args) -> None:
        """One step of writing the temporary file; an OSError is said as this target's (exit 2)."""
        try:
            step(*args)
        except OSError as exc:
            raise fail(self.target, _os_message(exc)) from None

    def commit(self, inputs: list) -> None:
        if self.kind == "stdout":
            write_stdout(self.payload)
        elif self.kind == "descriptor":
            _write_descriptor(self.alias, self.payload, self.target)
        elif self.kind == "direct":
            _write_direct(self.target, self.payload)
        else:
            try:  # the target may have changed while rendering: look again just before the rename
                now = os.stat(self.target)
            except FileNotFoundError:
                now = None
            except OSError as exc:
                raise fail(self.target, _os_message(exc)) from None
            if now is not None:
                if not stat.S_ISREG(now.st_mode):
                    raise fail(self.target, _("stopped being a regular file while writing; not replaced"))
                _refuse_inputs(self.target, now, inputs)
            try:
                os.replace(self.tmp, self.target)
            except OSError as exc:
                raise fail(self.target, _os_message(exc)) from None
            self.tmp = None

    def discard(self) -> None:
        if self.tmp_fd >= 0:
            os.close(self.tmp_fd)
            self.tmp_fd = -1
        if self.tmp is not None:
            try:
                os.unlink(self.tmp)
            except OSError:
                pass
            self.tmp = None


def _plan(path: str | Path | None, inputs: list) -> _Target:
    """Decide how ``path`` is written, refusing what must not be (see the module docstring)."""
    if path is None or str(path) == "-":
        return _Target("stdout")
    target = str(path)
    try:
        st = os.stat(target)
    except ValueError:
        raise fail(target, _("the output path contains a NUL byte")) from None
    except OSError as exc:
        if exc.errno not in (errno.ENOENT,):
            raise fail(target, _("cannot use this output path: {reason}").format(reason=exc.strerror)) from None
        st = None
    if st is None:
        if os.path.islink(target):
            raise fail(target, _("is a symlink to nothing; give a real file name"))
        if target.endswith(("/", os.sep)):
            raise fail(target, _("names a folder that does not exist; give a file name"))
        return _Target("atomic", target)
    _refuse_inputs(target, st, inputs)
    fd = _descriptor_alias(target)
    if fd is not None:
        return _Target("descriptor", target, fd)
    if stat.S_ISDIR(st.st_mode):
        raise fail(target, _("is a directory; give a file name"))
    if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
        return _Target("direct", target)
    if not stat.S_ISREG(st.st_mode):
        raise fail(target, _("is not a regular file, character device or FIFO (a block device or socket?); refusing to write to it"))
    return _Target("atomic", os.path.realpath(target) if os.path.islink(target) else target, existing=st)


class _signals_raise:
    """While active (main thread only), SIGTERM and SIGHUP raise ``_Terminated`` so ``finally``
    blocks run; on leaving, the previous handlers come back and a caught signal is re-delivered."""

    SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None)

    def __enter__(self):
        self.saved = {}
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self.saved[sig] = signal.signal(sig, self._raise)
        return self

    @staticmethod
    def _raise(signum, frame):
        raise _Terminated(signum)

    @contextmanager
    def blocked(self):
        if not self.saved:
            yield
            return
        signal.pthread_sigmask(signal.SIG_BLOCK, self.saved)
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, self.saved)

    def __exit__(self, exc_type, exc, tb):
        for sig, handler in self.saved.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        if isinstance(exc, _Terminated):
            signal.raise_signal(exc.signum)  # default action: the process ends "killed by SIGTERM"
            raise SystemExit(128 + exc.signum)  # a Python handler that returned: still stop here
        return False


def ensure_folder(path: str | Path) -> Path:
    """Create an output folder (``demo -o DIR``, ``catalog docs -o DIR``); one-line error if it cannot be."""
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise fail(p, _("is a file; give a folder name")) from None
    except NotADirectoryError:
        raise fail(p, _("a part of this path is a file, not a folder")) from None
    except ValueError:
        raise fail(p, _("the output path contains a NUL byte")) from None
    except OSError as exc:
        raise fail(p, _("cannot create the folder: {reason}").format(reason=exc.strerror)) from None
    return p


write_atomic = write_output
"""The former name, kept for callers outside the CLI (docs.py)."""
