"""`necessity check`: the knowledge base passes, and each kind of broken knowledge file fails with a
problem that names where it is."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reasoner.check import check_knowledge, knowledge_counts
from reasoner.cli.check import passing_line

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of ontology/, kg/ and queries/ to break, with a cache folder of its own."""
    for folder in ("ontology", "kg", "queries"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.setenv("NECESSITY_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def messages(root: Path) -> set[tuple[str, str]]:
    """(subject, message) of every problem; the file and line before the subject are tested on their own."""
    return {(p.where.rsplit(" ", 1)[-1], p.message) for p in check_knowledge(root)}


def test_the_knowledge_base_passes():
    assert check_knowledge() == []


def test_the_counts_are_read_from_the_knowledge_files(copy):
    """A file with one more recommendation and citation counts one more of each, and nothing else changes (the
    counts the docs show are generated from these: tests/test_generated_docs.py)."""
    (copy / "kg" / "guidelines" / "counted.ttl").write_text(
        "@prefix nec: <https://necessity.example/ns#> .\n"
        "<urn:counted:recommendation> a nec:Recommendation .\n<urn:counted:citation> a nec:Citation .\n",
        encoding="utf-8")
    before, after = knowledge_counts(), knowledge_counts(copy)
    assert all(count > 0 for count in before.values())
    assert after == {**before, "recommendations": before["recommendations"] + 1,
                     "citations": before["citations"] + 1}


KNOWLEDGE_BREAKS = [  # (the file, what is edited out of it, what comes in, the subject and the problem's message)
    ("kg/guidelines/aabb-2015-platelet-transfusion.ttl", 'nec:identifier "doi:10.7326/M14-1589", "pmid:25383671" ;',
     "",
     "cite:kaufman-2015", "a citation needs a DOI (doi:10....), a PMID (pmid:...) or a URL"),
    ("kg/guidelines/asa-2018-moderate-sedation.ttl", '"pmid:29334501"', '"PubMed 29334501"',
     "cite:asa-2018", "a citation needs a DOI (doi:10....), a PMID (pmid:...) or a URL"),
    ("kg/guidelines/aabb-2015-platelet-transfusion.ttl", 'nec:strength "weak recommendation; low-quality evidence" ;',
     "",
     "rec:aabb-2015-r2", "a recommendation needs its strength (or that none is stated)"),
    ("kg/guidelines/sir-2019-periprocedural-bleeding.ttl", "nec:supportsCode cpt:85610", "nec:supportsCode cpt:85611",
     "cpt:85611", "names code https://necessity.example/code/cpt/85611, which no file of kg/codes/ declares"),
    ("kg/codes/icd10cm-groups.ttl", "icd:C92.0 rdfs:subClassOf", "icd:C92.0X rdfs:subClassOf",
     "icd:C92.0X", "names an ICD-10-CM class that is not in kg/codes/icd10cm.ttl.gz"),
    ("kg/coding/ncci.ttl", "nec:requirement crit:no-85025-on-claim", "nec:requirement crit:no-85025-on-the-claim",
     "rule:ncci-85025-85007", "a rule needs exactly one requirement, a criterion"),
    ("kg/guidelines/sir-2019-periprocedural-bleeding.ttl", 'nec:effectiveFrom "2019-01-01"^^xsd:date ;', "",
     "gl:sir-2019-periprocedural-bleeding", "a guideline needs nec:effectiveFrom (when it took effect)"),
    ("kg/coding/ncci.ttl", '    nec:validityNote "Follows the current descriptor or edit of the code it governs; '
     'no start or end date is recorded here, so it applies on every date of service." ;\n', "",
     "rule:ncci-85025-85007", "a rule or check needs nec:effectiveFrom or nec:validityNote, or a guideline with them"),
    ("kg/codes/hcpcs.ttl", '    nec:validityNote "In the HCPCS Level II code set in use in 2026; the date it took '
     'effect is not recorded here, so it is treated as in force on every date of service." ;\n', "",
     "hcpcs:J0690", "a billing code needs nec:effectiveFrom or nec:validityNote (when it is in force)"),
    ("kg/codes/hcpcs.ttl", "hcpcs:C1894 rdfs:subClassOf",
     'hcpcs:C1894 nec:retiredOn "2020-01-01"^^xsd:date ;\n    rdfs:subClassOf',
     "hcpcs:C1894", "a billing code with dates needs a coding rule that requires crit:billed-code-in-force"),
    ("kg/precedence/precedence-rules.ttl", "nec:order 2 ;", "nec:order 1 ;",
     "prec:more-specific-population", "a precedence rule needs one nec:order that no other precedence rule has"),
    ("kg/precedence/precedence-rules.ttl", "", "",
     "prec:newer-same-body", "a precedence rule needs one nec:order that no other precedence rule has"),
]


def test_each_break_of_the_knowledge_is_named_with_its_subject(copy):
    """One copy broken in every way at once (each check of a copy takes seconds): a citation without a DOI,
    PMID or URL, a recommendation without a strength, a code or criterion no file declares, an ICD-10-CM
    class not in the hierarchy, knowledge that does not say when it is in force, dated codes no rule
    checks, two precedence rules of the same order."""
    for relative, old, new, _, _ in KNOWLEDGE_BREAKS:
        if old:
            edit(copy, relative, old, new)
    found = messages(copy)
    for _, _, _, subject, message in KNOWLEDGE_BREAKS:
        assert (subject, message) in found
    assert any("uses criterion https://necessity.example/kg/criterion/no-85025-on-the-claim" in m for _, m in found)


def test_a_knowledge_file_that_is_not_turtle_fails(copy):
    edit(copy, "kg/coding/units.ttl", "rule:cpt-77001-mue a nec:CodingRule ;",
         "rule:cpt-77001-mue a nec:CodingRule ;;;(")
    [problem] = check_knowledge(copy)
    assert "units.ttl: not valid Turtle" in problem.message


def test_a_query_that_does_not_parse_fails(copy):
    edit(copy, "queries/decide/30-status.ru", "INSERT {", "INSERT {{")
    assert any(where == "queries/decide/30-status.ru" and message.startswith("does not parse")
               for where, message in messages(copy))


@pytest.mark.slow  # builds the knowledge of an edited copy (seconds; CI runs it)
def test_a_construct_the_fast_engine_does_not_implement_fails(copy):
    edit(copy, "kg/criteria/patient.ttl", "\ncrit:", "\n@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
         "crit:only-iv a nec:Criterion ; rdfs:label \"only IV drugs\" ; "
         "nec:subject nec:Patient ; owl:equivalentClass [ a owl:Restriction ; owl:onProperty nec:hasDrugExposure ; "
         "owl:allValuesFrom nec:DrugExposure ] .\n\ncrit:")
    found = messages(copy)
    assert ("reasoner/engines/fast.py", "the fast engine does not implement the OWL 2 RL rules of owl:allValuesFrom "
            "(cls-avf); use --engine reference") in found


@pytest.mark.slow  # builds the knowledge of a copy twice (CI also runs `necessity check` on its own)
def test_cli_check_passes_with_counts_and_fails_with_problems(run_cli, copy):
    passed = run_cli("check")
    assert passed.exit_code == 0 and passed.stdout == passing_line(knowledge_counts()) + "\n"
    edit(copy, "kg/guidelines/aabb-2015-platelet-transfusion.ttl",
         'nec:strength "weak recommendation; low-quality evidence" ;', "")
    failed = run_cli("check", "--data", str(copy))
    assert failed.exit_code == 1
    assert "rec:aabb-2015-r2: a recommendation needs its strength (or that none is stated)" in failed.stdout
    assert "1 problem(s)" in failed.stderr


@pytest.mark.slow  # a second full check of a copy (14 s); test_the_knowledge_base_passes checks the installed one
def test_cli_check_accepts_a_relative_data_folder(run_cli, tmp_path, monkeypatch):
    """``necessity check --data .`` in a copy of the data folders (was: "relative path can't be expressed as a
    file URI"). The copy is unchanged, so its knowledge comes from the cache the installed one wrote."""
    from reasoner.cli.options import knowledge as installed

    installed()
    for folder in ("ontology", "kg", "queries"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    result = run_cli("check", "--data", ".")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.startswith("necessity check: the knowledge base passes (")


def test_an_unchanged_copy_has_the_same_version(copy):
    from reasoner.cli.options import knowledge as installed
    from reasoner.knowledge import content_version

    assert content_version(copy) == installed().version


@pytest.mark.parametrize("relative", ["queries/decide/30-status.ru", "kg/codes/icd10cm.ttl.gz",
                                      "ontology/shapes/patient.ttl", "ontology/shapes/criteria.ttl"])
def test_the_version_changes_with_queries_the_hierarchy_and_the_shapes(copy, relative):
    """The shapes too: the patient shapes are cached with the knowledge, so a change to them that kept the
    version would be checked with the old ones (a bug found when a lab shape changed)."""
    from reasoner.cli.options import knowledge as installed
    from reasoner.knowledge import content_version

    path = copy / relative
    path.write_bytes(path.read_bytes() + b"\n")
    assert content_version(copy) != installed().version


EQUIVALENT_CLASS = "<http://www.w3.org/2002/07/owl#equivalentClass>"  # the criteria files bind no owl: prefix
VOCABULARY_BREAKS = [  # (what is edited into kg/criteria/patient.ttl, the criterion, the problem's message)
    ("nec:analyte loinc:777-3 ; nec:below 20.0 ;", "nec:analyte loinc:777-3 ; nec:below 20.0 ; nec:atMost 19.0 ;",
     "crit:platelets-below-20",
     "a threshold has one comparator, and it has 2: keep one of nec:below, nec:atMost, nec:atLeast, nec:above"),
    ("nec:analyte loinc:777-3 ; nec:below 10.0 ;", "nec:analyte loinc:777-3 ; nec:below 10 ;",
     "crit:platelets-below-10",
     "the bound 10 is not of the datatype http://www.w3.org/2001/XMLSchema#decimal of what it bounds: write it as "
     "one (20.0 for an xsd:decimal, 18 for an xsd:integer)"),
    ('nec:atMost 2.0 ; nec:unit "{INR}" .', 'nec:atMost 2.0 ; nec:unit "s" .', "crit:inr-2-or-less",
     'the unit "s" is not the analyte\'s canonical unit "{INR}": results are compared in "{INR}", so write the '
     'bound in it'),
    ("nec:onValue nec:ageYears ; nec:atLeast 18 .", "nec:onValue nec:ageAtService ; nec:atLeast 18 .", "crit:adult",
     "https://necessity.example/ns#ageAtService is a value of a https://necessity.example/ns#ClaimLine, but the "
     "criterion is about a https://necessity.example/ns#Patient: use a property of its subject (nec:ageYears of the "
     "patient, nec:ageAtService of a claim line)"),
    ("nec:analyte loinc:777-3 ; nec:atMost 10.0 ;",
     "nec:analyte loinc:777-3 ; nec:onValue nec:ageYears ; nec:atMost 10.0 ;",
     "crit:platelets-10-or-less",
     "a threshold bounds one thing: give exactly one of nec:analyte (a LOINC code), nec:onValue (a property such as "
     "nec:ageYears) or nec:asks (a question answered with a number)"),
    ("nec:analyte loinc:777-3 ; nec:atLeast 20.0 ;",
     f"nec:analyte loinc:777-3 ; nec:atLeast 20.0 ; {EQUIVALENT_CLASS} nec:Patient ;", "crit:platelets-20-or-more",
     "written with the criteria vocabulary, the criterion's class is compiled (queries/compile/): remove its "
     "hand-written owl:equivalentClass"),
    ("nec:condition nec:MalignantNeoplasm ;",
     "nec:condition nec:MalignantNeoplasm ; nec:drug nec:AntineoplasticAgent ;",
     "crit:active-malignancy",
     "a criterion or a fact asks for one kind of fact, and this one names 2: write the others as facts of nec:anyOf"),
    ("nec:condition nec:AcuteMyeloidLeukemia ;",
     "nec:condition nec:AcuteMyeloidLeukemia ; nec:byRoute sct:47625008 ;",
     "crit:acute-myeloid-leukemia", "nec:byRoute is the route of a drug order: give the drug's class with nec:drug"),
    ("[ nec:answered doc:transfusion.hla-selected ; nec:answer true ]",
     '[ nec:answered doc:transfusion.hla-selected ; nec:answer "yes" ]', "crit:irradiation-indication",
     "the answer yes is not of the question's answer type http://www.w3.org/2001/XMLSchema#boolean: write it as one "
     "(true or false for a yes/no question)"),
    ("nec:condition nec:HematologicMalignancy ;",
     f"nec:condition nec:HematologicMalignancy ; {EQUIVALENT_CLASS} nec:Patient ;", "crit:hematologic-malignancy",
     "written with the criteria vocabulary, the criterion's class is compiled (queries/compile/): remove its "
     "hand-written owl:equivalentClass"),
]


def test_each_break_of_the_criteria_vocabulary_is_named_where_it_is_with_its_fix(copy):
    """One copy broken in every way at once (each check of a copy takes seconds)."""
    for old, new, _, _ in VOCABULARY_BREAKS:
        edit(copy, "kg/criteria/patient.ttl", old, new)
    edit(copy, "kg/criteria/claim-line.ttl", 'nec:noneOf ( "19" "21" "22" "23" ) ;\n    nec:whenNoFact nec:Met .',
         'nec:noneOf ( "19" "21" "22" "23" ) .')
    edit(copy, "kg/criteria/patient.ttl", "nec:analyte loinc:777-3 ; nec:below 20.0 ; nec:atMost",
         "nec:analyte loinc:2160-0 ; nec:below 20.0 ; nec:atMost")
    problems = check_knowledge(copy)
    found = {(p.where.rsplit(" ", 1)[-1], p.message) for p in problems}
    for _, _, criterion, message in VOCABULARY_BREAKS:
        assert (criterion, message) in found
    assert ("crit:outside-facility", "the vocabulary gives this criterion only the facts that refute it, so it is met "
            "when none is found: add nec:whenNoFact nec:Met") in found
    assert ("crit:platelets-below-20", "the analyte https://necessity.example/code/loinc/2160-0 has no "
            "nec:canonicalUnit: declare the LOINC code and the unit its results are read in "
            "(kg/codes/loinc.ttl)") in found
    lines = (copy / "kg/criteria/patient.ttl").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.startswith("crit:platelets-below-10 "))
    assert {p.where for p in problems if p.message.startswith("the bound 10 ")} == \
        {f"kg/criteria/patient.ttl:{line} crit:platelets-below-10"}
