"""Promises under hostile input and faults: nothing lost, nothing leaked, never a traceback.

Each test names the promise it guards; each was checked to fail when that promise is broken.
Device nodes are created with mknod under tmp_path (never the system's /dev/null or /dev/full).
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compliance import loading, output
from compliance.cli import EXIT_INTERNAL, main
from compliance.evidence import ENV_MAX_ATTACHMENT_BYTES, Refused, open_beneath
from compliance.loading import InputError, inert, load, read_bytes
from compliance.output import write_output

from .conftest import CATALOGS, CLEAN, SEED, cli, write

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="mknod of device nodes needs root")


def one_line_error(proc, *fragments, code=2):
    """Exit ``code``, exactly one line on stderr, no traceback, every fragment in it."""
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, lines
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def exe() -> str:
    beside = Path(sys.executable).parent / "pipa-audit"
    return str(beside) if beside.exists() else shutil.which("pipa-audit")


@pytest.fixture
def org(tmp_path) -> Path:
    """A copy of the clean example (facts + evidence) and of the catalogs, to aim outputs at."""
    shutil.copytree(CLEAN, tmp_path / "org")
    shutil.copytree(CATALOGS, tmp_path / "controls")
    write(tmp_path, "org/waivers.yaml", "waivers: []\n")
    return tmp_path


def _parts(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*.part")]


# ------------------------------------------------------------------ -o never overwrites an input


def test_output_naming_any_input_is_refused_and_the_input_is_intact(org):
    facts, waivers = org / "org" / "facts.yaml", org / "org" / "waivers.yaml"
    attachment = sorted((org / "org" / "evidence").iterdir())[0]
    catalog = sorted((org / "controls").glob("*.yaml"))[0]
    (org / "hard.json").hardlink_to(facts)
    (org / "link.json").symlink_to(facts)
    for target in (facts, waivers, attachment, catalog, org / "hard.json", org / "link.json"):
        before = target.read_bytes()
        proc = cli("check", facts, "--waivers", waivers, "--catalog", org / "controls", "--format", "json", "-o", target)
        one_line_error(proc, "is an input of this run")
        assert target.read_bytes() == before, target
    assert (org / "link.json").is_symlink()
    before = catalog.read_bytes()
    one_line_error(cli("report", facts, "--catalog", org / "controls", "--format", "md", "-o", catalog), "is an input")
    one_line_error(cli("init", "--force", "--catalog", org / "controls", "-o", catalog), "is an input")
    assert catalog.read_bytes() == before
    assert _parts(org) == []


# ------------------------------------------------------------------ devices, FIFOs, descriptors


@ROOT_ONLY
def test_character_device_target_is_written_directly_never_replaced(tmp_path):
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a copy of /dev/null
    proc = cli("check", CLEAN / "facts.yaml", "--format", "json", "-o", null)
    assert proc.returncode in (0, 1), proc.stderr  # the verdict is not the point here
    assert stat.S_ISCHR(null.lstat().st_mode) and null.lstat().st_rdev == os.makedev(1, 3)
    assert _parts(tmp_path) == []


@ROOT_ONLY
def test_full_device_target_is_one_line_error_exit_2(tmp_path):
    full = tmp_path / "full"
    os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))  # a copy of /dev/full: every write is ENOSPC
    one_line_error(cli("check", CLEAN / "facts.yaml", "--format", "json", "-o", full), f"{full}: ", "no space left")
    assert stat.S_ISCHR(full.lstat().st_mode)
    with open(full, "wb") as fh:  # standard output on a full device: one line, exit 2, no "Exception ignored"
        proc = subprocess.run([exe(), "check", str(CLEAN / "facts.yaml"), "--format", "json"], stdout=fh, stderr=subprocess.PIPE, text=True, timeout=300)
    one_line_error(proc, "standard output", "no space left")


def test_block_device_and_socket_targets_are_refused_and_kept(tmp_path):
    import socket

    targets = []
    if os.geteuid() == 0:  # major 240 is reserved for local use: no driver, so nothing real is behind it
        os.mknod(tmp_path / "blk", 0o600 | stat.S_IFBLK, os.makedev(240, 0))
        targets.append((tmp_path / "blk", stat.S_ISBLK))
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    targets.append((tmp_path / "sock", stat.S_ISSOCK))
    try:
        for target, kind in targets:
            one_line_error(cli("check", CLEAN / "facts.yaml", "--format", "json", "-o", target), "is not a regular file")
            assert kind(target.lstat().st_mode)
    finally:
        sock.close()


def test_fifo_target_is_written_to_its_reader(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = tmp_path / "got.json"
    with open(got, "wb") as sink:
        reader = subprocess.Popen(["cat", str(fifo)], stdout=sink)
        try:
            proc = cli("check", CLEAN / "facts.yaml", "--format", "json", "-o", fifo)
            reader.wait(timeout=30)
        finally:
            reader.kill()
    assert proc.returncode in (0, 1), proc.stderr  # the verdict is not the point here
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert json.loads(got.read_text())["summary"]["total"] > 0


def test_descriptor_alias_writes_to_the_descriptor_not_over_the_link(tmp_path):
    """A link to /proc/self/fd/1 (what /dev/stdout is) with stdout on a file opened for append:
    the output is appended through the descriptor; the link and the file's head stay."""
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    log = tmp_path / "log.txt"
    log.write_bytes(b"HEAD\n")
    with open(log, "ab") as fh:
        proc = subprocess.run([exe(), "check", str(CLEAN / "facts.yaml"), "--format", "json", "-o", str(link)], stdout=fh, stderr=subprocess.PIPE, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr  # the verdict is not the point here
    text = log.read_text()
    assert text.startswith("HEAD\n") and json.loads(text[5:])["summary"]["total"] > 0
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"


def test_directory_and_missing_folder_targets(tmp_path):
    one_line_error(cli("check", CLEAN / "facts.yaml", "-o", tmp_path), "is a directory")
    one_line_error(cli("check", CLEAN / "facts.yaml", "-o", tmp_path / "nope" / "x.txt"), "does not exist")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    one_line_error(cli("check", CLEAN / "facts.yaml", "-o", tmp_path / "dangling"), "symlink to nothing")
    assert not (tmp_path / "nowhere").exists()


def test_write_output_refusals_in_process(tmp_path):
    """The library function itself, not only the CLI's own checks, refuses these targets."""
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    for target, fragment in ((tmp_path, "is a directory"), (tmp_path / "dangling", "symlink to nothing"),
                             (tmp_path / "no" / "x", "does not exist"), (f"{tmp_path}/a\0b", "NUL byte")):
        with pytest.raises(InputError, match=fragment):
            write_output(target, b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling"]
    read = write(tmp_path, "in.yaml", "a: 1\n")
    with pytest.raises(InputError, match="is an input of this run"):
        write_output(tmp_path / "in.yaml", b"x", inputs=[read])
    assert read.read_text() == "a: 1\n"


def test_demo_and_catalog_docs_need_a_folder_not_a_file(tmp_path):
    f = write(tmp_path, "file.txt", "keep\n")
    one_line_error(cli("demo", "-o", f), "is a file; give a folder name")
    one_line_error(cli("catalog", "docs", "-o", f), "is a file; give a folder name")
    one_line_error(cli("catalog", "docs", "-o", f / "sub"), "not a folder")
    assert f.read_text() == "keep\n"


# ------------------------------------------------------------------ atomic writes


def test_failing_disk_leaves_the_old_target_and_no_temp_file(tmp_path, monkeypatch):
    target = write(tmp_path, "report.json", "old\n")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(output.os, "fsync", full)
    with pytest.raises(InputError, match="no space left"):
        write_output(target, b"new\n")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_failing_render_leaves_the_old_target_and_no_temp_file(tmp_path):
    target = write(tmp_path, "report.pdf", "old\n")

    def render():
        assert _parts(tmp_path), "the temporary file is reserved before rendering"
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError):
        write_output(target, render)
    assert target.read_text() == "old\n"
    assert _parts(tmp_path) == []


def test_an_output_rendered_in_pieces_is_written_whole_or_not_at_all(tmp_path):
    """A big findings table is written as it is rendered (``Format.stream``): the pieces make the file, and a render
    failing half way leaves the old target and no temporary file, with the renderer's own error, even an OSError."""
    target = write(tmp_path, "findings.csv", "old\n")
    write_output(target, lambda: iter([b"a,b\r\n", b"", b"1,2\r\n"]))
    assert target.read_bytes() == b"a,b\r\n1,2\r\n"

    for error in (RuntimeError("render failed"), FileNotFoundError(errno.ENOENT, "font missing")):
        def pieces(error=error):
            yield b"half,"
            (part,) = tmp_path.glob("*.part")
            assert part.read_bytes() == b"half,", "each piece is written before the next is rendered"
            raise error

        with pytest.raises(type(error)):  # a renderer's OSError is not "cannot write" the target (exit 2)
            write_output(target, pieces)
        assert target.read_bytes() == b"a,b\r\n1,2\r\n" and _parts(tmp_path) == []


def test_pieces_for_standard_output_are_joined_and_written_once(capfd):
    write_output("-", lambda: (piece for piece in (b"one ", b"two\n")))
    assert capfd.readouterr().out == "one two\n"


def test_replace_keeps_a_private_mode_and_new_files_follow_the_umask(tmp_path):
    target = write(tmp_path, "r.json", "old")
    target.chmod(0o600)
    write_output(target, b"new")
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o600
    umask = os.umask(0o022)
    try:
        write_output(tmp_path / "n.json", b"x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "n.json").stat().st_mode) == 0o644


def test_sigterm_while_rendering_a_pdf_leaves_no_temp_file_and_the_old_report(tmp_path):
    target = write(tmp_path, "report.pdf", "old report\n")
    proc = subprocess.Popen([exe(), "report", str(SEED / "facts.yaml"), "-o", str(target)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 240
        while not _parts(tmp_path):
            assert proc.poll() is None, "finished before a temporary file was seen"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGTERM
    assert _parts(tmp_path) == []
    assert target.read_text() == "old report\n"


# ------------------------------------------------------------------ inputs: only bounded regular files


@pytest.mark.parametrize("role", ["facts", "waivers", "validate"])
def test_fifo_input_is_refused_without_hanging(tmp_path, role):
    fifo = tmp_path / "in.yaml"
    os.mkfifo(fifo)
    args = {"facts": ("check", fifo), "waivers": ("check", CLEAN / "facts.yaml", "--waivers", fifo), "validate": ("validate", fifo)}[role]
    one_line_error(cli(*args), f"{fifo}: is not a regular file")


def test_device_input_is_refused_before_reading(tmp_path):
    one_line_error(cli("check", "/dev/zero"), "/dev/zero: is not a regular file")


def test_read_is_bounded_even_when_the_size_lies(tmp_path):
    """/proc files say size 0; a file may grow after fstat: the read stops at cap + 1 bytes."""
    with pytest.raises(InputError, match="limit is 10"):
        read_bytes("/proc/self/status", cap=10)


def test_yaml_size_cap_names_json_as_the_route(tmp_path, monkeypatch):
    big = tmp_path / "facts.yaml"
    with open(big, "wb") as fh:
        fh.truncate(loading.MAX_YAML_BYTES + 1)  # sparse: no disk used
    line = one_line_error(cli("check", big), f"{big}: file is {loading.MAX_YAML_BYTES + 1} bytes")
    assert ".json" in line
    # the cap, not the parser, refuses it; and JSON has its own, larger cap
    monkeypatch.setattr(loading, "MAX_YAML_BYTES", 20)
    write(tmp_path, "small.yaml", "as_of: 2025-01-01\n")
    with pytest.raises(InputError, match="limited to 20 bytes"):
        load(write(tmp_path, "f.yaml", "as_of: 2025-01-01\norganization: {}\n"))
    load(tmp_path / "small.yaml")
    monkeypatch.setattr(loading, "MAX_INPUT_BYTES", 20)
    with pytest.raises(InputError, match="limit is 20"):
        load(write(tmp_path, "f.json", '{"as_of": "2025-01-01", "x": 1}'))


# ------------------------------------------------------------------ attachments: no links, bounded, regular


def _attach(tmp_path: Path, path: str, sha: str | None = None) -> Path:
    extra = f", sha256: {sha}" if sha else ""
    return write(tmp_path, "facts.yaml", f"as_of: 2025-11-30\norganization: {{name: X}}\nattachments:\n  - {{id: a, kind: k, path: '{path}'{extra}}}\n")


def test_symlinks_on_an_attachment_path_are_refused_even_inside(tmp_path):
    write(tmp_path, "ev/a.txt", "inside\n")
    (tmp_path / "ev" / "link.txt").symlink_to("a.txt")
    (tmp_path / "evlink").symlink_to("ev")
    for path in ("ev/link.txt", "evlink/a.txt"):
        one_line_error(cli("validate", _attach(tmp_path, path)), "attachments[0].path: a symlink is on the path")
    assert cli("validate", _attach(tmp_path, "ev/a.txt")).returncode == 0


def test_open_beneath_never_follows_a_component_swapped_for_a_symlink(tmp_path):
    """The race: a checked folder replaced by a link to outside. Each component is opened relative to
    the previous descriptor with O_NOFOLLOW, so the swapped link is refused, not followed."""
    outside = tmp_path / "outside"
    write(outside, "ev/secret.txt", "secret\n")
    root = tmp_path / "root"
    write(root, "ev/secret.txt", "ok\n")
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        shutil.rmtree(root / "ev")
        (root / "ev").symlink_to(outside / "ev")  # swapped after the root was opened
        with pytest.raises(Refused, match="symlink"):
            open_beneath(fd, "ev/secret.txt")
    finally:
        os.close(fd)


def test_fifo_and_device_attachments_are_refused_without_hanging(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    one_line_error(cli("validate", _attach(tmp_path, "pipe")), "not a regular file")
    one_line_error(cli("validate", _attach(tmp_path, ".")), "attachments[0].path")


@ROOT_ONLY
def test_device_attachment_is_refused(tmp_path):
    os.mknod(tmp_path / "zero", 0o444 | stat.S_IFCHR, os.makedev(1, 5))  # a copy of /dev/zero
    one_line_error(cli("validate", _attach(tmp_path, "zero")), "not a regular file")


def test_attachment_size_cap_is_configurable(tmp_path):
    write(tmp_path, "a.txt", "123456")
    f = _attach(tmp_path, "a.txt")
    env = {**os.environ, ENV_MAX_ATTACHMENT_BYTES: "5"}
    proc = subprocess.run([exe(), "validate", str(f)], capture_output=True, text=True, env=env, timeout=300)
    one_line_error(proc, "attachments[0].path: the file is 6 bytes; the attachment limit is 5")
    env[ENV_MAX_ATTACHMENT_BYTES] = "6"
    assert subprocess.run([exe(), "validate", str(f)], capture_output=True, env=env, timeout=300).returncode == 0
    env[ENV_MAX_ATTACHMENT_BYTES] = "lots"
    proc = subprocess.run([exe(), "validate", str(f)], capture_output=True, text=True, env=env, timeout=300)
    one_line_error(proc, ENV_MAX_ATTACHMENT_BYTES, "whole number")


def test_default_attachment_cap_refuses_a_huge_sparse_file_without_reading_it(tmp_path):
    from compliance.evidence import MAX_ATTACHMENT_BYTES

    with open(tmp_path / "big.bin", "wb") as fh:
        fh.truncate(MAX_ATTACHMENT_BYTES + 1)
    started = time.monotonic()
    one_line_error(cli("validate", _attach(tmp_path, "big.bin")), "attachment limit")
    assert time.monotonic() - started < 60


def test_hard_link_is_hashed_as_found_and_noted(tmp_path):
    (tmp_path / "outside.txt").write_text("hello\n")
    org = tmp_path / "org"
    org.mkdir()
    (org / "a.txt").hardlink_to(tmp_path / "outside.txt")
    from compliance.evidence import inspect
    from compliance.facts import Attachment

    statuses, refusals, gaps = inspect([Attachment(id="a", kind="k", path="a.txt")], org, "f.yaml", "")
    assert not refusals and not gaps
    assert statuses[0].status == "ok" and statuses[0].size == 6 and "2 hard links" in statuses[0].note


def test_duplicate_attachment_ids_are_refused(tmp_path):
    write(tmp_path, "a.txt", "x")
    f = write(tmp_path, "facts.yaml", "as_of: 2025-11-30\norganization: {name: X}\nattachments:\n  - {id: a, kind: k, path: a.txt}\n  - {id: a, kind: k, path: a.txt}\n")
    one_line_error(cli("validate", f), f"{f}:5: attachments[1].id: duplicate attachment id 'a'")


# ------------------------------------------------------------------ never a traceback


DEEP_JSON = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    "name, text, fragment",
    [
        ("deep.json", DEEP_JSON, "nested too deeply"),
        ("digits.json", '{"as_of": "2025-11-30", "organization": {"name": "X", "subjects": ' + "9" * 5000 + "}}", "invalid JSON"),
        ("digits.yaml", "as_of: 2025-11-30\norganization: {name: X, subjects: " + "9" * 5000 + "}\n", ":2: invalid YAML: the number has too many digits"),
        ("key.yaml", "as_of: 2025-11-30\n? [a, b]\n: x\n", ":2: invalid YAML: a mapping key must be a plain value"),
        ("set.yaml", "as_of: 2025-11-30\norganization: !!set {a, b}\n", ":2: invalid YAML: the YAML tag !!set is not allowed"),
        ("binary.yaml", "as_of: 2025-11-30\norganization: {name: !!binary aGk=}\n", "the YAML tag !!binary is not allowed"),
        ("merge.yaml", "as_of: 2025-11-30\norganization:\n  <<: {name: X}\n", ":3: invalid YAML: YAML merge keys (<<) are not allowed"),
        ("latin1.yaml", "as_of: 2025-11-30\norganization: {name: Caf\xe9}\n", "not UTF-8"),
        ("deep.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n", "invalid YAML"),
        ("nul.yaml", "as_of: 2025-11-30\norganization: {name: X}\nattachments:\n  - {id: a, kind: k, path: \"a\\0b\"}\n", "NUL byte"),
        ("long.yaml", "as_of: 2025-11-30\norganization: {name: X}\nattachments:\n  - {id: a, kind: k, path: " + "n" * 300 + "}\n", "too long"),
        ("overflow.yaml", None, "out of range"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 20 else "",
)
def test_hostile_inputs_are_one_line_exit_2(tmp_path, name, text, fragment):
    if text is None:  # a departure on the last representable day: the check's "+ days(1)" overflows
        shutil.copytree(CLEAN, tmp_path / "org")
        f = tmp_path / "org" / "facts.yaml"
        t = f.read_text(encoding="utf-8").replace("as_of: 2025-11-30", "as_of: 9999-12-31")
        f.write_text(t.replace("left_on: 2025-04-30", "left_on: 9999-12-31"), encoding="utf-8")
    else:
        f = tmp_path / name
        f.write_bytes(text.encode("latin-1") if name == "latin1.yaml" else text.encode("utf-8"))
    one_line_error(cli("check", f), fragment)


def test_os_errors_on_input_paths_are_one_line(tmp_path):
    (tmp_path / "loop").symlink_to("loop")
    one_line_error(cli("check", tmp_path / "loop"), "symbolic links")
    one_line_error(cli("check", tmp_path / ("n" * 300 + ".yaml")), "too long")
    one_line_error(cli("check", tmp_path), "is a directory")
    write(tmp_path, "file", "x")
    one_line_error(cli("check", tmp_path / "file" / "facts.yaml"), "not found")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_input_is_one_line(tmp_path):
    f = write(tmp_path, "facts.yaml", "as_of: 2025-11-30\n")
    f.chmod(0)
    one_line_error(cli("check", f), "permission denied")


def test_an_internal_error_is_one_line_with_its_own_exit_code(monkeypatch, capsys):
    import compliance.cli as cli_module

    def boom(args):
        raise RuntimeError("unexpected\nsecond line")

    monkeypatch.setattr(cli_module, "cmd_schema", boom)
    assert main(["schema", "result"]) == EXIT_INTERNAL == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("pipa-audit: internal error: RuntimeError: unexpected\\x0asecond line; please report")


def test_messages_print_values_inert(tmp_path):
    name = tmp_path / "evil\x1b[2J\nname.yaml"
    proc = cli("check", name)
    line = one_line_error(proc, "file not found")
    assert "\x1b" not in proc.stderr and "\\x1b[2J\\x0aname.yaml" in line
    shutil.copytree(CLEAN, tmp_path / "org")
    f = tmp_path / "org" / "facts.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace('name: "Small Clinic', 'name: "\\e]0;pwned\\a\\u202eSmall\\nClinic', 1), encoding="utf-8")
    proc = cli("check", f)
    assert proc.returncode in (0, 1), proc.stderr  # the verdict is not the point here
    assert not any(ch in proc.stdout for ch in "\x1b\x07\u202e")
    assert "\\x1b]0;pwned\\x07\\u202eSmall\\x0aClinic" in proc.stdout.splitlines()[0]


def test_inert_keeps_korean_and_escapes_controls():
    assert inert("개인정보 보호법 · ok") == "개인정보 보호법 · ok"
    assert inert("a\tb\x00\udcff\u2028") == "a\\x09b\\x00\\udcff\\u2028"
    # a Problem is inert itself, for every consumer (InputError's message, logs), not only the CLI
    problem = loading.Problem("f\x1b.yaml", 3, "duplicate key 'a\nb'", "x")
    assert str(problem) == "f\\x1b.yaml:3: x: duplicate key 'a\\x0ab'"
    assert str(InputError([problem])) == str(problem)


# ------------------------------------------------------------------ standard output


def test_reader_closing_the_pipe_early_keeps_the_verdict(tmp_path):
    proc = subprocess.Popen([exe(), "check", str(SEED / "facts.yaml"), "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.read(10)
    proc.stdout.close()  # the JSON is far bigger than a pipe buffer: the writer meets EPIPE
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert proc.returncode == 1, err  # the seed has failing findings: a closed pipe is no pass
    assert all(line.startswith("warning: the law changed") for line in err.splitlines()), err  # no error, no traceback


# ------------------------------------------------------------------ other promises (issue 10 list)


def test_usage_guards_pdfa_and_framework(tmp_path):
    one_line_error(cli("report", CLEAN / "facts.yaml", "-o", tmp_path / "r.html", "--pdfa"), "--pdfa applies to PDF output only")
    one_line_error(cli("check", CLEAN / "facts.yaml", "--framework", "isms-p", "--format", "junit"), "--framework works with --format text or json")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "suffix, probe",
    [
        ("html", lambda b: b.lstrip().lower().startswith(b"<!doctype html")),
        ("md", lambda b: b.startswith(b"#")),
        ("json", lambda b: "controls" in json.loads(b)),
        ("xml", lambda b: b.startswith(b"<?xml") and b"<testsuite" in b),
        ("sarif", lambda b: "runs" in json.loads(b)),
        ("pdf", lambda b: b.startswith(b"%PDF-")),  # an unknown extension is a usage error (issue 12)
    ],
)
def test_report_format_from_the_file_name(tmp_path, capsys, suffix, probe):
    out = tmp_path / f"report.{suffix}"
    assert main(["report", str(CLEAN / "facts.yaml"), "-o", str(out), "--lang", "en"]) == 0
    assert probe(out.read_bytes()), out.read_bytes()[:80]


def test_markdown_escapes_table_pipes(tmp_path, capsys):
    shutil.copytree(CLEAN, tmp_path / "org")
    f = tmp_path / "org" / "facts.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace('name: "Small Clinic', 'name: "A|B Small Clinic', 1), encoding="utf-8")
    out = tmp_path / "r.md"
    assert main(["report", str(f), "-o", str(out), "--lang", "en"]) == 0
    row = next(line for line in out.read_text(encoding="utf-8").splitlines() if "Small Clinic" in line)
    assert "A\\|B Small Clinic" in row and row.count("|") - row.count("\\|") == 3


def _seed_ids(tmp_path: Path):
    """The seed's as-of date, a non-compliant control a waiver may set aside, and a compliant one."""
    from compliance.pipeline import audit

    r = audit(SEED / "facts.yaml", CATALOGS)
    passing = next(c.id for c in r.controls if c.verdict == "compliant")
    for c in r.controls:
        if c.verdict != "non-compliant":
            continue
        try:  # some duties (statutory deadlines) cannot be waived at all
            audit(SEED / "facts.yaml", CATALOGS, _waivers(tmp_path, (c.id, None, r.as_of + dt.timedelta(days=9))))
        except InputError:
            continue
        return r.as_of, c.id, passing
    raise AssertionError("the seed has no waivable non-compliant control")


def _waivers(tmp_path: Path, *entries: tuple[str, dt.date | None, dt.date]) -> Path:
    rows = "".join(
        f"  - {{control: {cid}, owner: O, approved_by: CPO, justification: 'a reason long enough', expires: {exp}"
        + (f", granted_on: {granted}" if granted else "")
        + "}\n"
        for cid, granted, exp in entries
    )
    return write(tmp_path, "waivers.yaml", "waivers:\n" + rows)


def test_waiver_statuses_active_not_yet_granted_not_needed_expired(tmp_path):
    from compliance.pipeline import audit

    as_of, failing, passing = _seed_ids(tmp_path)
    day = dt.timedelta(days=1)
    cases = [
        ((failing, as_of - day, as_of + day), failing, "waived", "active"),
        ((failing, as_of + day, as_of + 2 * day), failing, "non-compliant", "not-yet-granted"),
        ((failing, None, as_of - day), failing, "non-compliant", "expired"),
        ((passing, None, as_of + day), passing, "compliant", "not-needed"),
    ]
    for entry, cid, verdict, status in cases:
        r = audit(SEED / "facts.yaml", CATALOGS, _waivers(tmp_path, entry))
        c = next(c for c in r.controls if c.id == cid)
        assert (c.verdict, c.waiver.status) == (verdict, status), entry


def test_two_waivers_for_one_control_are_refused(tmp_path):
    from compliance.pipeline import audit

    as_of, failing, _ = _seed_ids(tmp_path)
    w = _waivers(tmp_path, (failing, None, as_of + dt.timedelta(days=9)), (failing, None, as_of + dt.timedelta(days=9)))
    with pytest.raises(InputError) as exc:
        audit(SEED / "facts.yaml", CATALOGS, w)
    assert [str(p) for p in exc.value.problems] == [f"{w}:3: waivers[1].control: second waiver for '{failing}'"]


def test_has_is_true_for_a_stated_null_and_false_for_an_absent_field():
    from compliance.catalog import FACTS_TYPE
    from compliance.expr import compile_expr

    c = compile_expr("has(organization.revenue_krw)", FACTS_TYPE)
    assert c.fn({"organization": {"revenue_krw": None}}, {}) is True
    assert c.fn({"organization": {}}, {}) is False
    assert c.fn({"organization": {"revenue_krw": 5}}, {}) is True


def test_fact_strings_are_bounded_at_validation(tmp_path):
    """A 1 MB organisation name took minutes to lay out in the PDF: refuse it at validation."""
    shutil.copytree(CLEAN, tmp_path / "org")
    f = tmp_path / "org" / "facts.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace('name: "Small Clinic', 'name: "' + "x" * 5000, 1), encoding="utf-8")
    one_line_error(cli("check", f), "organization.name: String should have at most 4096 characters")


# ------------------------------------------------------------------ inputs read beside the facts


def test_law_texts_beside_the_catalogs_are_inputs_of_the_run(org, capsys):
    """The law texts a catalog quotes are read by every check: an output naming one is refused, also when the
    texts come from the cache of an earlier run in the same process."""
    facts, law = org / "org" / "facts.yaml", org / "controls" / "law"
    for target in (law / "sources.yaml", sorted(law.glob("*.md"))[0]):
        before = target.read_bytes()
        for _ in range(2):  # the second run takes the library from the cache
            assert main(["check", str(facts), "--catalog", str(org / "controls"), "--format", "md", "-o", str(target)]) == 2
            assert "is an input of this run" in capsys.readouterr().err
        assert target.read_bytes() == before


@pytest.mark.parametrize("index, fragment", [
    ("sources: [{id: x}]\n", "not a law-text index"),
    ("sources:\n  - {id: x, file: ../../facts.yaml, instrument: pipa, version: '1', in_force: 2025-01-01, provenance: p}\n",
     "must be a file name"),
    ("sources: !!set {a}\n", "sources.yaml:1:"),
])
def test_a_broken_law_text_index_is_one_line_error(org, index, fragment):
    (org / "controls" / "law" / "sources.yaml").write_text(index, encoding="utf-8")
    one_line_error(cli("catalog", "lint", "--catalog", org / "controls"), fragment)


@pytest.mark.parametrize("text, fragment", [
    ("[" * 100_000 + "]" * 100_000, ":1:65: invalid JSON: nested too deeply"),  # JSON: line and column
    ('{"tool": "x",\n "tool": "y"}', ":2:2: duplicate key 'tool'"),
    ('{"n": 1' + "0" * 5000 + "}", ":1:7: invalid JSON"),
    ("[1]", ":1: not derived facts: expected a JSON object"),
    ('{"tool": 1}', "not derived facts of this version"),
])
def test_derived_facts_that_are_not_are_one_line_errors(tmp_path, text, fragment):
    bad = write(tmp_path, "derived.json", text)
    one_line_error(cli("check", SEED / "facts.yaml", "--derived", bad), f"{bad}{fragment}" if fragment.startswith(":") else fragment)


def test_logs_lint_of_an_unreadable_file_is_bad_input_not_a_finding(tmp_path):
    one_line_error(cli("logs", "lint", tmp_path / "none.sql"), "none.sql: file not found")
    binary = tmp_path / "binary.sql"
    binary.write_bytes(b"SELECT \xff\xfe FROM records")
    one_line_error(cli("logs", "lint", binary), "binary.sql: not UTF-8 text")


@pytest.fixture(scope="module")
def sql_bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "bundle"
    proc = cli("logs", "export-sql", "--dialect", "duckdb", "--facts", SEED / "facts.yaml", "-o", out)
    assert proc.returncode == 0, proc.stderr
    return out


def _bundle_copy(sql_bundle: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "bundle"
    shutil.copytree(sql_bundle, copy)
    (copy / "results").mkdir()
    return copy


def test_import_results_locates_bad_result_rows(sql_bundle, tmp_path):
    bundle = _bundle_copy(sql_bundle, tmp_path)
    (bundle / "results" / "reviews.jsonl").write_text('{"a": 1}\n' + "[" * 100_000 + "]" * 100_000 + '\n[1]\n{"a": 1, "a": 2}\n')
    from compliance.logs.analyses import COLUMNS

    header = COLUMNS["downloads.sql"]  # a result must carry the query's own columns
    (bundle / "results" / "downloads.csv").write_text(",".join(header) + "\n" + ",".join("1" * len(header)) + "\n"
                                                      + ",".join("1" * (len(header) + 1)) + "\n")
    proc = cli("logs", "import-results", bundle, "-o", tmp_path / "out.json")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    jsonl, csv_file = bundle / "results" / "reviews.jsonl", bundle / "results" / "downloads.csv"
    for line in (f"{jsonl}:2: invalid JSON: nested too deeply", f"{jsonl}:3: expected one JSON object per line, found list",
                 f"{jsonl}:4: duplicate key 'a'", f"{csv_file}:3: has {len(header) + 1} fields; the header has {len(header)}"):
        assert any(err.startswith(line) for err in proc.stderr.splitlines()), (line, proc.stderr.splitlines())
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("edit, fragment", [
    (lambda b: b.pop("queries"), "bundle.json:1:1: queries: Field required"),
    (lambda b: b["tables"][0].update(name="../../facts"), "tables[0].name: String should match pattern"),
    (lambda b: b["queries"][0].update(file="../x.sql"), "queries[0].file: String should match pattern"),
    (lambda b: b.update(dataset={"rows_in": 5}), "dataset.rows_out: Field required"),
])
def test_import_results_refuses_a_malformed_bundle_with_its_line(sql_bundle, tmp_path, edit, fragment):
    bundle = _bundle_copy(sql_bundle, tmp_path)
    meta = json.loads((bundle / "bundle.json").read_text(encoding="utf-8"))
    edit(meta)
    (bundle / "bundle.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    proc = cli("logs", "import-results", bundle)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert fragment in proc.stderr, proc.stderr


def test_messages_naming_a_created_folder_are_inert(tmp_path):
    out = tmp_path / "demo\x1b[31m"
    proc = cli("demo", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stderr and "\\x1b" in proc.stderr


@pytest.mark.parametrize("edit, fragment", [
    (lambda m, text: "[" * 100_000 + "]" * 100_000, "manifest.json:1:65: invalid JSON: nested too deeply"),
    (lambda m, text: json.dumps({**m, "outputs": [{**m["outputs"][0], "path": "../../facts.yaml"}]}),
     "invalid manifest: outputs[0].path: Value error, must be a path inside the ingested folder"),
])
def test_a_tampered_manifest_is_one_line_error_and_nothing_outside_is_read(tmp_path, edit, fragment):
    rec = tmp_path / "rec"
    assert cli("logs", "ingest", SEED / "evidence" / "access-records-sys-auth.csv", "-o", rec).returncode == 0
    manifest = rec / "manifest.json"
    manifest.write_text(edit(json.loads(manifest.read_text(encoding="utf-8")), manifest.read_text(encoding="utf-8")), encoding="utf-8")
    one_line_error(cli("logs", "analyze", rec, "--facts", SEED / "facts.yaml", "-o", tmp_path / "d.json"), fragment)


def test_json_lines_that_python_cannot_read_are_rejected_rows_not_a_crash(tmp_path):
    good = '{"account": "acc-1", "timestamp": "2025-03-01T09:00:00+09:00", "ip": "10.0.0.1", "system": "sys-auth", "action": "read"}'
    export = write(tmp_path, "export.jsonl", "\n".join([
        good, "[" * 5000 + "]" * 5000, '{"account": 1' + "0" * 5000 + "}", "null", "[1, 2]", good]) + "\n")
    proc = cli("logs", "ingest", export, "-o", tmp_path / "rec", "-q")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    import csv as csv_module

    with open(tmp_path / "rec" / "rejects.csv", encoding="utf-8-sig", newline="") as fh:
        rejects = {int(r["line"]): r["reason"] for r in csv_module.DictReader(fh)}
    assert rejects[2] == "invalid JSON: nested too deeply"
    assert rejects[3].startswith("invalid JSON: Exceeds the limit")
    assert (rejects[4], rejects[5]) == ("expected a JSON object, found null", "expected a JSON object, found an array")
    assert sorted(rejects) == [2, 3, 4, 5]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory) -> Path:
    rec = tmp_path_factory.mktemp("ingested") / "rec"
    assert cli("logs", "ingest", SEED / "evidence" / "access-records-sys-auth.csv", "-o", rec, "-q").returncode == 0
    return rec


def test_a_damaged_parquet_file_is_one_line_error_naming_the_folder(ingested, tmp_path):
    """Damaged after ingest with its hash re-stated in the manifest: the engine, not the hash, finds it."""
    import hashlib

    rec = tmp_path / "rec"
    shutil.copytree(ingested, rec)
    meta = json.loads((rec / "manifest.json").read_text(encoding="utf-8"))
    damaged = rec / meta["outputs"][0]["path"]
    damaged.write_bytes(b"PAR1" + b"x" * 8 + b"PAR1")
    meta["outputs"][0]["sha256"] = hashlib.sha256(damaged.read_bytes()).hexdigest()
    (rec / "manifest.json").write_text(json.dumps(meta), encoding="utf-8")
    one_line_error(cli("logs", "analyze", rec, "--facts", SEED / "facts.yaml", "-q"), f"{rec}: duckdb cannot read the records")


@pytest.mark.parametrize("flag, value", [("--threads", "0"), ("--examples", "-5"), ("--threads", "two")])
def test_analysis_counts_must_be_whole_numbers_in_range(ingested, flag, value):
    one_line_error(cli("logs", "analyze", ingested, "--facts", SEED / "facts.yaml", flag, value), f"argument {flag}: expected a whole number")


@pytest.mark.parametrize("make, fragment", [(os.mkdir, "is a directory"), (os.mkfifo, "is not a regular file")])
def test_a_law_text_index_that_is_no_file_is_refused_not_taken_as_absent(org, make, fragment):
    """Taken as absent, every quote of every catalog became 'no law texts to compare with' (76 lines)."""
    index = org / "controls" / "law" / "sources.yaml"
    index.unlink()
    make(index)
    one_line_error(cli("catalog", "lint", "--catalog", org / "controls"), f"{index}: {fragment}")


# ------------------------------------------------------------------ names, numbers and locales from the environment


@pytest.mark.parametrize("var", ["PIPA_AUDIT_EVAL_BUDGET", "PIPA_AUDIT_MAX_ATTACHMENT_BYTES"])
@pytest.mark.parametrize("value", ["²", "١٢", "-5", "1e9"])
def test_limits_from_the_environment_must_be_ascii_whole_numbers(var, value):
    """'²' and Arabic-Indic digits are digits to str.isdigit but not to int(): they were exit 70."""
    proc = subprocess.run([sys.executable, "-m", "compliance", "check", str(CLEAN / "facts.yaml")], capture_output=True,
                          text=True, env={**os.environ, var: value}, timeout=120)
    one_line_error(proc, f"{var}: must be a whole number")


def test_a_file_name_that_is_not_utf8_is_one_line_error(tmp_path):
    """JSON, SARIF and the PDF name their inputs in UTF-8: a latin-1 name (surrogates in Python) was exit 70."""
    shutil.copytree(CLEAN, tmp_path / "org")
    name = Path(os.fsdecode(bytes(tmp_path / "org") + b"/f\xe9.yaml"))
    shutil.copy(tmp_path / "org" / "facts.yaml", name)
    proc = cli("check", name, "--format", "json", "-o", tmp_path / "r.json")
    one_line_error(proc, "the name is not UTF-8 text")
    assert not (tmp_path / "r.json").exists()


@pytest.mark.parametrize("args", [("catalog", "coverage"), ("check", str(SEED / "facts.yaml"))])
def test_a_terminal_that_cannot_show_hangul_gets_escapes_not_a_crash(args):
    proc = subprocess.run([sys.executable, "-m", "compliance", *args], capture_output=True,
                          env={**os.environ, "PYTHONIOENCODING": "latin-1"}, timeout=120)
    assert proc.returncode in (0, 1) and b"Traceback" not in proc.stderr, proc.stderr
    assert b"\\u" in proc.stdout + proc.stderr  # Hangul (or an arrow) shown as escapes


def test_control_characters_in_facts_are_shown_as_escapes_in_every_rendered_report(tmp_path):
    """HTML forbids C0/C1 controls (NUL is dropped, ESC is a parse error), a PDF cannot draw them and a terminal
    acts on them when the Markdown is read: every template prints them as \\xNN text."""
    from pypdf import PdfReader

    shutil.copytree(CLEAN, tmp_path / "org")
    f = tmp_path / "org" / "facts.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace('name: "Small Clinic', 'name: "Small\\x1b[31m\\x00\\x07\\x85 Clinic', 1), encoding="utf-8")
    undrawable = set(map(chr, [*range(0, 9), 11, 12, *range(14, 32), *range(0x7F, 0xA0)]))
    for fmt in ("html", "md"):
        out = tmp_path / f"r.{fmt}"
        proc = cli("report", f, "--format", fmt, "-o", out)
        assert proc.returncode in (0, 1), proc.stderr
        text = out.read_text(encoding="utf-8")
        assert not undrawable & set(text), (fmt, sorted(undrawable & set(text)))
        assert ("Small\\x1b[31m\\x00\\x07\\x85 Clinic" if fmt == "html" else "Small\\x1b\\[31m\\x00\\x07\\x85 Clinic") in text
    out = tmp_path / "r.pdf"
    assert cli("report", f, "--format", "pdf", "--lang", "en", "-o", out).returncode in (0, 1)
    assert "\\x1b[31m" in "".join(page.extract_text() for page in PdfReader(out).pages[:2])


def test_a_long_organisation_name_runs_in_the_page_header_cut_to_60_characters(tmp_path):
    """The header repeats the name on every page: 4,000 syllables there took WeasyPrint 258 s (20 s once cut,
    3.8 s with a space every 40 syllables of a run that has none). The cover still shows the whole name."""
    import re

    from compliance.pipeline import audit
    from compliance.render.html import render_html

    shutil.copytree(CLEAN, tmp_path / "org")
    f = tmp_path / "org" / "facts.yaml"
    name = "가나다라마" * 800
    f.write_text(f.read_text(encoding="utf-8").replace('name: "Small Clinic Booking Ltd. (example)"', f'name: "{name}"', 1), encoding="utf-8")
    html = render_html(audit(f, CATALOGS), "ko", for_print=True)
    (running,) = re.findall(r'<span class="org-name">(.*?)</span>', html)
    assert running.replace(" ", "") == name[:60]
    cover = re.search(r'<span class="org-name">.*?</td>', html).group(0)
    assert re.sub(r"<[^>]*>| ", "", cover) == name  # every syllable, in order
    assert not re.search("[\uac00-\ud7a3]{41,}", html.split("<body", 1)[1])  # no run to break between syllables


def test_rejects_csv_cells_never_start_a_spreadsheet_formula(tmp_path):
    """rejects.csv is written for spreadsheets (BOM for Korean): a file or header named like a formula is text."""
    import csv as csv_module

    export = write(tmp_path, "=HYPERLINK(1).csv", "계정,접속일시,접속지 정보,수행업무\nacc-1,2025-03-01 09:00:00,10.0.0.1,조회\nacc-2,bad,10.0.0.1,조회\n")
    proc = cli("logs", "ingest", export, "-o", tmp_path / "rec", "-q", "--system", "sys-a")
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / "rec" / "rejects.csv", encoding="utf-8-sig", newline="") as fh:
        (row,) = list(csv_module.DictReader(fh))
    assert row["file"] == "'=HYPERLINK(1).csv" and row["line"] == "3"
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row.values())


@pytest.mark.parametrize("args, fragment", [
    (("check", str(CLEAN / "facts.yaml"), "--as-of", "20250101"), "invalid date '20250101' (use YYYY-MM-DD)"),
    (("check", str(CLEAN / "facts.yaml"), "--as-of", "2025-W48-1"), "invalid date"),
    (("catalog", "diff", "--from", "2026-01-01", "--to", "2024-01-01"), "--from 2026-01-01 is after --to 2024-01-01"),
])
def test_dates_on_the_command_line_are_the_form_and_order_the_help_names(args, fragment):
    one_line_error(cli(*args), fragment)
