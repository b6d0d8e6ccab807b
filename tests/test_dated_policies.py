"""Policies by date of service (or --as-of), the knowledge base version, and conflicts between
recommendations resolved by the precedence rules of kg/precedence/ (issue 9). The AABB 2015 / 2025
platelet tests, on both sides of 29 May 2025, are in test_knowledge_rules_v1.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from bundles import bundle, kinds, write

from reasoner import resources
from reasoner.cli.options import knowledge as installed
from reasoner.knowledge import Knowledge
from reasoner.pipeline import review

ROOT = Path(__file__).resolve().parent.parent
SEED = str(ROOT / "examples" / "seed-aml-port.json")
SEDATION = ["36561", "99152", "99153"]


@pytest.mark.parametrize("date", ["2016-12-31", "2010-06-01"])
def test_moderate_sedation_codes_before_2017_are_a_coding_error(decide_lines, date):
    lines = decide_lines(SEDATION, date=date)
    for code in ("99152", "99153"):
        line = lines[code]
        assert line.status == "coding-error", code
        assert [c.id for c in line.rules if c.deciding] == ["rule:moderate-sedation-codes-from-2017"]
        [warning] = [w for w in line.warnings if w.kind == "code-not-in-force"]
        assert warning.message.startswith("99151, 99152 and 99153 took effect on 1 January 2017, replacing 99143-99150")
        assert "Appendix G" in warning.message
        assert any("horizonblue.com" in c for c in line.citations)


def test_moderate_sedation_codes_from_2017_pass_the_rule(decide_lines):
    lines = decide_lines(SEDATION, date="2017-01-01")
    for code in ("99152", "99153"):
        line = lines[code]
        assert line.status != "coding-error", code
        rule = next(c for c in line.rules if c.id == "rule:moderate-sedation-codes-from-2017")
        assert rule.state == "met" and not rule.deciding
        assert "code-not-in-force" not in kinds(line)


def test_guidelines_not_yet_published_do_not_count(decide_lines):
    """ASA 2018 is the only policy on 99152 but its age band; in 2017 it was not yet published."""
    in_2017 = decide_lines(SEDATION, date="2017-06-01")["99152"]
    in_2026 = decide_lines(SEDATION)["99152"]
    assert "rec:asa-2018-sedation-for-procedure" not in {c.id for c in in_2017.recommendations}
    assert "rec:asa-2018-sedation-for-procedure" in {c.id for c in in_2026.recommendations}


def test_as_of_applies_another_date_s_policies_and_keeps_the_date_of_service(run_cli):
    today = json.loads(run_cli("determine", SEED, "--format", "json").stdout)
    before = json.loads(run_cli("determine", SEED, "--format", "json", "--as-of", "2016-06-01").stdout)
    status = {d["code"]: d["status"] for d in today["claims"][0]["determinations"]}
    then = {d["code"]: d for d in before["claims"][0]["determinations"]}
    assert status["99152"] == "justified" and then["99152"]["status"] == "coding-error"
    assert then["99152"]["service_date"] == "2026-11-20"  # the age and the labs still use the date of service
    assert "rec:aabb-ictmg-2025-r1.1" not in {r["id"] for r in then["P9037"]["recommendations"]}
    assert "rec:aabb-2015-r1" in {r["id"] for r in then["P9037"]["recommendations"]}


def test_as_of_must_be_a_date(run_cli):
    result = run_cli("determine", SEED, "--as-of", "2016-13-01")
    assert result.exit_code == 2 and "'2016-13-01' does not match the format '%Y-%m-%d'" in result.stderr


def test_version_prints_the_knowledge_base_version_every_output_records(run_cli):
    printed = run_cli("--version").stdout
    version = installed().version
    assert printed == f"necessity 0.1.0, knowledge base {version}\n"
    assert json.loads(run_cli("determine", SEED, "--format", "json").stdout)["knowledge_base_version"] == version
    assert f"Knowledge base version {version}" in run_cli("determine", SEED, "--format", "fhir").stdout


def test_explain_shows_the_conflict_and_its_resolution_for_platelets_of_15_before_a_central_line(run_cli):
    """examples/dated/central-line-platelets-15.json: an adult with AML on chemotherapy, platelets 15
    ×10³/µL, a non-tunneled central line (36556) and platelets on the claim (2026-11-20)."""
    request = str(ROOT / "examples" / "dated" / "central-line-platelets-15.json")
    shown = run_cli("explain", request, "--code", "P9035").stdout
    assert shown.startswith("line 2 P9035 on claim c1: not-justified")
    assert "overruled, met: SIR 2019: platelets before a low-bleeding-risk procedure" in shown
    assert "DECIDES supports, refuted: AABB/ICTMG 2025: platelets before central venous" in shown
    text = " ".join(shown.split())
    assert "warning [guideline-conflict]: SIR 2019 advises platelets" in text
    assert ("Resolved by precedence, a stronger graded recommendation over a weaker one: AABB/ICTMG 2025: platelets "
            "before central venous catheter placement at a compressible site below 10 ×10³/µL prevails over SIR "
            "2019") in text
    earlier = " ".join(run_cli("explain", request, "--code", "P9035", "--as-of", "2025-05-28").stdout.split())
    assert earlier.startswith("line 2 P9035 on claim c1: justified") and "guideline-conflict" not in earlier
    assert "DECIDES supports, met: AABB 2015 recommendation 2" in earlier


# Conflicts the knowledge base does not hold today, in a copy of it with test recommendations added:
# a supporting and an opposing recommendation both met, resolved by each precedence rule or by none.
TEST_GUIDELINES = """
@prefix nec:  <https://necessity.example/ns#> .
@prefix gl:   <https://necessity.example/kg/guideline/> .
@prefix rec:  <https://necessity.example/kg/recommendation/> .
@prefix crit: <https://necessity.example/kg/criterion/> .
@prefix hcpcs: <https://necessity.example/code/hcpcs/> .
@prefix cpt:  <https://necessity.example/code/cpt/> .
@prefix conflict: <https://necessity.example/kg/conflict/> .
@prefix owl:  <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .

