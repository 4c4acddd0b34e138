"""The catalogs as OSCAL 1.2.3: a catalog and a profile per catalog in force on a date, and the assessment plan the
assessment results import (``pipa-audit catalog export --format oscal [--as-of DATE] -o DIR``). Plain JSON written
here, as for the results (:mod:`compliance.render.oscal`): no OSCAL library at run time.

What is written for a date ``D`` (every name relative, so the folder can be moved or published as a whole):

- ``<catalog-id>_<D>.catalog.json`` — one per catalog in force on ``D`` (:func:`compliance.catalog.in_force`): the
  instrument as in force that day. Groups are articles (``art-34``, titled from the official text in ``law/``);
  controls are provisions, with the same ids as in the results (``pipa/34.1`` -> ``pipa_34.1``,
  :func:`compliance.render.oscal.control_id`). Each control has

  - its ``statement`` part (``<id>_smt``, what a finding targets): the Korean words of the provision in force on
    ``D``, with props for the window they are the law in (``from``, ``until``), the amendment that brought them and
    how sure they are (``text-status``: verified against the official text, inferred, secondary, summary), linked
    to the official copy they were compared with;
  - a ``gloss`` part (``<id>_gloss``, ns pipa-audit): the English gloss (not the law);
  - an ``assessment-objective`` part (``<id>_obj``): what pipa-audit verifies, one sub-part per check in force on
    ``D`` (``<id>_obj.<check-id>``) and the attestation it needs, if any;
  - ``wording`` parts (``<id>_w<n>``, ns pipa-audit) for its earlier wordings: an incident is judged under the
    wording in force on its own date, so results as of ``D`` can judge a 2022 leak under the 2022 words;
  - props: ``label`` (the Korean citation, e.g. 제34조제1항), ``sort-id``, ``alt-identifier`` (the pipa-audit id and
    former ids), and in pipa-audit's namespace the ``severity``, the English citation and the provisions it also
    covers; links to the instrument's back-matter resource and to its official text on law.go.kr (the 법령/행정규칙
    한글주소: ``/법령/<name>/(<number>,<promulgated>)`` for an Act or Decree as amended by the amendment in force,
    ``/행정규칙/<name>`` for a notice).

  A control whose last wording ended before ``D`` is kept, with ``status`` withdrawn (results as of ``D`` may still
  judge an earlier incident under it); a control not yet in force on ``D`` is left out (no audit as of ``D`` can
  judge it). Metadata names each instrument as in force that day: the latest amendment in force
  (:meth:`compliance.catalog.CatalogMeta.in_force_on`), and back-matter resources hold each instrument version
  (linked to law.go.kr) and each official copy the quotes were compared with.
- ``<catalog-id>_<D>.profile.json`` — imports that catalog (relative href) and includes exactly the controls in
  force on ``D``: not the withdrawn ones.
- ``pipa-audit_<D>.assessment-plan.json`` — ``reviewed-controls`` is the controls of the profiles; back-matter
  resources link each profile and catalog; ``import-ssp`` (required by OSCAL) points to a back-matter resource
  saying that the system is described by each audit's facts file, as pipa-audit keeps no system security plan.
  The assessment results as of ``D`` import this plan (see :mod:`compliance.render.oscal`).

Reproducible: UUIDs are version 5, derived from the catalog's id, its file's SHA-256 and ``D`` (so they change when
the catalog or the date does, as OSCAL asks of a revised document); timestamps are ``D`` at 00:00 KST. The same
catalogs and date give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from pathlib import Path
from urllib.parse import quote

from compliance import lawtext
from compliance.catalog import Catalog, CompiledControl, CompiledWording, InForce, in_force
from compliance.i18n import _
from compliance.loading import fail
from compliance.render.oscal import (
    MEDIA_TYPES,
    NS,
    OSCAL_VERSION,
    _UUIDS,
    _line,
    _stamp,
    catalog_file,
    control_id,
    plan_file,
    profile_file,
    statement_id,
)

LAW_GO_KR = "https://www.law.go.kr"
_ADMIN_RULE = ("고시", "훈령", "예규", "지침")
"""words in an instrument's name or number that make it an administrative rule (행정규칙), not an Act or Decree"""


def _prop(name: str, value: object, ns: str | None = NS) -> dict:
    return {"name": name, **({"ns": ns} if ns else {}), "value": _line(value)}


def _prose(text: str) -> str:
    """Markdown prose, one paragraph per line of the stored text (a line is a paragraph, item or sub-item)."""
    return "\n\n".join(line.strip() for line in text.strip().splitlines() if line.strip()) or "-"


