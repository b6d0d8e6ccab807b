"""docs/conformance.md is what tools/conformance.py writes, and every requirement ID it is given exists."""

from __future__ import annotations

from tool_modules import load_tool

conformance = load_tool("conformance")


def test_the_committed_conformance_table_is_what_the_generator_writes() -> None:
    assert conformance.OUTPUT.read_text(encoding="utf-8") == conformance.document(), \
        f"docs/conformance.md is stale: run {conformance.COMMAND}"


def test_every_marked_or_excused_requirement_is_a_shall_of_its_guide_and_none_is_both() -> None:
    shalls = {f"{guide}:{row['ID']}" for guide in conformance.TABLES for row in conformance.requirements(guide)}
    tested, excused = set(conformance.tested()), set(conformance.not_applicable())
    assert tested - shalls == set() and excused - shalls == set()
    assert tested & excused == set()


def test_a_requirement_marker_is_read_from_a_test_and_from_a_module_mark() -> None:
    import ast

    call = ast.parse('pytest.mark.requirement("pas:spec-30", "crd:4")', mode="eval").body
    assert conformance._ids(call) == ["pas:spec-30", "crd:4"]
    assert conformance._ids(ast.parse("pytest.mark.slow", mode="eval").body) == []
