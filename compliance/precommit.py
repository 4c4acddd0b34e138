"""The pre-commit hook (``.pre-commit-hooks.yaml``, id ``pipa-audit-validate``): given the files a commit changes,
validate the evidence they belong to with ``pipa-audit validate``.

- A facts file (``facts*.yaml``, ``.yml``, ``.json``; not the ``*.schema.json`` that ``init`` writes beside it) or a
  waivers file (``waivers*…``) is validated itself.
- Any other file is validated through the facts files that list it: a facts file in its folder or a folder above it
  (up to the repository root, the working folder pre-commit runs in) whose text names the file by its path relative
  to the facts file's folder (an attachment, a tabular ``source``, an ``observed`` file — the facts may only name
  files beneath their own folder). Validating that facts file re-hashes its attachments, so an attachment edited
  after its ``sha256`` was stated fails the commit, with the attachment's line in the facts file.
- A file no facts file lists (an SBOM, an export, a note) is not validated: it is nobody's evidence, and reading it
  as a facts file would only report that it is not one.

Fast when there is nothing to do: the CLI is imported only when a file is to be validated, and a facts file is
parsed only when its text contains the changed file's name.
"""

from __future__ import annotations

import argparse
import json
import posixpath
import re
import sys
from pathlib import Path

FACTS = re.compile(r"^facts[^/]*\.(ya?ml|json)$")
WAIVERS = re.compile(r"^waivers[^/]*\.(ya?ml|json)$")
SCHEMA = re.compile(r"\.schema\.json$")


def kind_of(path: Path) -> str | None:
    """'facts' or 'waivers' by the file's name, else None."""
    if SCHEMA.search(path.name):
        return None
    if FACTS.match(path.name):
        return "facts"
    if WAIVERS.match(path.name):
        return "waivers"
    return None


def _folders(path: Path):
    """The folders that may hold a facts file listing ``path``: its own, then each one above it, up to the working
    folder for a relative path (pre-commit's paths are relative to the repository root), or up to the repository
    root (the first folder with ``.git``) for an absolute one."""
    for folder in path.parents:
        yield folder
        if not path.is_absolute() and folder == Path("."):
            return
        if path.is_absolute() and (folder / ".git").exists():
            return


class _Finder:
    def __init__(self):
        self._facts_in: dict[Path, list[Path]] = {}
        self._names: dict[Path, set[str] | None] = {}
        self._text: dict[Path, str | None] = {}

    def facts_in(self, folder: Path) -> list[Path]:
        if folder not in self._facts_in:
            try:
                found = sorted(f for f in folder.iterdir() if kind_of(f) == "facts" and f.is_file())
            except OSError:
                found = []
            self._facts_in[folder] = found
        return self._facts_in[folder]

    def _read(self, facts: Path) -> str | None:
        if facts not in self._text:
            try:
                self._text[facts] = facts.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError):
                self._text[facts] = None
        return self._text[facts]

    def _paths(self, facts: Path, text: str) -> set[str] | None:
        """Every string value of the facts, as a normalised relative path; None when the file cannot be parsed."""
        if facts not in self._names:
            try:
                if facts.suffix.lower() == ".json":
                    data = json.loads(text)
                else:
                    import yaml

                    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            except Exception:  # any parse error: validate says what is wrong
                self._names[facts] = None
                return None
            names: set[str] = set()
            stack = [data]
            while stack:
                value = stack.pop()
                if isinstance(value, dict):
                    stack.extend(value.values())
                elif isinstance(value, list):
                    stack.extend(value)
                elif isinstance(value, str) and 0 < len(value) < 4096 and "\n" not in value:
                    names.add(posixpath.normpath(value.replace("\\", "/")))
            self._names[facts] = names
        return self._names[facts]

    def lists(self, facts: Path, path: Path) -> bool:
        """Whether ``facts`` names ``path`` (a file beneath its folder). A facts file that cannot be read or parsed
        counts as listing it: validating it says what is wrong."""
        text = self._read(facts)
        if text is None:
            return True
        if path.name not in text and "\\" not in text:  # escapes aside, a path is written with the file's name
            return False
        names = self._paths(facts, text)
        if names is None:
            return True
        return path.relative_to(facts.parent).as_posix() in names


def select(files: list[str]) -> tuple[list[Path], list[Path], dict[Path, list[Path]]]:
    """The facts and waivers files to validate for these changed files, and for each other changed file the facts
    files that list it."""
    facts: dict[Path, None] = {}
    waivers: dict[Path, None] = {}
    listed_by: dict[Path, list[Path]] = {}
    finder = _Finder()
    for name in files:
        path = Path(name)
        kind = kind_of(path)
        if kind == "facts":
            facts[path] = None
        elif kind == "waivers":
            waivers[path] = None
        else:
            owners = [f for folder in _folders(path) for f in finder.facts_in(folder) if finder.lists(f, path)]
            if owners:
                listed_by[path] = owners
                facts.update(dict.fromkeys(owners))
    return list(facts), list(waivers), listed_by


def main(argv: list[str] | None = None) -> int:
    from compliance import i18n
    from compliance.i18n import _

    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m compliance.precommit")
    parser.add_argument("--catalog", default=None)
    parser.add_argument("--lang", choices=list(i18n.LANGS), default=None)
    parser.add_argument("files", nargs="*")
    args = parser.parse_args(argv)
    i18n.use(args.lang)
    facts, waivers, listed_by = select(args.files)
    if not facts and not waivers:
        return 0
    for path, owners in listed_by.items():
        for owner in owners:
            print(_("{path}: listed in {facts}; validating that file").format(path=path, facts=owner))
    from compliance.cli import main as cli_main

    options = [*(["--catalog", args.catalog] if args.catalog else []), *(["--lang", args.lang] if args.lang else [])]
    return cli_main(["validate", *options, *map(str, facts), *map(str, waivers)])


if __name__ == "__main__":
    sys.exit(main())