gl:test-2020 a nec:Guideline ; rdfs:label "test guideline 2020" ; nec:issuingBody "TEST" ;
    nec:effectiveFrom "2020-01-01"^^xsd:date .
gl:test-2023 a nec:Guideline ; rdfs:label "test guideline 2023" ; nec:issuingBody "TEST" ;
    nec:effectiveFrom "2023-01-01"^^xsd:date .
gl:other-2024 a nec:Guideline ; rdfs:label "other guideline 2024" ; nec:issuingBody "OTHER" ;
    nec:effectiveFrom "2024-01-01"^^xsd:date .

rec:test-2020-for a nec:Recommendation ; rdfs:label "test 2020: for cefazolin" ; nec:guideline gl:test-2020 ;
    nec:supportsCode hcpcs:J0690 ; nec:patientClass [ owl:intersectionOf ( crit:adult ) ] .
rec:test-2023-against a nec:Recommendation ; rdfs:label "test 2023: against cefazolin" ; nec:guideline gl:test-2023 ;
    nec:opposesCode hcpcs:J0690 ; nec:patientClass [ owl:intersectionOf ( crit:adult ) ] .

rec:test-2020-against-midazolam a nec:Recommendation ; rdfs:label "test 2020: against midazolam" ;
    nec:guideline gl:test-2020 ; nec:opposesCode hcpcs:J2250 ; nec:patientClass [ owl:intersectionOf ( crit:adult ) ] .
rec:other-for-midazolam-in-therapy a nec:Recommendation ; rdfs:label "other 2024: for midazolam during therapy" ;
    nec:guideline gl:other-2024 ; nec:supportsCode hcpcs:J2250 ;
    nec:patientClass [ owl:intersectionOf ( crit:adult crit:on-antineoplastic-therapy ) ] .

rec:test-2020-for-fentanyl a nec:Recommendation ; rdfs:label "test 2020: for fentanyl" ; nec:guideline gl:test-2020 ;
    nec:supportsCode hcpcs:J3010 ; nec:patientClass [ owl:intersectionOf ( crit:adult ) ] .
rec:other-against-fentanyl a nec:Recommendation ; rdfs:label "other 2024: against fentanyl" ;
    nec:guideline gl:other-2024 ; nec:opposesCode hcpcs:J3010 ; nec:patientClass [ owl:intersectionOf ( crit:adult ) ] .

# A chain on 85007: S1 beats O (more specific), R beats S1 (newer, same body), S3 and O stay open.
gl:third-2021 a nec:Guideline ; rdfs:label "third guideline 2021" ; nec:issuingBody "THIRD" ;
    nec:effectiveFrom "2021-01-01"^^xsd:date .
