"""Secret scanners -> where secrets are stored in plain text: gitleaks's JSON report and TruffleHog's ``--json`` lines.

Each finding is one place where a scanner read a credential as plain text (a line of a file, in a commit or on
disk). Findings of the same rule or detector in the same file become one row of the facts' ``secrets`` list, whose
``count`` says how many there are; its id is built from the tool, the rule and the file's path (and, for TruffleHog,
the repository), so the same file scanned again gives the same id.

The values themselves never leave this module: ``Secret``, ``Match``, ``Raw``, ``RawV2``, ``Redacted``,
``ExtraData``, ``SecretParts`` … are never read into a row, a note, an identity or a message, and a row whose file
path or repository name contains its finding's value is withheld (listed as unmapped without the path) rather than
copy the value in its id. Error messages name a finding by its place in the file and a field by its name only.
The commit's author and e-mail are personal data and are not copied either: who committed a value is not who is
responsible for it (``owner``, left unknown).
"""

from __future__ import annotations

import gc
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from compliance.i18n import _
from compliance.importers import IdentityMap, Observed, Row, Unmapped, value_kind
from compliance.loading import MAX_JSON_CONTAINERS, InputError, fail

TOOLS = {"gitleaks": "Gitleaks (JSON report)", "trufflehog": "TruffleHog (JSON lines, --json)"}
_SHORTEST_VALUE = 4
"""A secret value shorter than this is not looked for in paths (a 1-3 character value is in most paths by chance)."""

# ---------------------------------------------------------------------------------------------- kind and location

_KIND_OF = {  # names whose words do not tell (flattened: lower case, letters and digits only)
    "aws": "api-key", "awsaccesstoken": "api-key", "yandexawsaccesstoken": "api-key", "awssessionkey": "token",
    "gcp": "private-key", "uri": "password", "azure": "api-key", "stripe": "api-key", "sendgrid": "api-key",
    "twilio": "api-key", "openai": "api-key", "anthropic": "api-key", "mailgun": "api-key", "heroku": "api-key",
    "huggingface": "token", "okta": "token", "pypi": "token",
}
_KIND_WORDS = (  # first match wins: a database password is a db-credential before it is a password
    ("private-key", ("privatekey", "pkcs12", "agesecretkey", "sshkey")),
    ("db-credential", ("postgres", "mysql", "mongo", "jdbc", "redis", "sqlserver", "mssql", "mariadb", "database",
                       "couchbase", "cockroach", "cassandra", "planetscalepassword")),
    ("password", ("password", "passwd", "curlauthuser", "sensitiveurl", "basicauth", "ftp", "ldap")),
    ("signing-key", ("signing", "hmac")),
    ("token", ("token", "oauth", "bearer", "webhook", "jwt", "sessioncookie", "authheader", "github", "gitlab",
               "slack")),
    ("other", ("clientid", "accessid", "encryptionkey", "kubernetessecret")),
    ("api-key", ("apikey", "key", "secret", "license")),
)


@lru_cache(maxsize=4096)
def kind_of(rule: str) -> str:
    """The facts' kind of secret a gitleaks rule id or TruffleHog detector name finds; 'other' when its name does
    not tell (the mapping is by name, so a custom rule named 'db-password' is a db-credential)."""
    lower = rule.lower()
    flat = re.sub(r"[^a-z0-9]", "", lower)
    if flat in _KIND_OF:
        return _KIND_OF[flat]
    for kind, words in _KIND_WORDS:
        if kind == "token" and "pat" in re.split(r"[^a-z0-9]+", lower):  # github-pat, digitalocean-pat
            return "token"
        if any(w in flat for w in words):
            return kind
    return "other"


_CONFIG_SUFFIXES = frozenset((".env", ".yaml", ".yml", ".json", ".ini", ".properties", ".toml", ".xml", ".conf",
                              ".cfg", ".cnf", ".config", ".tfvars", ".plist", ".npmrc", ".pypirc", ".netrc"))
