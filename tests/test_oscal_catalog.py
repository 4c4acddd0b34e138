"""The catalogs as OSCAL (``catalog export --format oscal``): the catalog, profile and assessment plan validate against
NIST's schemas, every control the assessment results name resolves in the exported catalogs (results -> plan ->
profile -> catalog, as a GRC tool follows them), a profile holds only the provisions in force on its date, and the
same catalogs and date give the same bytes. compliance-trestle (a test dependency) reads them all with its models and
resolves the profiles."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from compliance.catalog import in_force
from compliance.loading import InputError
from compliance.oscal_catalog import documents, export
from compliance.render import render
from compliance.render import oscal as oscal_format

from . import consumers
from .conftest import CATALOGS, SEED

DATES = [dt.date(2022, 1, 1), dt.date(2025, 11, 30), dt.date(2026, 10, 1), dt.date(2027, 2, 1)]
"""the 2021 notices; the examples' date; after Act 21445 (pipa/34.2 in force) but before the 2025-9 deferrals end;
after Notice 2026-9's Art 18 (2027-01-01)"""

OLD_LEAK = """  - id: inc-2022-05
    began_on: 2022-05-01
    aware_at: 2022-05-02T09:00:00+09:00
    contained_at: 2022-05-02T12:00:00+09:00
    subjects_affected: 1200
    items: [name, email]
    sensitive_or_unique: false
    unlawful_external_access: true
    reported_to_pipc_at: 2022-05-02T20:00:00+09:00
    subjects_notified_at: 2022-05-02T21:00:00+09:00
    notice_contents: [items, when-how, self-help, response, contact]

endpoints:"""