rec:s1 a nec:Recommendation ; rdfs:label "S1" ; nec:guideline gl:test-2020 ; nec:supportsCode cpt:85007 ;
    nec:patientClass [ owl:intersectionOf ( crit:adult crit:on-antineoplastic-therapy ) ] .
rec:o a nec:Recommendation ; rdfs:label "O" ; nec:guideline gl:other-2024 ; nec:opposesCode cpt:85007 ;
    nec:patientClass [ owl:intersectionOf ( crit:adult ) ] .
rec:r a nec:Recommendation ; rdfs:label "R" ; nec:guideline gl:test-2023 ; nec:supportsCode cpt:85007 ;
    nec:patientClass [ owl:intersectionOf ( crit:adult crit:platelets-below-10 ) ] .
rec:s3 a nec:Recommendation ; rdfs:label "S3" ; nec:guideline gl:third-2021 ; nec:supportsCode cpt:85007 ;
    nec:patientClass [ owl:intersectionOf ( crit:adult ) ] .
conflict:s1-vs-r a nec:GuidelineConflict ; rdfs:label "S1 and R" ; nec:between rec:s1, rec:r ;
    nec:message "S1 and R set different thresholds." .

# A recorded conflict whose two sides agree (one supports and is met, the other opposes and is refuted).
rec:fs a nec:Recommendation ; rdfs:label "FS" ; nec:guideline gl:test-2020 ; nec:supportsCode cpt:85027 ;
    nec:patientClass [ owl:intersectionOf ( crit:adult ) ] .
rec:fo a nec:Recommendation ; rdfs:label "FO" ; nec:guideline gl:test-2023 ; nec:opposesCode cpt:85027 ;
    nec:patientClass [ owl:intersectionOf ( crit:adult crit:platelets-below-10 ) ] .
conflict:fs-vs-fo a nec:GuidelineConflict ; rdfs:label "FS and FO" ; nec:between rec:fs, rec:fo ;
    nec:message "FS and FO are recorded as disagreeing." .