_CONFIG_NAMES = frozenset(("config", "credentials", ".git-credentials", ".dockercfg", ".htpasswd", ".s3cfg"))
_CODE_SUFFIXES = frozenset((
    ".py", ".pyw", ".ipynb", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".vue", ".svelte", ".java", ".kt", ".kts",
    ".scala", ".groovy", ".gradle", ".go", ".rb", ".php", ".cs", ".vb", ".fs", ".c", ".h", ".cc", ".cpp", ".cxx",
    ".hpp", ".m", ".mm", ".swift", ".rs", ".dart", ".lua", ".pl", ".pm", ".r", ".jl", ".ex", ".exs", ".erl", ".clj",
    ".sh", ".bash", ".zsh", ".ps1", ".psm1", ".bat", ".cmd", ".sql", ".tf", ".hcl",
))
_LAST_PART = re.compile(r"[^/\\!]*\Z")  # after the last folder separator or archive step ('a.tar.gz!dir/.env')


def location_of(path: str) -> str:
    """'config-file' for configuration (.env, YAML, JSON, INI, properties, TOML, XML, conf …), 'code' for source
    files, else 'other' (a key file, a text file, a binary)."""
    name = _LAST_PART.search(path).group().lower()
    dot = name.rfind(".")
    suffix = name[dot:] if dot >= 0 else ""
    if suffix in _CONFIG_SUFFIXES or name in _CONFIG_NAMES or name.startswith(".env.") or name.endswith(".env"):
        return "config-file"
    return "code" if suffix in _CODE_SUFFIXES else "other"


# ---------------------------------------------------------------------------------------------- repositories

_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")
_SCP = re.compile(r"^[^/@:]+@([^/:]+):(.*)")  # git@github.com:org/repo.git


@lru_cache(maxsize=1024)
def repository_names(url: str) -> tuple[str, str]:
    """A repository as the tool wrote it less any user name, password or token in the URL, and the bare form used
    in ids (host and path, no scheme, no '.git'): https://github.com/o/r.git and git@github.com:o/r are both
    github.com/o/r."""
    shown = _USERINFO.sub(r"\1", url.split("?", 1)[0].split("#", 1)[0])
    scp = _SCP.match(shown)
    bare = f"{scp.group(1)}/{scp.group(2)}" if scp else shown.split("://", 1)[-1]
    bare = bare.rstrip("/")
    return shown, bare[:-4] if bare.endswith(".git") else bare


def _gitleaks_repository(link: str) -> str | None:
    """The repository of a gitleaks finding's Link (https://host/o/r/blob/<commit>/path#L3), where it gives one."""
    for step in ("/-/blob/", "/blob/", "/src/"):
        cut = link.find(step)
        if cut > 0:
            return link[:cut]
    return None


def _folders(path: str) -> list[str]:
    """The folders of ``path`` from the deepest to the top one ('a/b/c.py' -> 'a/b', 'a')."""
    return [path[:m.start()] for m in reversed(list(re.finditer(r"[/\\]", path))) if m.start() > 0]


# ---------------------------------------------------------------------------------------------- reading


class _Groups:
    """Findings grouped per (rule, repository, file): where the first stands, how many, how many verified live, and
    the repository as the first of them names it."""

    def __init__(self, file: str):
        self.file = file
        self.rows: dict[tuple, list] = {}  # key -> [at, count, verified, repository as written]
        self.withheld: set[tuple] = set()
        self.findings = 0


def _values_in(values, *names: str | None) -> bool:
    """True when one of the finding's secret values stands in a name that would be copied (a path, a repository)."""
    for value in values:
        if value.__class__ is str and len(value) >= _SHORTEST_VALUE:
            for name in names:
                if name and value in name:
                    return True
    return False


