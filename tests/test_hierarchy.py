"""All of ICD-10-CM as a class hierarchy (kg/codes/icd10cm.ttl.gz): reproducible from its public
source, and sliced into each request so a criterion on a category matches every code below it."""

from __future__ import annotations

import gzip
from pathlib import Path

from rdflib import RDFS, Graph
from tool_modules import load_tool

from reasoner import resources
from reasoner.cli.options import knowledge as installed
from reasoner.hierarchy import read_hierarchy
from reasoner.vocab import ICD, ICD_GROUP, NEC

ROOT = Path(__file__).resolve().parent.parent


def test_the_committed_hierarchy_is_what_the_script_generates():
    committed = gzip.decompress(resources.code_hierarchy_file().read_bytes()).decode("utf-8")
    assert committed == load_tool("build_icd10cm").turtle()


def test_every_class_of_the_tables_is_there():
    assert len(read_hierarchy(resources.code_hierarchy_file())) == 98505
    assert installed().hierarchy == read_hierarchy(resources.code_hierarchy_file())


def ancestors(code: str) -> list[str]:
    graph, hierarchy = Graph(), installed().hierarchy
    hierarchy.add_slice(graph, code)
    chain, node = [], hierarchy.code_class(code)
    while node != NEC.ICD10CMCode:
        node = graph.value(node, RDFS.subClassOf)
        chain.append(str(node).removeprefix(str(ICD)).removeprefix(str(ICD_GROUP)))
    return chain


def test_a_code_gets_its_whole_chain_up_to_the_chapter():
    assert ancestors("C92.00") == ["C92.0", "C92", "block-C81-C96", "chapter-2", str(NEC.ICD10CMCode)]
    assert ancestors("C9200") == ancestors("C92.00")


def test_a_name_that_is_both_a_block_and_a_category_gets_both():
    assert ancestors("C50.911") == ["C50.91", "C50.9", "C50", "block-C50", "chapter-2", str(NEC.ICD10CMCode)]


def test_codes_outside_icd10cm_are_not_known_and_get_no_chain():
    hierarchy = installed().hierarchy
    assert not hierarchy.is_known("C92.99X") and not hierarchy.is_known("c92.00")
    assert not hierarchy.is_known("C81-C96") and not hierarchy.is_known("2")
    assert not hierarchy.is_known("block-C81-C96") and not hierarchy.is_known("chapter-2")
    assert not hierarchy.is_known("C9.200") and not hierarchy.is_known("C92..00")
    graph = Graph()
    hierarchy.add_slice(graph, "C92.99X")
    assert len(graph) == 0
    assert hierarchy.description("C92.00") == "Acute myeloblastic leukemia, not having achieved remission"
