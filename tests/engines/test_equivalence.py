"""The fast engine gives exactly the reference engine's determinations (status, recommendations and
rules with their states, criteria states and facts, documentation, warnings, citations): on every
example request (each has a golden file), and on generated requests (``tests/generated.py``).

The reference engine takes seconds per claim, so the generated requests are closed by it in
batches: each request's nodes are renamed apart (``request/r<i>/...``), the batch is closed in one
owlrl run, and each request's part is taken back out and decided alone. Requests share no node, so
no OWL 2 RL rule joins two of them (the knowledge has no inverse functional property or key, the
rules that could). The README's test command runs the seed and the first 50 generated requests, CI every
example and all 500 (the rest are marked slow); NECESSITY_GENERATED=5000 runs more.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import pytest
from bundles import write
from generated import generated_requests
from rdflib import OWL, Graph, URIRef
from rdflib.term import Node

from reasoner.cli.options import knowledge as installed
from reasoner.determine import decide
from reasoner.errors import InputError
from reasoner.facts import claim_facts
from reasoner.ingest import read_request
from reasoner.ingest.model import Request
from reasoner.pipeline import claim_triples, review
from reasoner.results import Determination
from reasoner.vocab import REQ

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
COUNT = int(os.environ.get("NECESSITY_GENERATED", "500"))
BATCH = 50

Triple = tuple[Node, Node, Node]


@pytest.mark.slow  # the reference engine takes about a minute on one example with the knowledge of issue 19
@pytest.mark.parametrize("example", (*EXAMPLES, ROOT / "examples" / "seed-aml-port.ttl"), ids=lambda p: p.name)
def test_the_engines_agree_on_every_example(example):
    quick, slow = review(example, installed()), review(example, installed(), installed().engine("reference"))
    assert quick.claims == slow.claims
    assert quick.engine.startswith("fast") and slow.engine.startswith("reference")


@pytest.mark.parametrize("example", [pytest.param(ROOT / "examples" / "seed-aml-port.json", marks=pytest.mark.slow),
                                     pytest.param(ROOT / "examples" / "age-4-port.json", marks=pytest.mark.slow)],
                         ids=lambda p: p.name)
def test_the_engines_derive_the_same_triples_about_the_request(example):
    knowledge = installed()
    request = read_request(example, knowledge)
    facts = claim_facts(request, request.claims[0], knowledge.tables)
    quick = about_request(set(knowledge.engine("fast").entail(facts)))
    slow = about_request(set(knowledge.engine("reference").entail(facts)) - set(facts))
    assert len(quick) > 200
    assert quick == slow


def fast_reviews(bundles: tuple[dict, ...], first: int, folder: Path) -> list[tuple[Path, Request, list]]:
    """Each readable bundle written to ``folder``, read, and decided by the fast engine."""
    reviewed = []
    for number, bundle in enumerate(bundles, start=first):
        path = write(folder, bundle, f"generated-{number}.json")
        try:
            request = read_request(path, installed())
            triples = claim_triples(request, request.claims[0], installed(), installed().engine("fast"))
            reviewed.append((path, request, decided_triples(triples)))
        except InputError:
            continue  # refused at ingest, before either engine
    return reviewed


# The README's test command runs none (50 requests closed by owlrl take a minute): every batch is marked slow
# and CI runs them all; the quick suite holds the engines to each other on the seed example and its triples.
QUICK_BATCHES = 0


@pytest.mark.parametrize("batch", [pytest.param(b, marks=[pytest.mark.slow] if b >= QUICK_BATCHES else [])
                                   for b in range(-(-COUNT // BATCH))])
def test_the_engines_agree_on_generated_requests(batch, tmp_path):
    first = batch * BATCH
    reviewed = fast_reviews(generated_requests(COUNT)[first:first + BATCH], first, tmp_path)
    assert len(reviewed) >= 0.9 * len(generated_requests(COUNT)[first:first + BATCH])
    slow = reference_in_one_run([(request, request.claims[0]) for _, request, _ in reviewed])
    for (path, _, quick), reference_determinations in zip(reviewed, slow, strict=True):
        assert quick == reference_determinations, f"the engines disagree on {path}: {path.read_text()}"


@pytest.mark.slow
def test_generated_requests_reach_every_status(tmp_path):
    statuses: dict[str, int] = defaultdict(int)
    for _, _, determinations in fast_reviews(generated_requests(COUNT), 0, tmp_path):
        for determination in determinations:
            statuses[determination.status] += 1
    assert set(statuses) == {"justified", "not-justified", "needs-info", "coding-error", "no-policy"}
    assert min(statuses.values()) >= 10, dict(statuses)


def reference_in_one_run(items: list) -> list[list[Determination]]:
    """The reference engine's determinations of each (request, claim), closed together in one owlrl run."""
    knowledge = installed()
    union = Graph()
    for number, (request, claim) in enumerate(items):
        for triple in claim_facts(request, claim, knowledge.tables):
            union.add(renamed(triple, str(REQ), f"{REQ}r{number}/"))
    closed = [*union, *knowledge.engine("reference").entail(union)]
    shared: list[Triple] = []
    own: dict[int, list[Triple]] = defaultdict(list)
    for triple in closed:
        number = owner(triple)
        if number is None:
            shared.append(triple)
        else:
            own[number].append(renamed(triple, f"{REQ}r{number}/", str(REQ)))
    return [decided_triples([*shared, *own[number]]) for number in range(len(items))]


def decided_triples(triples: list[Triple]) -> list[Determination]:
    """The determinations of a claim's facts and entailments, decided with the installed knowledge."""
    knowledge = installed()
    with knowledge.store.claim(triples) as graph:
        return decide(graph, knowledge.queries)


def renamed(triple: Triple, old: str, new: str) -> Triple:
    """``triple`` with every IRI that starts with ``old`` starting with ``new`` instead."""
    return tuple(URIRef(new + str(t)[len(old):]) if isinstance(t, URIRef) and str(t).startswith(old) else t
                 for t in triple)  # type: ignore[return-value]


def owner(triple: Triple) -> int | None:
    """The number of the request a triple of a batch is about, or None for the knowledge's own."""
    for term in triple:
        if isinstance(term, URIRef) and str(term).startswith(f"{REQ}r"):
            return int(str(term)[len(f"{REQ}r"):].split("/", 1)[0])
    return None


def about_request(triples: set[Triple]) -> set[Triple]:
    """The triples whose subject is a node of the request (``x owl:sameAs x`` aside)."""
    return {t for t in triples if str(t[0]).startswith(str(REQ)) and not (t[1] == OWL.sameAs and t[0] == t[2])}


@pytest.mark.slow
def test_a_batch_of_the_reference_gives_what_it_gives_one_by_one(tmp_path):
    # The batching above is sound: two generated requests closed together give what each gives alone.
    items = [request for _, request, _ in fast_reviews(generated_requests(COUNT)[:2], 0, tmp_path)]
    alone = [decided_triples(claim_triples(r, r.claims[0], installed(), installed().engine("reference")))
             for r in items]
    assert reference_in_one_run([(r, r.claims[0]) for r in items]) == alone
