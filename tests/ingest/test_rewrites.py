"""The same request in the forms real senders use gives the same determinations.

Every example request (examples/*.json) and every request Bundle of the PAS corpora (tests/corpora/) is
rewritten in each form of ``FORMS`` (the rewrites are in tests/rewrites.py), one form at a time, where the
form has something to rewrite. Each rewrite must be reviewed (exit code 0) and give every claim line the
status the original gets. For the one form where a fact truly cannot be read (a diagnosis coded only in
SNOMED CT), no criterion may be refuted that the original does not refute, and a line's status is the
original's or needs-info. A summary line (``rewrites: N tried, M gave the original's statuses``) is
printed at the end of the run (tests/conftest.py).

Then the failures observed with real senders, one test each: a lab at 20:30-05:00 on the date of service,
the date of service from PAS admissionDates or only from ``created``, a Patient contained in the Claim, a
valueCoding answer, a Condition the Claim points to without clinicalStatus, a diagnosis pointer to a
diagnosis that does not support the line, a unit that cannot be converted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import rewrites
from bundles import bundle, write
from click.testing import CliRunner

from reasoner.cli.main import cli
from reasoner.cli.options import knowledge as installed

ROOT = Path(__file__).resolve().parents[2]
CORPORA = ROOT / "tests" / "corpora"
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
# The request Bundles of the PAS corpora that necessity reviews (tests/ingest/test_pas_corpus.py says what
# becomes of the others: inquiries, responses, an empty Bundle, a Bundle with a sequence used twice).
CORPUS_REQUESTS = [
    CORPORA / "davinci-pas-2.2.1" / name for name in (
        "Bundle-HomecareAuthorizationBundleExample.json", "Bundle-HomecareAuthorizationUpdateBundleExample.json",
        "Bundle-MedicalServicesAuthorizationBundleExample.json", "Bundle-ReferralAuthorizationBundleExample.json",
        "Bundle-SurgicalRequestBundleExample.json")] + [
    CORPORA / "inferno-pas-fixtures" / name for name in (
        "conformant_pas_bundle_v110.json", "conformant_pas_bundle_v110_uuid.json",
        "missing_referenced_resource_request_bundle.json")]
SOURCES = {path.stem: path for path in [*EXAMPLES, *CORPUS_REQUESTS]}


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


# What is checked beyond the statuses, per form.

Check = Callable[[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]], None]


def _lines(review: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    return {(c["claim"], d["sequence"]): d for c in review["claims"] for d in c["determinations"]}


def _warned(determination: dict[str, Any], kind: str = "code-system") -> bool:
    return any(w["kind"] == kind for w in determination["warnings"])


def _ledger(review: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["resource"]: e for e in review["ingest"]}


def moved_lines_warned(original: dict[str, Any], rewritten: dict[str, Any], before: dict[str, Any],
                       after: dict[str, Any]) -> None:
    """A billing code moved under the other billing system is read, with a code-system warning."""
    moved = {key for key, system in rewrites.line_systems(after).items()
             if rewrites.line_systems(before)[key] != system}
    assert moved
    lines = _lines(rewritten)
    for key in moved:
        if key in lines:  # a cancelled line has no determination
            assert _warned(lines[key]), (key, lines[key]["warnings"])


def no_new_code_system_warning(original: dict[str, Any], rewritten: dict[str, Any], before: dict[str, Any],
                               after: dict[str, Any]) -> None:
    """A system named by its OID or its https URI is that system: no code-system warning comes of it."""
    old, new = _lines(original), _lines(rewritten)
    assert {key: _warned(d) for key, d in new.items()} == {key: _warned(d) for key, d in old.items()}


def who_icd10_warned(original: dict[str, Any], rewritten: dict[str, Any], before: dict[str, Any],
                     after: dict[str, Any]) -> None:
    """A diagnosis given as WHO ICD-10 is read as ICD-10-CM, with a code-system warning on the claim's lines
    (one the original does not have: a line may already carry one for its own code)."""
    def warnings(review: dict[str, Any]) -> set[tuple[Any, str]]:
        return {(key, w["message"]) for key, d in _lines(review).items() for w in d["warnings"]
                if w["kind"] == "code-system"}
    assert warnings(rewritten) - warnings(original)


def invalid_resource_left_out(original: dict[str, Any], rewritten: dict[str, Any], before: dict[str, Any],
                              after: dict[str, Any]) -> None:
    """The invalid Observation is left out, with a reason naming it and the field."""
    entry = _ledger(rewritten)[f"Observation/{rewrites.INVALID_OBSERVATION_ID}"]
    assert entry["use"] == "left out"
    said = " ".join([entry["reason"], *rewritten["notes"]])
    assert "valueQuantity" in said and rewrites.INVALID_OBSERVATION_ID in said


def snomed_only_conditions_left_out(original: dict[str, Any], rewritten: dict[str, Any], before: dict[str, Any],
                                    after: dict[str, Any]) -> None:
    """A Condition coded only in SNOMED CT is left out (what rests on it is unknown), with a reason."""
    ledger = _ledger(rewritten)
    for entry in after["entry"]:
        resource = entry["resource"]
        codings = (resource.get("code") or {}).get("coding") or []
        if resource["resourceType"] == "Condition" and codings and all(c["system"] == rewrites.SNOMED
                                                                       for c in codings):
            found = ledger[f"Condition/{resource['id']}"]
            assert found["use"] == "left out" and found["reason"], found


def referenced_conditions_used(original: dict[str, Any], rewritten: dict[str, Any], before: dict[str, Any],
                               after: dict[str, Any]) -> None:
    """The Conditions the Claim points to are used."""
    ledger = _ledger(rewritten)
    added = [e["resource"]["id"] for e in after["entry"][len(before["entry"]):]]
    assert added and all(ledger[f"Condition/{rid}"]["use"] == "used" for rid in added)


@dataclass(frozen=True)
class Form:
    """One form a real sender uses: the rewrite, whether the facts stay readable ("same": the statuses must
    be the original's) or one cannot be read ("unknown"), and what else is checked."""

    name: str
    rewrite: Callable[[dict[str, Any]], dict[str, Any]]
    keeps: str = "same"
    check: Check | None = None


FORMS = (
    Form("icd10cm-by-oid", rewrites.icd10cm_by_oid, check=no_new_code_system_warning),
    Form("diagnoses-as-who-icd10", rewrites.diagnoses_as_who_icd10, check=who_icd10_warned),
    Form("cpt-under-hcpcs-uri", rewrites.cpt_under_hcpcs_uri, check=moved_lines_warned),
    Form("hcpcs-under-cpt-uri", rewrites.hcpcs_under_cpt_uri, check=moved_lines_warned),
    Form("cpt-by-oid", rewrites.cpt_by_oid, check=no_new_code_system_warning),
    Form("hcpcs-by-https", rewrites.hcpcs_by_https, check=no_new_code_system_warning),
    Form("hcpcs-by-oid", rewrites.hcpcs_by_oid, check=no_new_code_system_warning),
    Form("diagnosis-by-reference", rewrites.diagnosis_by_reference, check=referenced_conditions_used),
    Form("units-k-per-ul", rewrites.units_k_per_ul),
    Form("units-x10e3-per-ul", rewrites.units_x10e3_per_ul),
    Form("units-10-caret-3-per-ul", rewrites.units_10_caret_3_per_ul),
    Form("units-g-per-dl-lower-case", rewrites.units_g_per_dl_lower_case),
    Form("unit-without-code", rewrites.unit_without_code),
    Form("lab-times-in-another-offset", rewrites.lab_times_in_another_offset),
    Form("admission-dates-instead-of-billable-period", rewrites.admission_dates_instead_of_billable_period),
    Form("patient-contained-in-claim", rewrites.patient_contained_in_claim),
    Form("references-as-absolute-urls", rewrites.references_as_absolute_urls),
    Form("references-as-urn-uuid", rewrites.references_as_urn_uuid),
    Form("answers-as-value-coding", rewrites.answers_as_value_coding),
    Form("invalid-documentation-resource", rewrites.invalid_documentation_resource, check=invalid_resource_left_out),
    Form("snomed-only-diagnoses", rewrites.snomed_only_diagnoses, keeps="unknown",
         check=snomed_only_conditions_left_out),
)
FORMS_BY_NAME = {form.name: form for form in FORMS}
CASES = [(source, form.name) for source, path in SOURCES.items() for form in FORMS
         if rewrites.applies(form.rewrite, _load(path))]


# Reviews, each done once per process.

_REVIEWS: dict[tuple[str, str | None], tuple[int, dict[str, Any] | None, str]] = {}


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str | None], Any]:
    """(source, form name or None for the original) -> (exit code, JSON output or None, stderr)."""
    folder = tmp_path_factory.mktemp("rewrites")

    def review(source: str, form: str | None) -> tuple[int, dict[str, Any] | None, str]:
        if (source, form) not in _REVIEWS:
            data = _load(SOURCES[source])
            if form is not None:
                data = FORMS_BY_NAME[form].rewrite(data)
            _REVIEWS[source, form] = determine(write(folder, data, f"{source}.{form or 'original'}.json"))
        return _REVIEWS[source, form]
    return review


