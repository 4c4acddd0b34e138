"""The portable-SQL lint: reject constructs known to change meaning between DuckDB, Spark and Trino.

A transpile that succeeds proves nothing (a weekday transpile was measured silently wrong), so the analyses
are written in a subset that needs no transpiling of meaning; this lint keeps them there (rules and reasons in
``sql/README.md``). It works on sqlglot's tokens, so strings and comments never trigger it. The test that runs
every file on DuckDB and Spark is the proof; the lint stops the known traps before they get that far.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from compliance.i18n import _
from compliance.loading import inert, read_text

# the rules: a construct (function or keyword) names its rule, whose reason is written once, in reason()
WEEKDAY, DATEPART, DATEARITH, TIES, CLOCK, APPROX = "weekday", "datepart", "datearith", "ties", "clock", "approx"
CAST, DIVIDE, INT_DIVIDE, QUALIFY, ILIKE, LIMIT = "cast", "divide", "int-divide", "qualify", "ilike", "limit"


def reason(rule: str) -> str:
    """Why a rule's construct is refused, in the user's language (looked up when a finding is made)."""
    return {
        WEEKDAY: _("weekday numbering differs between engines (Sunday 0 vs 1): use the calendar table"),
        DATEPART: _("date and time functions differ between engines: use day_num, month, minute and the calendar "
                    "table"),
        DATEARITH: _("argument order and result types differ (DuckDB date_diff(unit, a, b) vs Spark datediff(end, "
                     "start)): subtract day numbers"),
        TIES: _("which row wins a tie differs: take ROW_NUMBER() = 1 over a total order (epoch_s, source, line)"),
        CLOCK: _("time comes from params.as_of, never from the engine's clock"),
        APPROX: _("approximate or order-dependent aggregates differ between engines and runs"),
        CAST: _("'::' casts are not in Trino; use CAST(x AS type)"),
        DIVIDE: _("'/' divides integers differently (Trino truncates): compare by multiplying instead"),
        INT_DIVIDE: _("'//' is DuckDB-only integer division"),
        QUALIFY: _("QUALIFY is not in Spark or Trino: filter a ROW_NUMBER() column in an outer query"),
        ILIKE: _("ILIKE is not in every engine: compare lower() values"),
        LIMIT: _("LIMIT without a total order is non-deterministic and not needed: examples are bounded in Python"),
    }[rule]


FUNCTIONS = {
    **dict.fromkeys(["dayofweek", "weekday", "dow", "isodow", "dayofweek_iso", "dayname", "day_of_week", "yearweek",
                     "week", "weekofyear", "isoyear"], WEEKDAY),
    **dict.fromkeys(["extract", "date_part", "datepart", "date_format", "strftime", "strptime", "date_trunc", "trunc",
                     "to_char", "to_date", "to_timestamp", "from_utc_timestamp", "to_utc_timestamp", "convert_timezone",
                     "timezone", "at_timezone", "make_date", "make_timestamp", "year", "month", "day", "hour", "minute",
                     "second", "dayofmonth", "dayofyear", "quarter", "last_day", "next_day", "epoch", "unix_timestamp",
                     "from_unixtime", "to_unixtime", "from_unixtime_nanos"], DATEPART),
    **dict.fromkeys(["date_add", "date_sub", "dateadd", "date_diff", "datediff", "months_between", "add_months",
                     "timestampadd", "timestampdiff", "age"], DATEARITH),
    **dict.fromkeys(["min_by", "max_by", "arg_min", "arg_max", "argmin", "argmax", "first", "last", "first_value",
                     "last_value", "any_value", "arbitrary", "nth_value"], TIES),
    **dict.fromkeys(["now", "current_date", "current_timestamp", "localtimestamp", "today", "get_current_time"], CLOCK),
    **dict.fromkeys(["approx_count_distinct", "approx_distinct", "approx_quantile", "approx_percentile",
                     "percentile_approx", "string_agg", "listagg", "group_concat", "collect_list", "collect_set",
                     "array_agg", "list", "median", "quantile", "quantile_cont", "quantile_disc", "percentile",
                     "percentile_cont", "percentile_disc", "random", "rand", "uuid", "avg", "mean", "stddev",
                     "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop"], APPROX),
}
KEYWORDS = {
    "::": CAST,
    "/": DIVIDE,
    "//": INT_DIVIDE,
    "qualify": QUALIFY,
    "ilike": ILIKE,
    "limit": LIMIT,
    "current_date": CLOCK,
    "current_timestamp": CLOCK,
}
ORDER_END = {"rows", "range", "groups", "limit", "offset", "union", "except", "intersect", "window", "fetch"}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def lint_text(text: str, path: str = "<sql>") -> list[Finding]:
    from sqlglot.errors import TokenError
    from sqlglot.tokens import Tokenizer, TokenType

    try:
        tokens = Tokenizer().tokenize(text)
    except TokenError as exc:
        return [Finding(path, 0, _("cannot tokenize: {error}").format(error=exc))]
    found: list[Finding] = []
    n = len(tokens)
    for i, tok in enumerate(tokens):
        word = tok.text.lower()
        nxt = tokens[i + 1] if i + 1 < n else None
        if tok.token_type in (TokenType.STRING,):
            continue
        if nxt is not None and nxt.token_type == TokenType.L_PAREN and word in FUNCTIONS:
            found.append(Finding(path, tok.line, f"{tok.text}(): {reason(FUNCTIONS[word])}"))
        elif word in KEYWORDS and tok.token_type != TokenType.VAR:
            found.append(Finding(path, tok.line, reason(KEYWORDS[word])))
        elif tok.token_type == TokenType.GROUP_BY and nxt is not None and nxt.text.lower() == "all":
            found.append(Finding(path, tok.line, _("GROUP BY ALL is DuckDB-only: list the columns")))
        if tok.token_type == TokenType.INTERVAL and (nxt is None or nxt.token_type != TokenType.STRING):
            found.append(Finding(path, tok.line, _("INTERVAL with a computed amount (INTERVAL (expr), INTERVAL n DAY) "
                                                   "parses differently between engines: multiply n * INTERVAL '1' DAY, "
                                                   "or use day numbers")))
        if tok.token_type == TokenType.ORDER_BY:
            found += _order_by(tokens, i + 1, path)
    return found


def _order_by(tokens, start: int, path: str) -> list[Finding]:
    from sqlglot.tokens import TokenType

    findings, depth, item = [], 0, []

    def close():
        words = [t.text.lower() for t in item]
        if item and not any(a == "nulls" and b in ("first", "last") for a, b in pairwise(words)):
            text = _("ORDER BY {expression}: name NULLS FIRST or NULLS LAST (DuckDB and Trino sort NULLs last "
                     "ascending, Spark first)").format(expression=" ".join(t.text for t in item))
            findings.append(Finding(path, item[0].line, text))

    for tok in tokens[start:]:
        if tok.token_type == TokenType.L_PAREN:
            depth += 1
        elif tok.token_type == TokenType.R_PAREN:
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (tok.token_type == TokenType.COMMA):
            close()
            item = []
            continue
        elif depth == 0 and (tok.text.lower() in ORDER_END or tok.token_type == TokenType.SEMICOLON):
            break
        item.append(tok)
    close()
    return findings


def lint_files(paths: list[Path]) -> list[Finding]:
    out = []
    for p in paths:
        out += lint_text(read_text(p), str(p))  # an unreadable file is bad input (exit 2), not a finding
    return out


def lint_cli(args) -> int:
    from compliance.logs.analyses import sql_files

    paths = [Path(f) for f in args.files] or sql_files()
    findings = lint_files(paths)
    for f in findings:
        print(inert(str(f)), file=sys.stderr)
    print(inert(_("{files} SQL file(s): {problems} problem(s)").format(files=len(paths), problems=len(findings))),
          file=sys.stderr if findings else sys.stdout)
    return 1 if findings else 0