def _doc(root: str, body: dict) -> bytes:
    return (json.dumps({root: body}, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _uid(*parts: str) -> str:
    return str(uuid.uuid5(_UUIDS, "/".join(parts)))


# ------------------------------------------------------------------------------------ official sources


def _name(text: str) -> str:
    """「개인정보 보호법」 -> 개인정보보호법 (the form law.go.kr's addresses use)."""
    m = re.search(r"「([^」]+)」", text)
    return re.sub(r"\s+", "", m.group(1) if m else text)


def law_url(inst: InForce, meta_instrument_ko: str = "") -> str:
    """The instrument on law.go.kr: an Act or Decree as amended by the amendment in force (its number and
    promulgation date), an administrative rule by name (its current text, which lists its history)."""
    number = inst.amendment.title.ko if inst.amendment else ""
    admin = any(w in number or w in inst.name.ko or w in meta_instrument_ko for w in _ADMIN_RULE)
    path = f"/{'행정규칙' if admin else '법령'}/{_name(inst.name.ko)}"
    if not admin and inst.amendment is not None and inst.amendment.id.isdigit():
        path += f"/({inst.amendment.id},{inst.amendment.issued.strftime('%Y%m%d')})"
    return LAW_GO_KR + quote(path, safe="/(),")


def _as_amended(inst: InForce) -> str:
    if inst.amendment is None:
        return f"{inst.name.ko} (no amendment listed in force)"
    return f"{inst.name.ko} as amended by {inst.amendment.title.ko} (in force {inst.amendment.in_force.isoformat()})"


# ------------------------------------------------------------------------------------ catalog


class _Ids:
    """Every id of one document, checked unique as it is handed out (a catalog whose ids would collide in OSCAL's
    token form is refused, not exported with a dangling reference)."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.seen: set[str] = set()

    def __call__(self, token: str) -> str:
        if token in self.seen:
            raise fail(self.catalog.path, _("OSCAL export: the id {id} would be used twice in catalog {catalog}").format(
                id=token, catalog=self.catalog.meta.id))
        self.seen.add(token)
        return token


def _window_props(w: CompiledWording, day: dt.date | None) -> list[dict]:
    props = [_prop("from", w.start.isoformat())]
    if w.until is not None:
        props.append(_prop("until", w.until.isoformat()))
    if w.wording.amended_by:
        props.append(_prop("amended-by", w.wording.amended_by))
    props.append(_prop("text-status", w.text_status(day if day is not None else w.start)))
    return props


def _statement_wording(ctl: CompiledControl, day: dt.date) -> tuple[CompiledWording | None, bool]:
    """The wording the catalog states for ``day``: the one in force, or (withdrawn) the last that ended before it;
    None when the provision is not yet in force."""
    now = ctl.wording_at(day)
    if now is not None:
        return now, True
    past = [w for w in ctl.wordings if w.start <= day]
    return (past[-1] if past else None), False


def _objective(ctl: CompiledControl, cid: str, day: dt.date, ids: _Ids) -> dict | None:
    parts = []
    for cc in ctl.checks_at(day):
        parts.append({
            "id": ids(f"{cid}_obj.{cc.check.id}"),
            "name": "assessment-objective",
            "props": [_prop("check-id", cc.check.id)],
            "prose": _prose(f"{cc.check.description.ko}\n{cc.check.description.en}"),
        })
    att = ctl.control.attestation
    if att is not None:
        parts.append({
            "id": ids(f"{cid}_obj.attestation"),
            "name": "assessment-objective",
            "props": [_prop("attestation-within", att.within)],
            "prose": _prose(f"{att.what.ko}\n{att.what.en}"),
        })
    if not parts:
        return None
    return {
        "id": ids(f"{cid}_obj"),
        "name": "assessment-objective",
        "prose": "What pipa-audit verifies from the facts file (each check must hold; an attestation needs a named "
                 "attester, a recent date and a document):",
        "parts": parts,
    }


def _control(ctl: CompiledControl, day: dt.date, ids: _Ids, laws: _Laws, source_uuid: dict[str, str]) -> dict | None:
    stated, live = _statement_wording(ctl, day)
    if stated is None:
        return None
    law_uuid, law_href = laws.main(day if live else stated.until - dt.timedelta(days=1))
    c = ctl.control
    cid = ids(control_id(c.id))
    ref = stated.ref
    main, _sep, branch = ref.article.partition("-")
    props = [
        _prop("label", ref.cite("ko"), ns=None),
        _prop("sort-id", f"{int(main):03d}.{int(branch or 0):02d}.{ref.paragraph or 0:02d}.{ref.item or 0:02d}", ns=None),
        _prop("alt-identifier", c.id, ns=None),
        *(_prop("alt-identifier", f, ns=None) for f in c.formerly),
        _prop("citation-en", ctl.cite("en", ref)),
        _prop("severity", c.severity),
        *(_prop("also-covers", f"{cov.instrument or ctl.catalog.id} {cov.cite('en')}") for cov in c.covers),
    ]
    if not live:
        props.insert(0, {**_prop("status", "withdrawn", ns=None), "remarks": (
            f"Not in force on {day.isoformat()}: this wording was the law until {stated.until.isoformat()}. Kept so that "
            "results judging an earlier incident under it resolve; the profile of this date does not include it.")})
    statement: dict = {
        "id": ids(statement_id(cid)),
        "name": "statement",
        "props": _window_props(stated, day),
        "prose": _prose(stated.wording.ko),
    }
    if stated.source is not None and stated.source.id in source_uuid:
        statement["links"] = [{"href": f"#{source_uuid[stated.source.id]}", "rel": "reference",
                               "text": _line(f"compared with the official text {stated.source.id}")}]
    parts = [statement, {"id": ids(f"{cid}_gloss"), "name": "gloss", "ns": NS, "prose": _prose(stated.wording.en)}]
    objective = _objective(ctl, cid, day, ids)
    if objective is not None:
        parts.append(objective)
    for k, w in enumerate(ctl.wordings, 1):
        if w is stated or w.start > day:
            continue
        parts.append({
            "id": ids(f"{cid}_w{k}"),
            "name": "wording",
            "ns": NS,
            "title": _line(f"{w.ref.cite('ko')}, {w.start.isoformat()}–{w.until.isoformat() if w.until else ''}"),
            "props": _window_props(w, None),
            "prose": _prose(w.wording.ko),
            "parts": [{"id": ids(f"{cid}_w{k}.gloss"), "name": "gloss", "ns": NS, "prose": _prose(w.wording.en)}],
        })
    control = {
        "id": cid,
        "class": "provision",
        "title": _line(f"{c.title.ko} / {c.title.en}"),
        "props": props,
        "links": [
            {"href": f"#{law_uuid}", "rel": "reference", "text": _line(ctl.cite("ko", ref))},
            {"href": law_href, "rel": "reference", "media-type": "text/html",
             "text": _line(f"{ctl.cite('ko', ref)} (law.go.kr)")},
        ],
        "parts": parts,
    }
    return control


class _Laws:
    """The back-matter resources of the instrument versions a catalog links to: each instrument as in force on the
    date, and for a withdrawn provision the version it was last the law in."""

    def __init__(self, cat: Catalog, doc_uuid: str):
        self.cat, self.doc_uuid = cat, doc_uuid
        self.resources: dict[tuple[str | None, str | None], dict] = {}

    def add(self, inst: InForce) -> dict:
        key = (inst.key, inst.amendment.id if inst.amendment else None)
        if key not in self.resources:
            resource = {
                "uuid": _uid(self.doc_uuid, "instrument", inst.key or "-", key[1] or "-"),
                "title": _line(_as_amended(inst)),
                "description": _line(inst.name.en + (
                    f", as amended by {inst.amendment.title.en} (promulgated {inst.amendment.issued.isoformat()}, in force "
                    f"{inst.amendment.in_force.isoformat()})" if inst.amendment else "")),
                "props": [
                    _prop("instrument", inst.key or self.cat.meta.id),
                    *([_prop("amendment", inst.amendment.id), _prop("in-force", inst.amendment.in_force.isoformat())]
                      if inst.amendment else []),
                    *(_prop("may-be-amended-by", u.title.ko) for u in inst.unsettled),
                ],
                "rlinks": [{"href": law_url(inst, self.cat.meta.instrument.ko), "media-type": "text/html"}],
            }
            if inst.unsettled:
                resource["remarks"] = " ".join(u.note.en for u in inst.unsettled)
            self.resources[key] = resource
        return self.resources[key]

    def main(self, day: dt.date) -> tuple[str, str]:
        """The uuid and law.go.kr address of the instrument the controls cite (the one named by cite_as, else the
        first), as in force on ``day``."""
        insts = self.cat.meta.in_force_on(day)
        inst = next((i for i in insts if i.name.ko == self.cat.meta.cite_as.ko), insts[0])
        resource = self.add(inst)
        return resource["uuid"], resource["rlinks"][0]["href"]


def oscal_catalog(cat: Catalog, day: dt.date, library: lawtext.Library | None = None) -> tuple[dict, list[str]]:
    """The catalog as in force on ``day`` (an OSCAL ``catalog`` body) and the OSCAL ids of its controls in force."""
    meta = cat.meta
    doc_uuid = _uid("catalog", meta.id, cat.sha256, day.isoformat())
    ids = _Ids(cat)
    insts = meta.in_force_on(day)
    laws = _Laws(cat, doc_uuid)
    for inst in insts:
        laws.add(inst)
    sources = sorted({w.source for ctl in cat.controls for w in ctl.wordings if w.source is not None and w.start <= day},
                     key=lambda s: s.id)
    source_uuid, texts = {}, []
    for src in sources:
        source_uuid[src.id] = _uid(doc_uuid, "official-text", src.id)
        texts.append({
            "uuid": source_uuid[src.id],
            "title": _line(f"Official text {src.id}: {src.instrument} {src.version} (in force {src.in_force.isoformat()}"
                           f"{' to ' + src.until.isoformat() if src.until else ''})"),
            "description": _line(f"The copy of the official text in pipa-audit's law/{src.file} that the quoted Korean "
                                 f"wordings are compared with. {src.provenance}"),
            "props": [_prop("law-text", src.id), _prop("version", src.version)],
        })

    groups: dict[str, dict] = {}
    live_ids: list[str] = []
    for ctl in cat.controls:
        control = _control(ctl, day, ids, laws, source_uuid)
        if control is None:
            continue
        if not any(p["name"] == "status" for p in control["props"]):
            live_ids.append(control["id"])
        stated, _live = _statement_wording(ctl, day)
        article = stated.ref.article
        if article not in groups:
            title = None
            for w in [stated, *reversed(ctl.wordings)]:
                if library is not None and w.source is not None and w.source.id in library.texts:
                    title = library.texts[w.source.id].titles.get(article)
                    if title:
                        break
            main_no, _sep, branch = article.partition("-")
            ko = f"제{main_no}조" + (f"의{branch}" if branch else "")
            groups[article] = {
                "id": ids(f"art-{article}"),
                "class": "article",
                "title": _line(f"{ko}({title}) / Art {article}" if title else f"{ko} / Art {article}"),
                "props": [_prop("label", ko, ns=None)],
                "controls": [],
            }
        groups[article]["controls"].append(control)
    ordered = sorted(groups.values(), key=lambda g: min(
        tuple(int(x) for x in p["value"].split(".")) for c in g["controls"] for p in c["props"] if p["name"] == "sort-id"))
    for g in ordered:
        g["controls"].sort(key=lambda c: next(p["value"] for p in c["props"] if p["name"] == "sort-id"))

    in_force_words = "; ".join(_as_amended(i) for i in insts)
    body = {
        "uuid": doc_uuid,
        "metadata": {
            "title": _line(f"{meta.instrument.ko} — {meta.instrument.en}, as in force on {day.isoformat()}"),
            "last-modified": _stamp(day),
            "version": _line("; ".join(i.amendment.title.en for i in insts if i.amendment) or meta.version),
            "oscal-version": OSCAL_VERSION,
            "props": [
                _prop("catalog-id", meta.id),
                _prop("catalog-version", meta.version),
                _prop("catalog-sha256", cat.sha256),
                _prop("as-of", day.isoformat()),
                *(_prop("in-force", _as_amended(i)) for i in insts),
            ],
            "remarks": (
                f"pipa-audit catalog {meta.id} (version {meta.version}, file {Path(cat.path).name}, sha256 {cat.sha256}) as in "
                f"force on {day.isoformat()}: {in_force_words}. Each control is one provision; its statement is the Korean "
                "text in force that day (the English gloss is not the law). Controls marked withdrawn were the law earlier "
                "and are kept for results that judge an earlier incident under them."
            ),
        },
        "groups": ordered,
        "back-matter": {"resources": [*laws.resources.values(), *texts]},
    }
    if not ordered:
        del body["groups"]
    return body, live_ids


# ------------------------------------------------------------------------------------ profile and plan


def oscal_profile(cat: Catalog, day: dt.date, live_ids: list[str]) -> dict:
    meta = cat.meta
    return {
        "uuid": _uid("profile", meta.id, cat.sha256, day.isoformat()),
        "metadata": {
            "title": _line(f"{meta.instrument.en}: the provisions in force on {day.isoformat()}"),
            "last-modified": _stamp(day),
            "version": _line(f"{meta.version} as of {day.isoformat()}"),
            "oscal-version": OSCAL_VERSION,
            "props": [_prop("catalog-id", meta.id), _prop("catalog-sha256", cat.sha256), _prop("as-of", day.isoformat())],
        },
        "imports": [{"href": catalog_file(meta.id, day), "include-controls": [{"with-ids": live_ids}]}],
        "merge": {"as-is": True},
    }


def oscal_plan(selected: list[tuple[Catalog, list[str]]], day: dt.date) -> dict:
    key = ",".join(f"{c.meta.id}:{c.sha256}" for c, _ids in selected)
    doc_uuid = _uid("assessment-plan", day.isoformat(), key)
    ssp_uuid = _uid(doc_uuid, "system")
    resources = [{
        "uuid": ssp_uuid,
        "title": "The system assessed: described by the facts file of each audit",
        "description": (
            "pipa-audit keeps no OSCAL system security plan. Each audit reads the organisation's facts file (its systems, "
            "handlers, accounts, incidents and attachments); the assessment results list it, with its SHA-256, as evidence."
        ),
    }]
    for cat, _ids in selected:
        for kind, name in (("profile", profile_file(cat.meta.id, day)), ("catalog", catalog_file(cat.meta.id, day))):
            resources.append({
                "uuid": _uid(doc_uuid, kind, cat.meta.id),
                "title": _line(f"{kind.capitalize()} {name}: {cat.meta.instrument.en} as in force on {day.isoformat()}"),
                "props": [_prop("catalog-id", cat.meta.id), _prop("catalog-sha256", cat.sha256)],
                "rlinks": [{"href": name, "media-type": MEDIA_TYPES[kind]}],
            })
    selections = [
        {
            "description": _line(f"The provisions of {cat.meta.instrument.en} in force on {day.isoformat()} (profile "
                                 f"{profile_file(cat.meta.id, day)})"),
            "include-controls": [{"control-id": i} for i in ids],
        }
        for cat, ids in selected if ids
    ]
    return {
        "uuid": doc_uuid,
        "metadata": {
            "title": _line(f"pipa-audit assessment plan: the catalogs in force on {day.isoformat()}"),
            "last-modified": _stamp(day),
            "version": day.isoformat(),
            "oscal-version": OSCAL_VERSION,
            "props": [_prop("as-of", day.isoformat()),
                      *(_prop("catalog", f"{c.meta.id} {c.meta.version} (sha256 {c.sha256})") for c, _ids in selected)],
            "remarks": (
                "Each control's checks are applied to the organisation's facts file as of the date; an incident is judged "
                "under the wording in force on its own date (the catalogs keep those wordings). Assessment results of an "
                f"audit as of {day.isoformat()} import this plan."
            ),
        },
        "import-ssp": {"href": f"#{ssp_uuid}", "remarks": "pipa-audit keeps no system security plan: see the resource."},
        "reviewed-controls": {
            "description": f"Every provision in force on {day.isoformat()} of the catalogs in force that day.",
            "control-selections": selections or [{"include-all": {}}],
        },
        "back-matter": {"resources": resources},
    }


def documents(catalogs: list[Catalog], catalog_dir, as_of: dt.date) -> dict[str, bytes]:
    """File name -> bytes of every document ``export`` writes for ``as_of`` (the same inputs give the same bytes)."""
    live = in_force(catalogs, as_of)
    if not live:
        raise fail(str(catalog_dir), _("no catalog is in force on {date}").format(date=as_of.isoformat()))
    library = lawtext.load_library(str(catalog_dir)) if catalog_dir is not None else None
    out: dict[str, bytes] = {}
    selected = []
    for cat in live:
        body, live_ids = oscal_catalog(cat, as_of, library)
        out[catalog_file(cat.meta.id, as_of)] = _doc("catalog", body)
        if live_ids:
            out[profile_file(cat.meta.id, as_of)] = _doc("profile", oscal_profile(cat, as_of, live_ids))
        selected.append((cat, live_ids))
    out[plan_file(as_of)] = _doc("assessment-plan", oscal_plan(selected, as_of))
    return out


def export(catalogs: list[Catalog], catalog_dir, as_of: dt.date, out_dir) -> list[Path]:
    """Write the OSCAL catalog and profile of every catalog in force on ``as_of`` and the assessment plan into
    ``out_dir`` (created if needed); all or nothing. Returns the paths written."""
    from compliance.output import ensure_folder, write_outputs

    docs = documents(catalogs, catalog_dir, as_of)
    folder = ensure_folder(out_dir)
    targets = [(folder / name, data) for name, data in docs.items()]
    write_outputs(targets)
    return [path for path, _data in targets]
