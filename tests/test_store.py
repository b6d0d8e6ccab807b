"""The knowledge store: a claim is decided with the knowledge's core and only the recommendations, rules and
checks that bear on the codes of its lines, and that decides exactly as the whole knowledge does."""

from __future__ import annotations

from pathlib import Path

import pytest
from bundles import bundle, write
from generated import each_readable

from reasoner.cli.options import knowledge as installed
from reasoner.determine import decide
from reasoner.ingest import read_request
from reasoner.pipeline import claim_triples
from reasoner.vocab import NEC

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [*sorted((ROOT / "examples").glob("*.json")), ROOT / "examples" / "seed-aml-port.ttl",
            *sorted((ROOT / "examples" / "dated").glob("*.json"))]


def both_ways(path: Path) -> tuple[list, list, int]:
    """The determinations of the request's first claim decided with its slice and with the whole knowledge, and
    how many sources the slice holds."""
    knowledge = installed()
    request = read_request(path, knowledge)
    triples = claim_triples(request, request.claims[0], knowledge, knowledge.engine("fast"))
    with knowledge.store.claim(triples) as graph:
        sliced = decide(graph, knowledge.queries)
    with knowledge.store.claim(triples, whole=True) as graph:
        whole = decide(graph, knowledge.queries)
    return sliced, whole, len(knowledge.store.sources_for(triples))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_a_slice_decides_every_example_as_the_whole_knowledge(path):
    sliced, whole, _ = both_ways(path)
    assert sliced == whole and sliced


def test_a_slice_decides_generated_requests_as_the_whole_knowledge(tmp_path):
    compared = each_readable(tmp_path, both_ways)
    for name, (sliced, whole, _) in compared:
        assert sliced == whole, name
    assert len(compared) >= 50


def test_a_claim_gets_only_the_sources_that_bear_on_its_codes(tmp_path):
    store = installed().store
    _, _, port = both_ways(write(tmp_path, bundle(["36561"]), "port.json"))
    _, _, seed = both_ways(ROOT / "examples" / "seed-aml-port.json")
    assert 0 < port < seed < len(store.owned)
    knowledge_sources = {s for s, p, _ in installed().closed if p in (NEC.supportsCode, NEC.opposesCode, NEC.appliesTo)}
    assert set(store.owned) == knowledge_sources


def test_the_slices_and_the_core_are_the_whole_knowledge():
    store = installed().store
    assert len(store.quads) == len(store.core) + sum(len(q) for q in store.owned.values()) + len(store.unread)
    assert len(set(store.quads)) == len(store.quads) == len([t for t in installed().closed
                                                               if type(t[0]).__name__ != "Literal"])
