"""The official texts the catalogs quote, shipped as data, and the comparison `catalog lint` makes.

Why: a compliance tool that quotes superseded or mis-numbered law is worse than none. The texts in
``controls/law/`` are verbatim copies of mirrors of law.go.kr (provenance in each file's header and in
``sources.yaml``); every quoted Korean text in a catalog is compared with them, so a wrong word or a
wrong paragraph number fails lint instead of reaching a regulator.

Comparison normalises only what is typography, not law: the middle-dot variants (ㆍ U+318D, · U+00B7,
・ U+30FB, ‧ U+2027, • U+2022), runs of whitespace, the mirrors' markdown (``**①**``, ``1\\.``) and
law.go.kr's ``<개정 …>``/``<신설 …>`` annotations.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from compliance.i18n import _
from compliance.loading import fail, load, note_input, read_text

_DOTS = re.compile("[\u318d\u00b7\u30fb\u2027\u2022]")
_TAGS = re.compile(r"<(?:개정|신설|전문개정|본조신설|제목개정|종전)[^>]*>")
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"

_HEAD_NOTICE = re.compile(r"^제(\d+)조(?:의(\d+))?\(([^)]*)\)\s*(.*)$")
_HEAD_MD = re.compile(r"^#####\s*제(\d+)조(?:의(\d+))?\s*\((.*)\)\s*$")
_EDITOR_BRANCH = re.compile(r"this article is 제(\d+)조의(\d+)")
_PARA = re.compile(rf"^(?:\*\*)?([{_CIRCLED}])(?:\*\*)?\s*(.*)$")
_ITEM_ARTEFACT = re.compile(r"^\s*\d+\\?\.\s+(\d+)의(\d+)\\?\.\s+(.*)$")  # 9bow: "  1. 1의2.  text"
_ITEM = re.compile(r"^\s*(\d+)(?:의(\d+))?\\?\.\s*(.*)$")
_SUBITEM = re.compile(r"^\s*([가-하])\\?\.\s*(.*)$")
_STOP = re.compile(r"^#{2,3}\s*(부칙|별표|제개정이유|Supplement)")


def normalise(text: str) -> str:
    """The form two texts are compared in: typography folded, annotations dropped."""
    text = _TAGS.sub("", text.replace("**", "").replace("\\.", "."))
    return " ".join(_DOTS.sub("ㆍ", text).split())


@dataclass
class Node:
    """One article, paragraph (항), item (호) or sub-item (목) and its own words."""

    label: str  # "①", "1.", "1의2.", "가." ("" for an article)
    text: str
    children: list[Node] = field(default_factory=list)

    def full(self, exclude_items: frozenset[str] = frozenset()) -> str:
        """Own text and every descendant, one per line, each with its number, as the law prints it."""
        lines = [self.text] if self.text else []
        for c in self.children:
            if c.label.rstrip(".") in exclude_items:
                continue
            body = c.full()
            lines.append(f"{c.label} {body}" if c.label else body)
        return "\n".join(lines)


@dataclass
class LawText:
    """The articles of one stored version of an instrument, addressable as (article, paragraph, item, sub-item)."""

    articles: dict[str, Node]
    titles: dict[str, str]

    def find(self, article: str, paragraph: int | None = None, item: str | None = None, subitem: str | None = None):
        node = self.articles.get(article)
        if node is None:
            return None
        if paragraph is not None:
            node = next((c for c in node.children if c.label == _CIRCLED[paragraph - 1]), None)
        for want in ([f"{item}."] if item else []) + ([f"{subitem}."] if subitem else []):
            if node is None:
                return None
            node = next((c for c in node.children if c.label == want), None)
        return node


def parse(text: str) -> LawText:
    """Read a law file: everything after the first ``---`` line is law text in either the notice's
    plain layout (``제5조(제목)``, ``①``, ``1.``) or the legalize-kr markdown (``##### 제5조 (제목)``)."""
    lines = text.splitlines()
    try:
        start = lines.index("---") + 1
    except ValueError:
        start = 0
    articles: dict[str, Node] = {}
    titles: dict[str, str] = {}
    art = para = item = None
    branch_override: tuple[str, str] | None = None
    for raw in lines[start:]:
        line = raw.rstrip()
        if _STOP.match(line):
            break
        m = _EDITOR_BRANCH.search(line)
        if line.startswith("<!--"):
            if m:
                branch_override = (m.group(1), m.group(2))
            continue
        head = _HEAD_MD.match(line) or (None if line.startswith("#") else _HEAD_NOTICE.match(line))
        if head:
            main, branch = head.group(1), head.group(2)
            if branch_override and branch_override[0] == main and not branch:
                branch = branch_override[1]
            branch_override = None
            key = f"{main}-{branch}" if branch else main
            body = head.group(4) if head.re is _HEAD_NOTICE else ""
            art = articles[key] = Node("", body.strip())
            titles[key] = head.group(3)
            para = item = None
            continue
        if art is None or not line.strip() or line.startswith(("#", "```")) or line.startswith("│") or line.startswith(("┌", "├", "└")):
            continue
        if m := _PARA.match(line.strip()):
            para = Node(m.group(1), m.group(2).strip())
            art.children.append(para)
            item = None
            continue
        parent = para or art
        if m := _ITEM_ARTEFACT.match(line):
            item = Node(f"{m.group(1)}의{m.group(2)}.", m.group(3).strip())
            parent.children.append(item)
            continue
        if m := _ITEM.match(line):
            label = f"{m.group(1)}의{m.group(2)}." if m.group(2) else f"{m.group(1)}."
            item = Node(label, m.group(3).strip())
            parent.children.append(item)
            continue
        if (m := _SUBITEM.match(line)) and item is not None:
            item.children.append(Node(f"{m.group(1)}.", m.group(2).strip()))
            continue
        # a continuation line (a page-split the mirror kept): join it to the last node
        last = item or para or art
        last.text = f"{last.text} {line.strip()}".strip()
    return LawText(articles, titles)


@dataclass(frozen=True)
class Source:
    """One stored official text: which version of which instrument, in force when, from where."""

    id: str
    file: str
    instrument: str
    version: str
    in_force: dt.date
    until: dt.date | None
    provenance: str

    def covers(self, day: dt.date) -> bool:
        return self.in_force <= day and (self.until is None or day < self.until)


@dataclass
class Library:
    sources: dict[str, Source]
    texts: dict[str, LawText]
    index_path: Path


def load_library(directory: str) -> Library | None:
    """The law texts beside a catalog directory (``<catalogs>/law/sources.yaml``), or None if absent. Every file
    of it is an input of the run, also when the library comes from the cache: no output may overwrite it."""
    library = _library(directory)
    if library is not None:
        note_input(library.index_path)
        for src in library.sources.values():
            note_input(library.index_path.parent / src.file)
    return library


@lru_cache(maxsize=8)
def _library(directory: str) -> Library | None:
    index = Path(directory) / "law" / "sources.yaml"
    if not os.path.lexists(index):  # absent: no texts to compare with; anything else there is read, or refused
        return None
    data, _text = load(index)  # bounded, regular files only, refused tags and duplicate keys, located errors
    sources, texts = {}, {}
    try:
        for entry in data["sources"]:
            src = Source(
                entry["id"], entry["file"], entry["instrument"], str(entry["version"]), _day(entry["in_force"]),
                _day(entry.get("until")), entry["provenance"],
            )
            sources[src.id] = src
    except (KeyError, TypeError, ValueError) as exc:
        raise fail(index, _("not a law-text index (each source needs id, file, instrument, version, in_force and provenance; "
                            "in_force and until are YYYY-MM-DD): {error}").format(error=f"{type(exc).__name__}: {exc}")) from None
    for src in sources.values():
        if Path(src.file).name != src.file or src.file.startswith("."):
            raise fail(index, _("source {source}: file {file} must be a file name in {folder} (no folders)").format(
                source=repr(src.id), file=repr(src.file), folder=index.parent))
        texts[src.id] = parse(read_text(index.parent / src.file))
    return Library(sources, texts, index)


def _day(value) -> dt.date | None:
    """A date of the index: YAML 1.2 (as the loader reads it) leaves 2026-07-01 as text."""
    return None if value is None else value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