def _load(folder: Path, name: str) -> dict:
    return json.loads((folder / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def exported(tmp_path_factory, catalogs, seed_result):
    """The seed audit's results and the catalogs exported for its date, in one folder (as the docs tell users to)."""
    folder = tmp_path_factory.mktemp("oscal")
    paths = export(catalogs, CATALOGS, seed_result.as_of, folder)
    (folder / "result.oscal.json").write_bytes(render(seed_result, "oscal"))
    return folder, paths


@pytest.fixture(scope="module")
def old_leak(tmp_path_factory, catalogs):
    """The seed example with a 2022 leak added: its 2025 audit judges the leak under Art 39-4, repealed in 2023."""
    from compliance.pipeline import audit

    folder = tmp_path_factory.mktemp("old-leak")
    shutil.copytree(SEED, folder / "org")
    facts = folder / "org" / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    assert text.count("\nendpoints:") == 1
    facts.write_text(text.replace("\nendpoints:", "\n" + OLD_LEAK), encoding="utf-8")
    result = audit(facts, CATALOGS)
    out = folder / "out"
    export(catalogs, CATALOGS, result.as_of, out)
    (out / "result.oscal.json").write_bytes(render(result, "oscal"))
    return result, out


# ------------------------------------------------------------------------------------ provenance


def test_catalog_schema_is_the_published_file():
    digest = "ab95836e9e8dfeb6fde80007f6cc76fa3192f595d427c751a3f3923c3f474fc2"
    assert consumers.sha256("oscal_catalog_schema.json") == digest
    assert digest in (consumers.DATA / "README.md").read_text()
    schema = json.loads((consumers.DATA / "oscal_catalog_schema.json").read_text())
    assert schema["$id"] == "http://csrc.nist.gov/ns/oscal/1.2.3/oscal-catalog-schema.json"
    assert oscal_format.OSCAL_VERSION == "1.2.3"


# ------------------------------------------------------------------------------------ the NIST schemas


def _valid(doc: dict) -> None:
    (model,) = doc
    assert consumers.errors(consumers.oscal_model(model), doc) == [], model
    if model == "catalog":
        assert consumers.errors(consumers.oscal_catalog(), doc) == []


@pytest.mark.parametrize("day", DATES, ids=str)
def test_every_document_of_every_date_is_valid(catalogs, day):
    docs = documents(catalogs, CATALOGS, day)
    live = in_force(catalogs, day)
    assert set(docs) == {oscal_format.plan_file(day)} | {oscal_format.catalog_file(c.meta.id, day) for c in live} | {
        oscal_format.profile_file(c.meta.id, day) for c in live}
    for name, data in docs.items():
        doc = json.loads(data)
        assert next(iter(doc)) == name.rsplit(".", 2)[-2], name  # pipa_2025-11-30.profile.json holds a profile
        _valid(doc)
        assert doc[next(iter(doc))]["metadata"]["oscal-version"] == "1.2.3"


def test_the_validators_are_strict(exported):
    folder, _paths = exported
    doc = _load(folder, oscal_format.catalog_file("pipc-notice", dt.date(2025, 11, 30)))
    doc["catalog"]["groups"][0]["controls"][0]["remarks"] = "controls have no remarks"
    assert consumers.errors(consumers.oscal_model("catalog"), doc)
    assert consumers.errors(consumers.oscal_catalog(), doc)
    doc = _load(folder, oscal_format.catalog_file("pipc-notice", dt.date(2025, 11, 30)))
    doc["catalog"]["groups"][0]["controls"][0]["id"] = "notice/4.1"  # a token: no '/'
    assert consumers.errors(consumers.oscal_catalog(), doc)
    plan = _load(folder, oscal_format.plan_file(dt.date(2025, 11, 30)))
    del plan["assessment-plan"]["import-ssp"]
    assert consumers.errors(consumers.oscal_model("assessment-plan"), plan)


# ------------------------------------------------------------------------------------ references resolve


def _ids_and_uuids(node, ids: list, uuids: list) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("id"), str):
            ids.append(node["id"])
        if isinstance(node.get("uuid"), str):
            uuids.append(node["uuid"])
        for v in node.values():
            _ids_and_uuids(v, ids, uuids)
    elif isinstance(node, list):
        for v in node:
            _ids_and_uuids(v, ids, uuids)


def _hrefs(node) -> list[str]:
    if isinstance(node, dict):
        return ([node["href"]] if isinstance(node.get("href"), str) else []) + [h for v in node.values() for h in _hrefs(v)]
    if isinstance(node, list):
        return [h for v in node for h in _hrefs(v)]
    return []


def _controls(catalog: dict) -> dict[str, dict]:
    out = {}

    def walk(groups):
        for g in groups:
            for c in g.get("controls", []):
                out[c["id"]] = c
            walk(g.get("groups", []))

    walk(catalog["catalog"].get("groups", []))
    for c in catalog["catalog"].get("controls", []):
        out[c["id"]] = c
    return out


def _resource(doc: dict, href: str) -> dict:
    (root,) = doc.values()
    assert href.startswith("#"), href
    (resource,) = [r for r in root["back-matter"]["resources"] if r["uuid"] == href[1:]]
    return resource


def _file_of(doc: dict, href: str, folder: Path) -> Path:
    """An import or link as a GRC tool follows it: a '#uuid' goes through the back-matter resource's rlink, a
    relative reference is relative to the document's folder."""
    if href.startswith("#"):
        (href,) = [r["href"] for r in _resource(doc, href)["rlinks"] if r["href"].endswith(".json")]
    path = folder / href
    assert path.is_file(), href
    return path


def test_ids_and_internal_references_resolve(exported):
    """What the JSON schemas cannot say (OSCAL's metaschema constraints): ids and uuids unique in a document, every
    '#uuid' naming a back-matter resource, every relative reference a file written beside it."""
    folder, paths = exported
    assert {p.parent for p in paths} == {folder}
    for path in paths:
        doc = json.loads(path.read_text(encoding="utf-8"))
        ids, uuids = [], []
        _ids_and_uuids(doc, ids, uuids)
        assert len(ids) == len(set(ids)), path.name
        assert len(uuids) == len(set(uuids)), path.name
        for href in _hrefs(doc):
            if href.startswith("#"):
                _resource(doc, href)
            elif not href.startswith("https://"):
                assert (folder / href).is_file(), href
            else:
                assert href.startswith("https://www.law.go.kr/")


def test_results_name_controls_of_the_exported_catalogs(exported, seed_result):
    """results -> import-ap -> plan -> profiles -> catalogs; every control the results review, and every statement
    their findings target, is in the exported catalogs."""
    folder, _paths = exported
    results = _load(folder, "result.oscal.json")
    ar = results["assessment-results"]
    plan_path = _file_of(results, ar["import-ap"]["href"], folder)
    assert plan_path.name == oscal_format.plan_file(seed_result.as_of)
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    ap = plan["assessment-plan"]
    _resource(plan, ap["import-ssp"]["href"])
    profiles = [_file_of(plan, r["rlinks"][0]["href"], folder) for r in ap["back-matter"]["resources"]
                if r.get("rlinks") and r["rlinks"][0]["media-type"] == oscal_format.MEDIA_TYPES["profile"]]
    assert len(profiles) == len(seed_result.catalogs)
    in_profiles, catalog_controls = set(), {}
    for path in profiles:
        profile = json.loads(path.read_text(encoding="utf-8"))
        (imp,) = profile["profile"]["imports"]
        catalog = _controls(json.loads(_file_of(profile, imp["href"], folder).read_text(encoding="utf-8")))
        (sel,) = imp["include-controls"]
        assert set(sel["with-ids"]) <= set(catalog)
        in_profiles |= set(sel["with-ids"])
        catalog_controls.update(catalog)
    planned = {c["control-id"] for s in ap["reviewed-controls"]["control-selections"] for c in s["include-controls"]}
    assert planned == in_profiles
    # the results' own back-matter names each catalog file too
    for info in seed_result.catalogs:
        named = {"name": "catalog-id", "ns": oscal_format.NS, "value": info.id}
        (res,) = [r for r in ar["back-matter"]["resources"] if named in r.get("props", [])]
        assert res["rlinks"][0]["href"] == oscal_format.catalog_file(info.id, seed_result.as_of)
        assert (folder / res["rlinks"][0]["href"]).is_file()
    (res,) = ar["results"]
    reviewed = {c["control-id"] for s in res["reviewed-controls"]["control-selections"] for c in s["include-controls"]}
    assert reviewed == {oscal_format.control_id(c.id) for c in seed_result.controls}
    assert reviewed <= set(catalog_controls) and reviewed <= planned
    for f, c in zip(res["findings"], seed_result.controls):
        assert f["target"]["type"] == "statement-id"
        control = catalog_controls[oscal_format.control_id(c.id)]
        (statement,) = [p for p in control["parts"] if p["name"] == "statement"]
        assert f["target"]["target-id"] == statement["id"] == oscal_format.statement_id(control["id"])
        assert {"name": "alt-identifier", "value": c.id} in control["props"]


def test_an_incident_judged_under_a_repealed_provision_still_resolves(old_leak, catalogs):
    """A 2025 audit judges a 2022 leak under Art 39-4 (repealed 2023-09-15): the catalog of 2025-11-30 keeps that
    provision, withdrawn, with the words that judged it; its profile does not include it."""
    result, folder = old_leak
    assert "pipa/39-4.1" in {c.id for c in result.controls}
    results = _load(folder, "result.oscal.json")
    catalog = _load(folder, oscal_format.catalog_file("pipa", result.as_of))
    controls = _controls(catalog)
    (res,) = results["assessment-results"]["results"]
    statements = {p["id"] for c in controls.values() for p in c["parts"] if p["name"] == "statement"}
    for f in res["findings"]:
        if f["target"]["target-id"].startswith("pipa_"):
            assert f["target"]["target-id"] in statements
    repealed = controls["pipa_39-4.1"]
    assert {"name": "status", "value": "withdrawn"} == {k: v for k, v in repealed["props"][0].items() if k in ("name", "value")}
    (pipa,) = [c for c in catalogs if c.meta.id == "pipa"]
    (ctl,) = [c for c in pipa.controls if c.control.id == "pipa/39-4.1"]
    (statement,) = [p for p in repealed["parts"] if p["name"] == "statement"]
    assert statement["prose"].split("\n\n") == [x.strip() for x in ctl.wordings[-1].wording.ko.strip().splitlines() if x.strip()]
    # the law it links to is the Act as it stood when the provision was last in force (Act 16930), not today's
    law = _resource(catalog, repealed["links"][0]["href"])
    assert "16930" in law["title"] and "(16930,20200204)" in law["rlinks"][0]["href"]
    profile = _load(folder, oscal_format.profile_file("pipa", result.as_of))
    assert "pipa_39-4.1" not in profile["profile"]["imports"][0]["include-controls"][0]["with-ids"]


@pytest.mark.parametrize("day", DATES, ids=str)
def test_a_profile_holds_exactly_the_provisions_in_force(catalogs, day):
    docs = documents(catalogs, CATALOGS, day)
    left_out = 0
    for cat in in_force(catalogs, day):
        profile = json.loads(docs[oscal_format.profile_file(cat.meta.id, day)])
        (imp,) = profile["profile"]["imports"]
        assert imp["href"] == oscal_format.catalog_file(cat.meta.id, day)
        with_ids = imp["include-controls"][0]["with-ids"]
        assert len(with_ids) == len(set(with_ids))
        live = {oscal_format.control_id(c.control.id) for c in cat.controls if c.wording_at(day) is not None}
        assert set(with_ids) == live
        left_out += len(cat.controls) - len(live)
        catalog = _controls(json.loads(docs[oscal_format.catalog_file(cat.meta.id, day)]))
        for ctl in cat.controls:
            cid = oscal_format.control_id(ctl.control.id)
            if ctl.wording_at(day) is not None:
                continue
            assert cid not in with_ids
            if ctl.wordings[0].start > day:  # not yet the law: not in that day's catalog either
                assert cid not in catalog
            else:  # repealed: kept, withdrawn
                assert catalog[cid]["props"][0]["name"] == "status"
    assert left_out, "every provision of every catalog in force on this date: the test would prove nothing"


def test_the_statement_is_the_law_of_the_date(catalogs):
    """notice/4.1 was reworded from 2026-10-31 (Notice 2025-9, deferred a year): each date's catalog states its words,
    and names the instrument as amended then."""
    (notice,) = [c for c in catalogs if c.meta.id == "pipc-notice"]
    (ctl,) = [c for c in notice.controls if c.control.id == "notice/4.1"]
    seen = set()
    for day in (dt.date(2025, 11, 30), dt.date(2026, 11, 1)):
        catalog = json.loads(documents(catalogs, CATALOGS, day)[oscal_format.catalog_file("pipc-notice", day)])
        control = _controls(catalog)["notice_4.1"]
        (statement,) = [p for p in control["parts"] if p["name"] == "statement"]
        words = ctl.wording_at(day).wording.ko
        assert statement["prose"].split("\n\n") == [x.strip() for x in words.strip().splitlines() if x.strip()]
        (gloss,) = [p for p in control["parts"] if p["name"] == "gloss"]
        assert gloss["ns"] == oscal_format.NS
        seen.add(statement["prose"])
        (amendment,) = [i.amendment for i in notice.meta.in_force_on(day)]
        assert amendment.title.en in catalog["catalog"]["metadata"]["version"]
    assert len(seen) == 2


# ------------------------------------------------------------------------------------ reproducible


def test_reexport_is_byte_identical(catalogs, exported, tmp_path):
    folder, paths = exported
    again = export(catalogs, CATALOGS, dt.date(2025, 11, 30), tmp_path)
    assert [p.name for p in again] == [p.name for p in paths]
    for a, b in zip(paths, again):
        assert a.read_bytes() == b.read_bytes(), a.name
    # another date: other documents (other uuids), never the same file name
    other = documents(catalogs, CATALOGS, dt.date(2025, 12, 1))
    assert not set(other) & {p.name for p in paths}
    assert json.loads(other[oscal_format.catalog_file("pipa", dt.date(2025, 12, 1))])["catalog"]["uuid"] != \
        _load(folder, oscal_format.catalog_file("pipa", dt.date(2025, 11, 30)))["catalog"]["uuid"]


def test_no_catalog_in_force_is_refused(catalogs):
    with pytest.raises(InputError, match="no catalog is in force on 2000-01-01"):
        documents(catalogs, CATALOGS, dt.date(2000, 1, 1))


# ------------------------------------------------------------------------------------ compliance-trestle


def test_trestle_reads_every_document_and_resolves_the_profiles(exported, seed_result, monkeypatch):
    """IBM's compliance-trestle (OSCAL 1.2 pydantic models) reads the catalogs, profiles, plan and results, and its
    profile resolver gives, per profile, exactly the controls in force. Trestle resolves a relative import against the
    working directory and keeps its cache in a workspace (.trestle/), so the test works in the export folder."""
    from trestle.core.profile_resolver import ProfileResolver
    from trestle.oscal.assessment_plan import AssessmentPlan
    from trestle.oscal.assessment_results import AssessmentResults
    from trestle.oscal.catalog import Catalog
    from trestle.oscal.profile import Profile

    folder, paths = exported
    models = {"catalog": Catalog, "profile": Profile, "assessment-plan": AssessmentPlan}
    for path in paths:
        model = models[path.name.rsplit(".", 2)[-2]].oscal_read(path)
        assert model is not None and model.metadata.oscal_version.root.root == "1.2.3"
    results = AssessmentResults.oscal_read(folder / "result.oscal.json")
    reviewed = {c.control_id for s in results.results[0].reviewed_controls.control_selections for c in s.include_controls}
    assert reviewed == {oscal_format.control_id(c.id) for c in seed_result.controls}

    workspace = folder / "trestle"
    (workspace / ".trestle").mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(folder)
    resolved_ids = set()
    for info in seed_result.catalogs:
        name = oscal_format.profile_file(info.id, seed_result.as_of)
        profile = _load(folder, name)
        resolved = ProfileResolver.get_resolved_profile_catalog(workspace, name)
        ids = {c.id for g in resolved.groups or [] for c in g.controls or []} | {c.id for c in resolved.controls or []}
        assert ids == set(profile["profile"]["imports"][0]["include-controls"][0]["with-ids"])
        resolved_ids |= ids
        for g in resolved.groups or []:
            for c in g.controls or []:
                assert [p.id for p in c.parts if p.name == "statement"] == [oscal_format.statement_id(c.id)]
    assert reviewed <= resolved_ids
