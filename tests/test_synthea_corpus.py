"""Every claim of every Bundle of the Synthea corpus (real Synthea FHIR R4 output, tests/corpora/
synthea-r4/, codes mostly outside necessity's scope) is reviewed without a crash: each claim line
gets one of the five statuses, every entry is accounted for in the ingest ledger, and the FHIR output
of each bundle is valid. Each bundle's one-line
summary is printed at the end of the run (tests/conftest.py)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from reasoner.cli.options import knowledge as installed
from reasoner.errors import InputError
from reasoner.pipeline import review
from reasoner.render.fhir import render_fhir
from reasoner.results import Status

CORPUS = Path(__file__).resolve().parent / "corpora" / "synthea-r4"
BUNDLES = sorted(CORPUS.glob("*.json"))
STATUSES = tuple(Status)


def test_the_corpus_is_there():
    assert len(BUNDLES) == 12 and (CORPUS / "LICENSE").is_file()


@pytest.mark.parametrize("path", BUNDLES, ids=lambda p: p.name.split("_")[0].removesuffix(".json"))
def test_every_claim_of_the_bundle_is_reviewed(path, record_property):
    claims = [entry["resource"] for entry in json.loads(path.read_text(encoding="utf-8"))["entry"]
              if entry["resource"]["resourceType"] == "Claim"]
    if not claims:  # the hospital and practitioner bundles hold no patient and no claim: not requests
        with pytest.raises(InputError, match="Bundle: entry: expected exactly one Patient, found 0"):
            review(path, installed())
        record_property("corpus-summary", f"{path.name}: not a review request (no Patient, no Claim): exit 2")
        return
    result = review(path, installed())
    entries = json.loads(path.read_text(encoding="utf-8"))["entry"]
    assert [e.entry for e in result.ingest] == list(range(len(entries)))  # every entry accounted for, once
    assert all(e.reason for e in result.ingest if e.use != "used")
    assert [c.claim_id for c in result.claims] == [c["id"] for c in claims]
    for claim, reviewed in zip(claims, result.claims, strict=True):
        assert [d.sequence for d in reviewed.determinations] == [item["sequence"] for item in claim["item"]]
        assert {d.status for d in reviewed.determinations} <= set(STATUSES)
    responses = [entry["resource"] for entry in json.loads(render_fhir(result))["entry"]]  # validated FHIR
    assert [len(r.get("item", [])) for r in responses] == [len(c["item"]) for c in claims]
    counts = Counter(d.status for c in result.claims for d in c.determinations)
    assert counts["no-policy"] >= 0.9 * sum(counts.values())  # Synthea bills codes outside the scope
    uses = Counter(e.use for e in result.ingest)
    record_property("corpus-summary", f"{path.name}: {len(result.claims)} claims, {sum(counts.values())} lines: "
                    + ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
                    + f"; {len(entries)} entries: " + ", ".join(f"{n} {use}" for use, n in sorted(uses.items())))
