"""The policy test cases of kg/tests/ (one test per case), and the runner behind ``necessity test``: a
mismatch is one line naming the case, the code, what was expected and what came out; a malformed case
is a failure, never a crash; the summary counts cases; exit codes 0, 1 and 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reasoner import resources
from reasoner.cli.options import knowledge as installed
from reasoner.knowledge import content_version
from reasoner.policy_tests import find_cases, run_case

FOLDER = resources.policy_test_dir()
CASES = find_cases(FOLDER)
PLATELETS = FOLDER / "aabb-2015-platelet-transfusion" / "r1-platelets-10-on-chemotherapy"  # P9035 justified


@pytest.mark.parametrize("case", CASES, ids=lambda case: str(case.name.relative_to(FOLDER)))
def test_policy_case(case):
    assert run_case(case, installed()).failures == ()


def test_every_case_folder_is_named_after_a_knowledge_file():
    stems = {path.stem for path in resources.knowledge_files()}
    folders = {path.name for path in FOLDER.iterdir() if path.is_dir()}
    assert folders and folders <= stems, sorted(folders - stems)


def test_a_case_checks_the_status_and_the_criteria_of_its_lines():
    expected = json.loads(PLATELETS.with_name(PLATELETS.name + ".expected.json").read_text())
    assert expected["lines"]["P9035"]["status"] == "justified"
    assert expected["lines"]["P9035"]["criteria"]["crit:platelets-10-or-less"] == "met"
    assert {str(case.name.relative_to(FOLDER)) for case in CASES} >= {
        "aabb-2015-platelet-transfusion/r1-platelets-10-on-chemotherapy",
        "bcsh-2013-pretransfusion-testing/typing-before-a-transfusion"}  # a Turtle request


def case_folder(tmp_path: Path, name: str = "case", **lines: dict) -> Path:
    """A folder holding the platelet case as ``name``, its expected lines replaced by ``lines`` when given."""
    shutil.copy(PLATELETS.with_name(PLATELETS.name + ".json"), tmp_path / f"{name}.json")
    expected = {"lines": lines or {"P9035": {"status": "justified"}}}
    (tmp_path / f"{name}.expected.json").write_text(json.dumps(expected))
    return tmp_path


def test_a_passing_case_exits_0(run_cli, tmp_path):
    result = run_cli("test", str(case_folder(tmp_path)))
    assert (result.exit_code, result.stdout) == (0, "1 passed, 0 failed\n")


def test_a_wrong_status_is_one_line_and_exit_1(run_cli, tmp_path):
    folder = case_folder(tmp_path, P9035={"status": "not-justified"})
    result = run_cli("test", str(folder))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{folder / 'case.json'}: line 1 P9035: status expected not-justified, got justified", "0 passed, 1 failed"]


def test_a_wrong_criterion_names_the_recommendation_it_is_of(run_cli, tmp_path):
    folder = case_folder(tmp_path, P9035={"status": "justified", "criteria": {"crit:platelets-10-or-less": "refuted",
                                                                              "crit:no-such": "met"}})
    result = run_cli("test", str(folder / "case.expected.json"))
    line = f"{folder / 'case.json'}: line 1 P9035"
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{line}: crit:platelets-10-or-less of rec:aabb-2015-r1 expected refuted, got met",
        f"{line}: crit:no-such expected met, not assessed on this line",
        "0 passed, 1 failed"]


@pytest.mark.parametrize("text, message", [
    ('{"lines": {"P9035": ', "not valid JSON: Expecting value: line 1 column 21 (char 20)"),
    ('{"lines": {"P9035": {"status": "justifed"}}}',
     "lines.P9035.status: 'justifed' is not a status (justified, not-justified, needs-info, coding-error, no-policy)"),
    ('{"lines": {"P9035": {"status": "justified", "criteria": {"crit:adult": "yes"}}}}',
     "lines.P9035.criteria.crit:adult: 'yes' is not a state (met, refuted, unknown)"),
    ('{"lines": {"P9035": {"state": "justified"}}}', "lines.P9035: unknown key 'state' (a line has status, criteria)"),
    ('{"lines": {"P9035": {"status": "justified"}, "P9035": {"status": "no-policy"}}}',
     "the key 'P9035' is given twice"),
    ('{"line": {}}', "unknown key 'line' (a case has lines, note)"),
])
def test_a_malformed_expected_file_is_a_failure_with_its_reason(run_cli, tmp_path, text, message):
    folder = case_folder(tmp_path)
    (folder / "case.expected.json").write_text(text)
    result = run_cli("test", str(folder))
    assert result.exit_code == 1
    assert f"{folder / 'case.expected.json'}: {message}" in result.stdout.splitlines()
    assert result.stdout.endswith("0 passed, 1 failed\n")


def test_a_code_not_on_the_request_is_a_failure(run_cli, tmp_path):
    folder = case_folder(tmp_path, P9035={"status": "justified"}, P9037={"status": "justified"})
    result = run_cli("test", str(folder))
    assert result.stdout.splitlines() == [f"{folder / 'case.json'}: P9037: not on the request (its codes: P9035)",
                                          "0 passed, 1 failed"]


def test_the_summary_counts_cases_and_every_file_needs_its_pair(run_cli, tmp_path):
    folder = case_folder(tmp_path, "good")
    case_folder(tmp_path, "bad", P9035={"status": "no-policy"})
    shutil.copy(folder / "good.json", folder / "orphan.json")
    (folder / "lonely.expected.json").write_text('{"lines": {"P9035": {"status": "justified"}}}')
    (folder / "notes.md").write_text("not a case")
    result = run_cli("test", str(folder))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{folder / 'bad.json'}: line 1 P9035: status expected no-policy, got justified",
        f"{folder / 'lonely.expected.json'}: no request beside it (lonely.json, lonely.ttl)",
        f"{folder / 'orphan.expected.json'}: missing: every request needs its .expected.json beside it",
        "1 passed, 3 failed"]


def test_a_request_that_cannot_be_reviewed_is_a_failure(run_cli, tmp_path):
    folder = case_folder(tmp_path)
    (folder / "case.json").write_text('{"resourceType": "Bundle", "type": "collection", "entry": []}')
    result = run_cli("test", str(folder))
    assert result.exit_code == 1
    [failure, summary] = result.stdout.splitlines()
    assert failure.startswith(f"{folder / 'case.json'}: cannot be reviewed: ") and summary == "0 passed, 1 failed"


@pytest.mark.parametrize("path, message", [("missing", "no such file or folder"),
                                           ("empty", "no policy test case here"),
                                           ("notes.md", "not a policy test case")])
def test_a_path_that_holds_no_case_is_bad_usage(run_cli, tmp_path, path, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.md").write_text("not a case")
    result = run_cli("test", str(tmp_path / path))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"necessity: error: {tmp_path / path}: {message}")


def test_data_tests_another_copy_whose_cases_are_not_knowledge(run_cli, tmp_path):
    installed()  # the installed knowledge cached first: the copy, of the same version, is read from that cache
    for name in ("ontology", "kg", "queries"):
        shutil.copytree(resources.data_root() / name, tmp_path / name, ignore=shutil.ignore_patterns("tests"))
    (tmp_path / "kg" / "tests").mkdir()
    case_folder(tmp_path / "kg" / "tests", "only", P9035={"status": "coding-error"})
    assert content_version(tmp_path) == content_version(resources.data_root())  # cases change no version
    result = run_cli("test", "--data", str(tmp_path))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "0 passed, 1 failed"
    assert "status expected coding-error, got justified" in result.stdout