def _too_many_containers(data: bytes, name: str) -> None:
    """The cap every JSON input has (loading.MAX_JSON_CONTAINERS): 200 MB of '{}' would otherwise take gigabytes."""
    if len(data) > 2 * MAX_JSON_CONTAINERS:
        containers = data.count(b"{") + data.count(b"[")
        if containers > MAX_JSON_CONTAINERS:
            raise fail(name, _("has {containers} '{{' and '[': more than the {limit} objects and lists a JSON input may "
                               "hold; split the scan").format(containers=f"{containers:,}", limit=f"{MAX_JSON_CONTAINERS:,}"))


def _sniff(data: bytes) -> str | None:
    """What another tool's output or another version looks like from its first bytes, for a message that says so."""
    head = data[:4096]
    if b'"SourceMetadata"' in head:
        return "trufflehog"
    if b'"runs"' in head and (b"sarif" in head or b'"$schema"' in head or b'"version"' in head):
        return "sarif"
    if b'"offender"' in head and b'"lineNumber"' in head:
        return "gitleaks7"
    if b'"stringsFound"' in head or (b'"reason"' in head and b'"diff"' in head):
        return "trufflehog2"
    if b'"RuleID"' in head:
        return "gitleaks"
    return None


def _other_output(other: str) -> str:
    """What another tool's output (as ``_sniff`` names it) is, and what to do instead, in the user's language."""
    if other == "trufflehog":
        return _("this is TruffleHog's output: import it as 'trufflehog'")
    if other == "gitleaks":
        return _("this is a gitleaks JSON report: import it as 'gitleaks'")
    if other == "sarif":
        return _("this is SARIF; write gitleaks's JSON report instead (--report-format json)")
    if other == "gitleaks7":
        return _("this is a gitleaks 7 report (keys 'rule', 'file', 'offender'); this reads the JSON report of "
                 "gitleaks 8 ('RuleID', 'File', 'StartLine')")
    return _("this is TruffleHog 2 output (or --json-legacy); this reads the --json lines of TruffleHog 3")


def _text_of(data: bytes) -> bytes:
    """UTF-8 bytes without a byte order mark; UTF-16 (PowerShell's '>' writes it) re-encoded as UTF-8."""
    if data[:3] == b"\xef\xbb\xbf":
        return data[3:]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return data
    return data


_GITLEAKS_FIELDS = (("RuleID", str), ("File", str), ("StartLine", int))


def _gitleaks(data: bytes, name: str) -> _Groups:
    groups = _Groups(Path(name).name)
    if not data or data.isspace():
        raise fail(name, _("empty file: a gitleaks JSON report is a JSON array of findings ('[]' when it found none)"))
    other = _sniff(data)
    if other in ("trufflehog", "sarif", "trufflehog2"):
        raise fail(name, _("not a gitleaks JSON report: {reason}").format(reason=_other_output(other)), 1)
    _too_many_containers(data, name)
    try:
        findings = json.loads(data)
    except UnicodeDecodeError as exc:
        raise fail(name, _("not UTF-8 text (byte {offset}): a gitleaks JSON report is UTF-8").format(offset=exc.start),
                   data.count(b"\n", 0, exc.start) + 1) from None
    except json.JSONDecodeError as exc:
        raise fail(name, _("not valid JSON ({reason}, column {column}): expected gitleaks's complete JSON report").format(
            reason=exc.msg, column=exc.colno), exc.lineno) from None
    except RecursionError:
        raise fail(name, _("JSON nested too deeply to be a gitleaks report")) from None
    if findings is None:  # gitleaks 8 before 8.19 wrote null for a scan that found nothing
        return groups
    if findings.__class__ is not list:
        raise fail(name, _("not a gitleaks JSON report: expected a JSON array of findings (gitleaks git|dir "
                           "--report-format json), found {kind}").format(kind=value_kind(findings)), 1)
    rows, withheld, file = groups.rows, groups.withheld, groups.file
    for i, f in enumerate(findings):  # the hot loop: one pass, no calls but dict lookups for a finding seen before
        if f.__class__ is not dict:
            raise _gitleaks_problem(data, name, i, _("a finding is an object, not {kind}").format(kind=value_kind(f)))
        rule, path = f.get("RuleID"), f.get("File")
        if (rule.__class__ is not str or path.__class__ is not str or f.get("StartLine").__class__ is not int
                or not rule):
            raise _gitleaks_problem(data, name, i, _gitleaks_missing(f, i))
        key = (rule, None, path, None)  # one report scans one repository: its ids need not name it
        group = rows.get(key)
        if group is None:
            link = f.get("Link")
            group = rows[key] = [f"{file}#/{i}", 0, 0, _gitleaks_repository(link) if link.__class__ is str else None]
        group[1] += 1
        for value in (f.get("Secret"), f.get("Match")):
            if value.__class__ is str and len(value) >= _SHORTEST_VALUE and (
                    value in path or (group[3] is not None and value in group[3])):
                withheld.add(key)
    groups.findings = len(findings)
    return groups