def determine(path: Path) -> tuple[int, dict[str, Any] | None, str]:
    """``necessity determine PATH --format json``, in process."""
    result = CliRunner().invoke(cli, ["determine", str(path), "--format", "json"])
    output = json.loads(result.stdout) if result.exit_code in (0, 1) and result.stdout else None
    return result.exit_code, output, result.stderr


def statuses(review: dict[str, Any]) -> dict[tuple[str, int], tuple[str, str]]:
    """(claim, sequence) -> (code, status) of every decided line."""
    return {key: (d["code"], d["status"]) for key, d in _lines(review).items()}


def cancelled(review: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [(c["claim"], x["sequence"], x["code"]) for c in review["claims"] for x in c.get("cancelled", [])]


def refuted(review: dict[str, Any]) -> set[tuple[str, int, str, str]]:
    """(claim, sequence, criterion, of) of every refuted criterion."""
    return {(*key, c["id"], c["of"]) for key, d in _lines(review).items() for c in d["criteria"]
            if c["state"] == "refuted"}


def kept(original: dict[str, Any], rewritten: dict[str, Any], keeps: str) -> bool:
    """Whether the rewrite gives what its form must: the original's statuses (and cancelled lines), or for
    a fact that cannot be read, no new refuted criterion and each status the original's or needs-info."""
    if keeps == "same":
        return statuses(rewritten) == statuses(original) and cancelled(rewritten) == cancelled(original)
    old, new = statuses(original), statuses(rewritten)
    return (new.keys() == old.keys() and refuted(rewritten) <= refuted(original)
            and all(new[key] == old[key] or new[key][1] == "needs-info" for key in new))


def test_the_sources_and_forms_are_there():
    assert len(EXAMPLES) == 6 and all(path.is_file() for path in CORPUS_REQUESTS)
    assert len(FORMS) == 21 and len(FORMS_BY_NAME) == len(FORMS)
    applied = {form for _, form in CASES}
    assert applied == set(FORMS_BY_NAME), set(FORMS_BY_NAME) - applied  # every form rewrites some request


def test_the_rewrites_are_pure():
    for path in SOURCES.values():
        data = _load(path)
        for form in FORMS:
            form.rewrite(data)
        assert data == _load(path), path.name


def test_the_rewrites_are_valid_fhir():
    """Each rewritten resource is valid FHIR (R4B models, as necessity validates), but the one made invalid on
    purpose: a rewrite tests how necessity reads a real form, not how it takes broken input."""
    from fhir.resources.R4B import get_fhir_model_class

    for source, form in CASES:
        for entry in FORMS_BY_NAME[form].rewrite(_load(SOURCES[source]))["entry"]:
            resource = entry["resource"]
            if resource.get("id") != rewrites.INVALID_OBSERVATION_ID:
                get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def test_the_answer_options_are_the_knowledges():
    """ANSWER_OPTIONS (what answers_as_value_coding codes) is what the knowledge offers."""
    
    rows: Any = installed().graph.query(installed().queries.text("questionnaire/answer-options.rq"))
    options: dict[str, list[str]] = {}
    for row in rows:
        options.setdefault(str(row.linkId), []).append(str(row.option))
    assert {k: tuple(sorted(v)) for k, v in options.items()} == rewrites.ANSWER_OPTIONS


@pytest.mark.parametrize("source, form", CASES, ids=[f"{s}/{f}" for s, f in CASES])
def test_a_rewrite_gives_the_original_determinations(reviewed, source, form):
    code, original, stderr = reviewed(source, None)
    assert code == 0 and original is not None, stderr
    code, rewritten, stderr = reviewed(source, form)
    assert code == 0 and rewritten is not None, stderr
    chosen = FORMS_BY_NAME[form]
    if chosen.keeps == "same":
        assert statuses(rewritten) == statuses(original)
        assert cancelled(rewritten) == cancelled(original)
    else:
        assert statuses(rewritten).keys() == statuses(original).keys()
        assert refuted(rewritten) <= refuted(original), refuted(rewritten) - refuted(original)
        for key, (line_code, status) in statuses(rewritten).items():
            assert status in (statuses(original)[key][1], "needs-info"), (key, line_code, status)
    if chosen.check is not None:
        before = _load(SOURCES[source])
        chosen.check(original, rewritten, before, chosen.rewrite(before))


def test_rewrites_summary(reviewed, record_property):
    """One line for the run: how many rewrites were tried and how many gave the original's statuses."""
    same = [(s, f) for s, f in CASES if FORMS_BY_NAME[f].keeps == "same"]
    unknown = [(s, f) for s, f in CASES if FORMS_BY_NAME[f].keeps != "same"]

    def good(source: str, form: str) -> bool:
        (code, original, _), (new_code, rewritten, _) = reviewed(source, None), reviewed(source, form)
        return code == new_code == 0 and original is not None and rewritten is not None \
            and kept(original, rewritten, FORMS_BY_NAME[form].keeps)

    record_property("corpus-summary", f"rewrites: {len(same)} tried, {sum(good(*c) for c in same)} gave the "
                    f"original's statuses ({len(FORMS)} forms, {len(SOURCES)} requests); a fact that cannot be "
                    f"read: {len(unknown)} tried, {sum(good(*c) for c in unknown)} refuted nothing new (each status "
                    "the original's or needs-info)")
    assert len(same) + len(unknown) == len(CASES)


# The failures observed with real senders.

def _json_of(path: Path) -> dict[str, Any]:
    code, output, stderr = determine(path)
    assert code == 0 and output is not None, stderr
    return output


def _by_code(review: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["code"]: d for c in review["claims"] for d in c["determinations"]}


def test_a_lab_at_2030_minus_5_on_the_date_of_service_is_used(tmp_path):
    """Platelets of 8 taken at 20:30-05:00 on the date of service (01:30 UTC the day after) count for that
    date: P9037 stays justified on them."""
    data = rewrites.lab_times_in_another_offset(_load(ROOT / "examples" / "fludarabine-platelets.json"))
    assert any(r["resource"].get("effectiveDateTime") == "2026-11-20T20:30:00-05:00" for r in data["entry"])
    line = _by_code(_json_of(write(tmp_path, data)))["P9037"]
    assert line["status"] == "justified"
    platelets = [c for c in line["criteria"] if c["id"] == "crit:platelets-below-10"]
    assert platelets and all(c["state"] == "met" and any("777-3" in f for f in c["facts"]) for c in platelets)


def test_the_same_instant_sent_in_utc_is_the_day_after(tmp_path):
    """The same instant sent as 2026-11-21T01:30:00Z is on the day after the date of service in the sender's
    offset: it does not count, and the criteria on platelets are not met."""
    data = rewrites.lab_times_in_another_offset(_load(ROOT / "examples" / "fludarabine-platelets.json"))
    for entry in data["entry"]:
        if entry["resource"].get("effectiveDateTime") == "2026-11-20T20:30:00-05:00":
            entry["resource"]["effectiveDateTime"] = "2026-11-21T01:30:00Z"
    line = _by_code(_json_of(write(tmp_path, data)))["P9037"]
    assert [c["state"] for c in line["criteria"] if c["id"] == "crit:platelets-below-10"] != []
    assert all(c["state"] != "met" for c in line["criteria"] if c["id"] == "crit:platelets-below-10")


def _dated_claim(case: str) -> dict[str, Any]:
    """One line 36561 whose date of service is 2026-11-20, given only by ``case``, ``created`` 2026-11-01."""
    data = bundle(["36561"], conditions=("C92.00",))
    claim = data["entry"][-1]["resource"]
    claim["created"] = "2026-11-01"
    del claim["billablePeriod"]
    item = claim["item"][0]
    if case == "item.servicedDate":
        item["servicedDate"] = "2026-11-20"
    elif case == "item.servicedPeriod":
        item["servicedPeriod"] = {"start": "2026-11-20", "end": "2026-11-20"}
    elif case == "billablePeriod":
        claim["billablePeriod"] = {"start": "2026-11-20"}
    elif case == "supportingInfo.admissionDates":
        claim["supportingInfo"] = [{"sequence": 1, "category": {"coding": [
            {"system": rewrites.PAS_TEMP_CODES, "code": "admissionDates"}]},
            "timingPeriod": {"start": "2026-11-20", "end": "2026-11-23"}}]
    return data


@pytest.mark.parametrize("case, day", [
    ("item.servicedDate", "2026-11-20"), ("item.servicedPeriod", "2026-11-20"), ("billablePeriod", "2026-11-20"),
    ("supportingInfo.admissionDates", "2026-11-20"), ("created", "2026-11-01")])
def test_the_date_of_service_names_where_it_comes_from(tmp_path, case, day):
    """With no billablePeriod and no line date, PAS admissionDates give the date of service; with only
    ``created``, it is ``created``; each claim says which (``service_date_source``)."""
    review = _json_of(write(tmp_path, _dated_claim(case)))
    claim = review["claims"][0]
    assert claim["service_date_source"] == case
    assert [d["service_date"] for d in claim["determinations"]] == [day]


def test_admission_dates_rewrite_of_the_seed_dates_the_claim(tmp_path):
    data = rewrites.admission_dates_instead_of_billable_period(_load(ROOT / "examples" / "seed-aml-port.json"))
    claim = _json_of(write(tmp_path, data))["claims"][0]
    assert claim["service_date_source"] == "supportingInfo.admissionDates"
    assert claim["service_date"] == "2026-11-20"
    assert {d["service_date"] for d in claim["determinations"]} == {"2026-11-20"}


def test_a_patient_contained_in_the_claim_is_the_patient(tmp_path):
    """The 4-year-old of age-4-port.json, contained in the Claim: her age still makes 36561 and 99152 coding
    errors (age band)."""
    data = rewrites.patient_contained_in_claim(_load(ROOT / "examples" / "age-4-port.json"))
    assert not any(e["resource"]["resourceType"] == "Patient" for e in data["entry"])
    lines = _by_code(_json_of(write(tmp_path, data)))
    for code in ("36561", "99152"):
        assert lines[code]["status"] == "coding-error" and _warned(lines[code], "age-band"), lines[code]["warnings"]


def test_a_value_coding_answer_is_read(tmp_path):
    """lidocaine.route answered local-infiltration as a valueCoding: J2001 is still a coding error, refuted by
    that answer."""
    data = rewrites.answers_as_value_coding(_load(ROOT / "examples" / "seed-aml-port.json"))
    responses = [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"]
    assert responses[0]["item"][0]["answer"] == [{"valueCoding": {"code": "local-infiltration",
                                                                  "display": "local infiltration"}}]
    line = _by_code(_json_of(write(tmp_path, data)))["J2001"]
    assert line["status"] == "coding-error"
    route = [c for c in line["criteria"] if c["id"] == "crit:lidocaine-by-intravenous-infusion"]
    assert route and route[0]["state"] == "refuted" and any("lidocaine.route" in f for f in route[0]["facts"])


def test_a_condition_the_claim_points_to_counts_without_clinical_status(tmp_path):
    """fludarabine-platelets.json with its AML only as a Condition the Claim points to (diagnosisReference),
    with no clinicalStatus, and no other Condition: the same determination, resting on that Condition."""
    data = _load(ROOT / "examples" / "fludarabine-platelets.json")
    data["entry"] = [e for e in data["entry"] if e["resource"]["resourceType"] != "Condition"]
    expected = _json_of(write(tmp_path, data, "by-concept.json"))
    rewritten = rewrites.diagnosis_by_reference(data)
    review = _json_of(write(tmp_path, rewritten, "by-reference.json"))
    assert statuses(review) == statuses(expected)
    line = _by_code(review)["P9037"]
    malignancy = [c for c in line["criteria"] if c["id"] == "crit:hematologic-malignancy"]
    assert malignancy and all(c["state"] == "met" and any("C92.02" in f for f in c["facts"]) for c in malignancy)


@pytest.mark.parametrize("pointer, warned", [([2], True), ([1], False), ([1, 2], False)])
def test_a_line_pointing_to_a_diagnosis_that_does_not_support_it_is_warned(tmp_path, pointer, warned):
    """Line 3 of the seed (36561, a port for AML) pointing only to diagnosis 2 (D61.818, pancytopenia) while
    diagnosis 1 (C92.00) supports it: a diagnosis-pointer warning; pointing to diagnosis 1, none."""
    data = _load(ROOT / "examples" / "seed-aml-port.json")
    claim = data["entry"][-1]["resource"]
    assert claim["item"][2]["productOrService"]["coding"][0]["code"] == "36561"
    claim["item"][2]["diagnosisSequence"] = pointer
    line = _by_code(_json_of(write(tmp_path, data)))["36561"]
    assert _warned(line, "diagnosis-pointer") == warned, line["warnings"]


def test_a_unit_that_cannot_be_converted_leaves_that_lab_unknown(tmp_path):
    """Platelets in mmol/L (no conversion to 10*3/uL): not a refusal; the Observation is left out, the
    criteria on platelets are unknown, and every line is decided."""
    data = _load(ROOT / "examples" / "seed-aml-port.json")
    platelets = next(e["resource"] for e in data["entry"] if e["resource"].get("id") == "observation-5")
    platelets["valueQuantity"].update(unit="mmol/L", code="mmol/L")
    review = _json_of(write(tmp_path, data))
    assert sorted(d["sequence"] for d in review["claims"][0]["determinations"]) == list(range(1, 16))
    assert _ledger(review)["Observation/observation-5"]["use"] == "left out"
    port = _by_code(review)["36561"]
    assert [c["state"] for c in port["criteria"] if c["id"] == "crit:platelets-20-or-more"] == ["unknown"]

