"""The generated sections of the docs (the knowledge base's counts, the tables of what is unconfirmed or read
only in secondary sources) are what tools/generate_docs.py writes from the knowledge now: an edit of the
knowledge needs that one command, never a hand edit of the docs."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph
from tool_modules import load_tool

from reasoner.cli.options import knowledge as installed
from reasoner.vocab import NEC

ROOT = Path(__file__).resolve().parent.parent


generator = load_tool("generate_docs")


def test_the_committed_docs_are_what_the_generator_writes():
    written = generator.generated_docs()
    stale = [str(path.relative_to(ROOT)) for path, text in written.items() if path.read_text(encoding="utf-8") != text]
    assert {"docs/knowledge.md", "docs/commands.md"} <= {str(path.relative_to(ROOT)) for path in written}
    assert stale == [], f"{', '.join(stale)} {'is' if len(stale) == 1 else 'are'} stale: run {generator.COMMAND}"


def test_a_table_lists_what_the_knowledge_marks():
    """Marking a confirmed recommendation unconfirmed adds its row, with its codes, to the unconfirmed table only."""
    graph = Graph()
    graph.namespace_manager = installed().graph.namespace_manager
    for triple in installed().graph:
        graph.add(triple)
    item = graph.namespace_manager.expand_curie("rec:aabb-2015-r2")
    assert (item, NEC.evidenceStatus, NEC.Confirmed) in graph
    before = generator.evidence_table(graph, NEC.Unconfirmed)
    graph.set((item, NEC.evidenceStatus, NEC.Unconfirmed))
    after = generator.evidence_table(graph, NEC.Unconfirmed)
    [added] = set(after.splitlines()) - set(before.splitlines())
    assert added.startswith("| `rec:aabb-2015-r2` | AABB 2015 recommendation 2: ")
    assert "| P9035, P9037 |" in added
    assert len(after.splitlines()) == len(before.splitlines()) + 1
    assert "rec:aabb-2015-r2" not in generator.evidence_table(graph, NEC.SecondaryOnly)


def test_a_section_is_replaced_between_its_comments_inline_or_on_lines_of_its_own():
    inline = "counts: <!-- generated: counts -->typed by hand<!-- end generated -->."
    assert generator.rewrite(inline, {"counts": "3 checks"}) == \
        "counts: <!-- generated: counts -->3 checks<!-- end generated -->."
    block = "before\n<!-- generated: table -->\n| old |\n<!-- end generated -->\nafter\n"
    assert generator.rewrite(block, {"table": "| a |\n| b |"}) == \
        "before\n<!-- generated: table -->\n| a |\n| b |\n<!-- end generated -->\nafter\n"


def test_a_section_with_no_such_name_is_refused():
    refusal = "docs/x.md: no generated section 'nope'; python tools/generate_docs.py writes counts"
    with pytest.raises(ValueError, match=refusal):
        generator.rewrite("<!-- generated: nope --><!-- end generated -->", {"counts": ""}, "docs/x.md")