def _gitleaks_missing(f: dict, i: int) -> str:
    if i == 0 and "RuleID" not in f and {"rule", "file"} <= f.keys():
        return _("not a gitleaks 8 finding: {reason}").format(reason=_other_output("gitleaks7"))
    for key, kind in _GITLEAKS_FIELDS:
        value = f.get(key)
        if key not in f:
            return _("no '{key}': every gitleaks finding states its RuleID, File and StartLine").format(key=key)
        if value.__class__ is not kind:
            want = _("text") if kind is str else _("a whole number")
            return _("'{key}' is {kind}, expected {expected}").format(key=key, kind=value_kind(value), expected=want)
    return _("'RuleID' is empty: every gitleaks finding names the rule that matched")


def _gitleaks_problem(data: bytes, name: str, i: int, message: str) -> InputError:
    """One problem at finding ``i``: its line in the report (looked up only now) and its JSON pointer."""
    from compliance.json_locator import JsonLocator, NotJson

    try:
        line = JsonLocator(_text_of(data).decode("utf-8")).line([i])
    except (NotJson, RecursionError, UnicodeDecodeError):
        line = 0
    return fail(name, message, line, f"#/{i}")


_FIRST = re.compile(rb"\s*(\S)")
_TRUFFLEHOG_FIELDS = (("SourceMetadata", dict), ("DetectorName", str), ("Verified", bool))
_FILE_KEYS = ("file", "filename", "path")  # Filesystem, Git, Github, S3 …: file; GCS: filename; Artifactory: path
_PLACE_KEYS = ("repository", "bucket", "image")  # what the file is in, where the source says


def _trufflehog(data: bytes, name: str) -> _Groups:
    groups = _Groups(Path(name).name)
    first = _FIRST.match(data)
    if (first and first.group(1) == b"[") or _sniff(data) == "sarif":
        what = _other_output("gitleaks") if _sniff(data) == "gitleaks" else (
            _("this is a JSON array or SARIF; write TruffleHog's --json output (one finding per line)"))
        raise fail(name, _("not TruffleHog's --json lines: {reason}").format(reason=what), 1)
    _too_many_containers(data, name)
    rows, withheld, file = groups.rows, groups.withheld, groups.file
    loads = json.loads
    bare: dict[str, str] = {}  # repository as written -> as in ids
    n = 0
    for lineno, line in enumerate(data.split(b"\n"), 1):
        if not line or line.isspace():
            continue
        try:
            f = loads(line)
        except UnicodeDecodeError as exc:
            raise fail(name, _("not UTF-8 text (byte {offset} of the line): TruffleHog writes UTF-8").format(
                offset=exc.start), lineno) from None
        except json.JSONDecodeError as exc:
            raise fail(name, _("not a JSON object ({reason}, column {column}): TruffleHog --json writes one finding per "
                               "line").format(reason=exc.msg, column=exc.colno), lineno) from None
        except RecursionError:
            raise fail(name, _("JSON nested too deeply to be a TruffleHog finding"), lineno) from None
        try:
            detector, verified = f["DetectorName"], f["Verified"]
            ((source, meta),) = f["SourceMetadata"]["Data"].items()
            path = meta.get("file") or meta.get("filename") or meta.get("path")
            place = meta.get("repository") or meta.get("bucket") or meta.get("image")
        except (KeyError, TypeError, ValueError, AttributeError):
            raise fail(name, _trufflehog_missing(f), lineno) from None
        if (detector.__class__ is not str or not detector or verified.__class__ is not bool
                or (path is not None and path.__class__ is not str)
                or (place is not None and place.__class__ is not str)):
            raise fail(name, _trufflehog_missing(f), lineno)
        repo = (bare.get(place) or bare.setdefault(place, repository_names(place)[1])) if place else None
        key = (detector, repo, path or None, None if path else source)
        values = [f.get("Raw"), f.get("RawV2"), f.get("Redacted")]
        for extra in (f.get("ExtraData"), f.get("SecretParts")):
            if extra.__class__ is dict:
                values.extend(extra.values())
        if _values_in(values, path, place):
            withheld.add(key)
        group = rows.get(key)
        if group is None:
            group = rows[key] = [f"{file}:{lineno}", 0, 0, place]
        group[1] += 1
        group[2] += verified
        n += 1
    groups.findings = n
    return groups