"""


@pytest.fixture(scope="module")
def with_test_guidelines(tmp_path_factory: pytest.TempPathFactory) -> object:
    root = tmp_path_factory.mktemp("knowledge") / "data"
    for name in ("ontology", "kg", "queries"):
        shutil.copytree(resources.data_root() / name, root / name)
    (root / "kg" / "guidelines" / "test-conflicts.ttl").write_text(TEST_GUIDELINES)
    return Knowledge.build(root)


def decided_with(knowledge: Knowledge, tmp_path: Path, codes: list[str], **spec: object) -> dict[str, object]:
    """The determinations by code of a request reviewed with ``knowledge`` (its tables, its hierarchy)."""
    result = review(write(tmp_path, bundle(codes, **spec)), knowledge)
    return {d.code: d for d in result.claims[0].determinations}


def conflict(line: object) -> tuple[str, str]:
    [warning] = [w for w in line.warnings if w.kind == "guideline-conflict"]  # type: ignore[attr-defined]
    return warning.source, warning.message


def roles(line: object) -> dict[str, str]:
    return {c.id: c.role for c in line.recommendations}  # type: ignore[attr-defined]


@pytest.mark.slow  # building the test guidelines' knowledge takes 40 s with the knowledge of issue 19; CI runs it
def test_support_and_opposition_both_met_newer_from_the_same_body_prevails(with_test_guidelines, tmp_path):
    line = decided_with(with_test_guidelines, tmp_path, ["J0690"])["J0690"]
    source, message = conflict(line)
    assert source == "prec:newer-same-body"
    assert message == ("test 2020: for cefazolin supports this code and test 2023: against cefazolin opposes it; "
                       "both are met for this patient. Resolved by precedence, a newer guideline over an older one "
                       "from the same body: test 2023: against cefazolin prevails over test 2020: for cefazolin, "
                       "which does not count for the status.")
    assert line.status == "not-justified"
    assert roles(line)["rec:test-2020-for"] == "overruled" and roles(line)["rec:test-2023-against"] == "opposes"


@pytest.mark.slow  # one test of the test guidelines' knowledge runs in the README's command; CI runs all
def test_a_more_specific_population_prevails_before_anything_else(with_test_guidelines, tmp_path):
    line = decided_with(with_test_guidelines, tmp_path, ["J2250"], meds=(("3041", "iv"),))["J2250"]
    assert conflict(line)[0] == "prec:more-specific-population"
    assert line.status == "justified"
    assert roles(line)["rec:test-2020-against-midazolam"] == "overruled"
    assert [c.id for c in line.recommendations if c.deciding] == ["rec:other-for-midazolam-in-therapy"]


@pytest.mark.slow  # one test of the test guidelines' knowledge runs in the README's command; CI runs all
def test_without_the_narrower_population_the_general_ones_conflict_unresolved(with_test_guidelines, tmp_path):
    line = decided_with(with_test_guidelines, tmp_path, ["J2250"])["J2250"]  # not on therapy: only one is met
    assert "guideline-conflict" not in kinds(line) and line.status == "not-justified"


@pytest.mark.slow  # one test of the test guidelines' knowledge runs in the README's command; CI runs all
def test_a_conflict_no_precedence_rule_decides_stays_open_for_the_reviewer(with_test_guidelines, tmp_path):
    line = decided_with(with_test_guidelines, tmp_path, ["J3010"])["J3010"]
    source, message = conflict(line)
    assert source.startswith("<https://necessity.example/request/claim/c1/line/1/conflict/")
    assert message.endswith("both are met for this patient. No precedence rule resolves it: the reviewer decides.")
    assert line.status == "not-justified"  # an opposing recommendation met, as without precedence
    assert {"supports", "opposes"} <= set(roles(line).values()) and "overruled" not in roles(line).values()


@pytest.mark.slow  # one test of the test guidelines' knowledge runs in the README's command; CI runs all
def test_the_test_guidelines_do_not_apply_before_they_took_effect(with_test_guidelines, tmp_path):
    line = decided_with(with_test_guidelines, tmp_path, ["J0690"], date="2021-06-01")["J0690"]
    assert "guideline-conflict" not in kinds(line) and line.status == "justified"
    assert "rec:test-2023-against" not in roles(line)


@pytest.mark.slow  # one test of the test guidelines' knowledge runs in the README's command; CI runs all
def test_a_recommendation_overruled_in_one_conflict_overrules_nothing(with_test_guidelines, tmp_path):
    line = decided_with(with_test_guidelines, tmp_path, ["85007"], meds=(("3041", "iv"),), labs={"plt": 50})["85007"]
    warnings = {w.message.split(";")[0].split(" set ")[0]: w for w in line.warnings if w.kind == "guideline-conflict"}
    assert warnings["S1 and R"].source == "prec:newer-same-body"  # R (refuted) prevails over S1
    assert warnings["S1 supports this code and O opposes it"].message.endswith("the reviewer decides.")  # withdrawn
    assert warnings["S3 supports this code and O opposes it"].message.endswith("the reviewer decides.")
    assert roles(line)["rec:s1"] == "overruled" and roles(line)["rec:o"] == "opposes"
    assert line.status == "not-justified"


@pytest.mark.slow  # one test of the test guidelines' knowledge runs in the README's command; CI runs all
def test_a_recorded_conflict_whose_sides_agree_is_no_conflict(with_test_guidelines, tmp_path):
    line = decided_with(with_test_guidelines, tmp_path, ["85027"], labs={"plt": 50})["85027"]
    assert "guideline-conflict" not in kinds(line)
    assert roles(line)["rec:fs"] == "supports" and line.status == "justified"


def test_the_policy_date_is_in_every_output_when_as_of_is_given(run_cli):
    as_of = json.loads(run_cli("determine", SEED, "--format", "json", "--as-of", "2016-06-01").stdout)
    today = json.loads(run_cli("determine", SEED, "--format", "json").stdout)
    assert {d["policy_date"] for d in as_of["claims"][0]["determinations"]} == {"2016-06-01"}
    assert {d["policy_date"] for d in today["claims"][0]["determinations"]} == {"2026-11-20"}
    text = run_cli("determine", SEED, "--as-of", "2016-06-01").stdout
    assert "service 2026-11-20 from billablePeriod), with the guidelines, rules and codes in force on " \
        "2016-06-01" in text
    fhir = run_cli("determine", SEED, "--format", "fhir", "--as-of", "2016-06-01").stdout
    assert "Guidelines, rules and codes in force on 2016-06-01." in fhir
