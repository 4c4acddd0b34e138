"""The message catalog: every message the code can show has one Korean text, the compiled catalog is the one the
package reads, and a Korean user gets Korean help, usage errors and input errors."""

from __future__ import annotations

import argparse
import ast
import symtable
import re
from pathlib import Path

import pytest

from compliance import i18n, messages
from compliance.cli import build_parser, main

PACKAGE = Path(messages.__file__).parent


@pytest.fixture
def korean():
    i18n.use("ko")
    yield
    i18n.use("en")


def _brace(text: str) -> set[str]:
    return set(re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)(?:[!:][^{}]*)?\}", text))


def _percent(text: str) -> list[str]:
    return sorted(re.findall(r"%(?:\(\w+\))?[sdr]", text))


def test_every_message_in_the_code_has_korean_with_the_same_placeholders():
    catalog = {m.id: m.string for m in messages.read() if m.id}
    used = messages.extracted()
    missing = [msgid for msgid in used if not catalog.get(msgid)]
    assert not missing, f"{len(missing)} message(s) without Korean (python -m compliance.messages update): {missing[:5]}"
    wrong = [msgid for msgid in used if _brace(msgid) != _brace(catalog[msgid])]
    assert not wrong, f"placeholders differ between English and Korean: {wrong[:5]}"
    argparse_wrong = [m for m in messages.ARGPARSE if _percent(m) != _percent(catalog.get(m, ""))]
    assert not argparse_wrong


def test_the_catalog_keeps_no_message_the_code_no_longer_uses():
    used = set(messages.extracted()) | set(messages.ARGPARSE)
    stale = [m.id for m in messages.read() if m.id and m.id not in used]
    assert not stale, f"messages no code uses (python -m compliance.messages update): {stale[:5]}"


def test_the_committed_mo_is_the_compiled_po():
    assert messages.MO.read_bytes() == messages.compiled(), "run: python -m compliance.messages compile"


def _calls_to_underscore(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext"):
            yield node


def _scopes(table):
    yield table
    for child in table.get_children():
        yield from _scopes(child)


def test_every_message_id_is_a_literal_looked_up_at_run_time():
    """An f-string or a variable inside _() is never found in the catalog, and a lookup at import time freezes the
    language before --lang is read."""
    bad = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in _calls_to_underscore(tree):
            if not call.args or not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in call.args[:2 if call.func.id == "ngettext" else 1]):
                bad.append(f"{path.name}:{call.lineno}: not a literal")
        for scope in _scopes(symtable.symtable(path.read_text(encoding="utf-8"), str(path), "exec")):
            if "_" in scope.get_identifiers():
                name = scope.lookup("_")
                if name.is_assigned() and name.is_referenced():  # `a, _ = …` then `_("…")`: calls the value
                    bad.append(f"{path.name}: {scope.get_name()}() assigns _ and calls _()")
        for stmt in tree.body:  # module level: not inside a function or class body
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            for call in _calls_to_underscore(stmt):
                bad.append(f"{path.name}:{call.lineno}: looked up at import time")
    assert not bad, bad


def test_language_follows_the_locale_unless_lang_is_given():
    assert i18n.from_environment({"LANG": "ko_KR.UTF-8"}) == "ko"
    assert i18n.from_environment({"LANG": "en_US.UTF-8", "LC_ALL": "ko_KR.UTF-8"}) == "ko"
    assert i18n.from_environment({"LANGUAGE": "en:ko", "LANG": "ko_KR.UTF-8"}) == "en"
    assert i18n.from_environment({}) == "en"


def test_help_and_usage_errors_speak_korean(capsys):
    with pytest.raises(SystemExit):
        main(["--lang", "ko", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("사용법: pipa-audit"), out[:80]
    assert "init" in out and "validate" in out and "check" in out and "report" in out
    with pytest.raises(SystemExit) as exc:
        main(["--lang", "ko", "check"])
    assert exc.value.code == 2
    assert "다음 인자가 필요합니다" in capsys.readouterr().err


def test_english_stays_english(capsys, monkeypatch):
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    with pytest.raises(SystemExit):
        main(["--help"])
    assert capsys.readouterr().out.startswith("usage: pipa-audit")


def test_a_korean_locale_gets_korean_input_errors(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LC_ALL", "ko_KR.UTF-8")
    missing = tmp_path / "없는파일.yaml"
    assert main(["check", str(missing)]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and re.search(r"[\uac00-\ud7a3]", err.split(str(missing), 1)[1]), err


def _parsers(parser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                yield from _parsers(child)


def test_every_option_of_every_command_has_help_in_both_languages():
    for lang in ("en", "ko"):
        i18n.use(lang)
        try:
            parser = build_parser()
            bare = [f"{p.prog} {a.option_strings or a.dest}" for p in _parsers(parser) for a in p._actions
                    if not isinstance(a, argparse._SubParsersAction) and not a.help]
            assert not bare, f"options without help ({lang}): {bare}"
        finally:
            i18n.use("en")
    i18n.use("ko")
    try:
        texts = [a.help for p in _parsers(build_parser()) for a in p._actions if a.help and a.help != argparse.SUPPRESS]
    finally:
        i18n.use("en")
    english = [t for t in texts if not re.search(r"[\uac00-\ud7a3]", t) and len(t.split()) > 2]
    assert not english, f"help left in English under --lang ko: {english[:5]}"