def _trufflehog_missing(f: Any) -> str:
    """What is wrong with a line that is JSON but not a TruffleHog finding (by field names and types only)."""
    if f.__class__ is not dict:
        return _("a TruffleHog finding is a JSON object, not {kind}").format(kind=value_kind(f))
    if "SourceMetadata" not in f and {"level", "msg"} <= f.keys():
        return _("a TruffleHog log line, not a finding: logs go to standard error; write the findings alone "
                 "(trufflehog … --json > findings.jsonl, without 2>&1)")
    if "SourceMetadata" not in f and ("stringsFound" in f or "reason" in f):
        return _("not a TruffleHog 3 finding: {reason}").format(reason=_other_output("trufflehog2"))
    for key, kind in _TRUFFLEHOG_FIELDS:
        if key not in f:
            return _("no '{key}': every TruffleHog finding states its SourceMetadata, DetectorName and Verified").format(
                key=key)
        if f[key].__class__ is not kind:
            return _("'{key}' is {kind}, expected {expected}").format(
                key=key, kind=value_kind(f[key]), expected=_("true/false") if kind is bool else value_kind(kind()))
    if not f["DetectorName"]:
        return _("'DetectorName' is empty: every TruffleHog finding names its detector")
    data = f["SourceMetadata"].get("Data")
    if data.__class__ is not dict or len(data) != 1:
        return _("'SourceMetadata.Data' is not an object naming one source (e.g. {example})").format(example='{"Git": {…}}')
    ((source, meta),) = data.items()
    if meta.__class__ is not dict:
        return _("'{key}' is {kind}, expected {expected}").format(
            key=f"SourceMetadata.Data.{source}", kind=value_kind(meta), expected=_("an object"))
    for key in _FILE_KEYS + _PLACE_KEYS:
        if key in meta and meta[key].__class__ is not str:
            return _("'{key}' is {kind}, expected {expected}").format(
                key=f"SourceMetadata.Data.{source}.{key}", kind=value_kind(meta[key]), expected=_("text"))
    return _("not a TruffleHog finding")


# ---------------------------------------------------------------------------------------------- rows


def read(data: bytes, name: str, ids: IdentityMap, kind: str, before=None) -> Observed:
    """One row per rule (or detector) and file, mapped to the system its repository, file or folder names."""
    data = _text_of(data)
    enabled = gc.isenabled()
    gc.disable()  # findings are hundreds of thousands of small objects: no cycles to collect while reading them
    try:
        groups = _gitleaks(data, name) if kind == "gitleaks" else _trufflehog(data, name)
    finally:
        if enabled:
            gc.enable()
    observed = Observed(tool=TOOLS[kind], format_version=None)
    rows: list[Row] = []
    verified_notes: list[str] = []
    no_file = withheld = unmapped_findings = 0
    for key, (at, count, verified, place) in groups.rows.items():
        rule, path = key[0], key[2]
        many = _many(count, "finding")
        if key in groups.withheld:
            withheld += count
            observed.unmapped.append(Unmapped(at, f"{kind}:{rule}: (path withheld)", (
                f"the file's path or repository contains the secret value itself: neither is copied ({many})")))
            continue
        if not path:
            no_file += count
            source = key[3] or "standard input"
            observed.unmapped.append(Unmapped(at, f"{kind}:{rule} in {source}", (
                f"the finding names no file ({source}), so no system and no place of storage can be told ({many})")))
            continue
        shown, repo = repository_names(place) if place else (None, None)
        names = [shown, repo, path, *_folders(path)] if repo else [path, *_folders(path)]
        system = ids.system(*names)
        if system is None:
            unmapped_findings += count
            folders = _folders(path)
            identity = shown or (folders[-1] if folders else path)
            live = f", {verified} verified live" if verified else ""
            observed.unmapped.append(Unmapped(at, identity, (
                f"no system in the identity map for {'the repository, ' if repo else ''}the file or its folders: "
                f"{rule} in {path} not imported ({many}{live})")))
            continue
        sid = f"{kind}:{rule}:{repo}:{path}" if kind == "trufflehog" and repo else f"{kind}:{rule}:{path}"
        live = {"verified": True} if verified else {}  # not verified is not dead (the check may not exist): unknown
        rows.append(Row({"id": sid, "kind": kind_of(rule), "system": system, "location": location_of(path),
                         "plaintext": True, "count": count, **live}, at))
        if verified:
            verified_notes.append(f"{sid}: {verified} of {many} verified live by TruffleHog (the value worked "
                                  "against its service when scanned).")
    observed.lists["secrets"] = rows
    observed.notes = _notes(kind, groups, no_file, withheld, unmapped_findings) + verified_notes
    return observed


def _notes(kind: str, groups: _Groups, no_file: int, withheld: int, unmapped: int) -> list[str]:
    """One English sentence for each thing the format does not tell and each rule applied to its rows."""
    tool = "Gitleaks" if kind == "gitleaks" else "TruffleHog"
    notes = [
        f"{tool} found {_many(groups.findings, 'finding')} in {groups.file}; each row stands for the findings of one "
        "rule in one file (count: how many), and its id is built from the rule and the file's path, never from "
        "the value found.",
        f"{tool} does not tell who is responsible for the credentials it finds: owner is left unknown (a commit's "
        "author and e-mail are personal data, not the owner, and are not copied).",
        "plaintext is true: the scanner read each value as plain text; a value kept encrypted or in a vault is not "
        "found by it, and what its rules do not match or it did not scan is not in the report.",
        "kind is read from the rule's or detector's name (aws-access-token: api-key, PrivateKey: private-key); a "
        "name that does not tell is 'other'. location is read from the file's name: configuration files are "
        "'config-file', source files 'code', anything else 'other'.",
    ]
    if kind == "gitleaks":
        notes.append("Gitleaks does not tell whether a value still works or was rotated, nor whether a finding in "
                     "an old commit is still in the current files: count includes findings in the git history.")
    else:
        notes.append("A finding TruffleHog did not verify is not known to be dead: Verified false means its check "
                     "failed, could not be made or was not run (--no-verification); whether the scan kept only "
                     "verified results (--results=verified) is not in the output.")
        live = sum(group[2] for group in groups.rows.values())
        notes.append(f"{live} of {_many(groups.findings, 'finding')} verified live.")
    if withheld:
        notes.append(f"{_many(withheld, 'finding')} in a file whose path or repository contains the value itself: "
                     "listed as unmapped without the path.")
    if no_file:
        notes.append(f"{_many(no_file, 'finding')} naming no file (standard input, or a source such as Slack or "
                     "Jira): listed as unmapped; state where those credentials are stored by hand.")
    if unmapped:
        notes.append(f"{_many(unmapped, 'finding')} in files of no system in the identity map: listed as unmapped, "
                     "not imported (map the repository or a folder under systems:).")
    return notes


def _many(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"
