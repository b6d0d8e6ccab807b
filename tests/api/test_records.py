"""The store on SQLite and, where NECESSITY_TEST_POSTGRES names a database URL (CI starts one), PostgreSQL:
an exchange and its decisions in one transaction, found again by $inquire's keys and by the search."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from reasoner.api.records import (
    DECISIONS,
    EXCHANGES,
    REVIEW_PAGES,
    REVIEWER_DECISIONS,
    Decision,
    Exchange,
    PageLine,
    Records,
    Reviewed,
    ReviewerDecision,
    ReviewPage,
    database_url,
)
from reasoner.errors import NecessityError

POSTGRES = os.environ.get("NECESSITY_TEST_POSTGRES")


@pytest.fixture(params=["sqlite", "postgresql"])
def records(request: pytest.FixtureRequest, tmp_path: Path) -> Records:
    """A fresh store of each kind (PostgreSQL skipped when no database is given, and refused in CI)."""
    if request.param == "sqlite":
        return Records(database_url(str(tmp_path / "pa.sqlite")))
    if not POSTGRES:
        if os.environ.get("CI"):
            pytest.fail("CI must set NECESSITY_TEST_POSTGRES to run the store tests on PostgreSQL")
        pytest.skip("NECESSITY_TEST_POSTGRES is not set")
    store = Records(database_url(POSTGRES))
    with store.engine.begin() as connection:
        connection.execute(REVIEWER_DECISIONS.delete())
        connection.execute(REVIEW_PAGES.delete())
        connection.execute(DECISIONS.delete())
        connection.execute(EXCHANGES.delete())
    return store


def exchange(body: bytes = b"{}") -> Exchange:
    return Exchange(id=str(uuid.uuid4()), route="POST /fhir/Claim/$submit", received_at="2026-12-04T05:00:00.000+00:00",
                    answered_at="2026-12-04T05:00:00.020+00:00", duration_ms=20.0, client="ehr-1",
                    knowledge_version="abc", engine="fast", request_body=body, http_status=200, response_body="{}")


def decision(claim: str, created: str, actions: tuple[str, ...] = ("A1",)) -> Decision:
    return Decision(response_id=str(uuid.uuid4()), claim_identifier=("urn:trn", claim),
                    patient_identifier=("urn:mb", "M1"), patient_reference="urn:uuid:patient-1",
                    provider_identifier=("http://hl7.org/fhir/sid/us-npi", "123"),
                    created=created, review_actions=actions, decision_ms=12.5,
                    response_bundle={"resourceType": "Bundle", "entry": [{"resource": {"id": claim}}]})


def test_an_exchange_and_its_decisions_are_stored_together_and_found_again(records: Records) -> None:
    older, newer = decision("C1", "2026-12-01T00:00:00+00:00"), decision("C1", "2026-12-03T00:00:00+00:00", ("A3",))
    records.record(exchange(b'{"a": 1}'), (older,))
    records.record(exchange(), (newer,))
    assert [d.response_id for d in records.matching(("urn:trn", "C1"), ("urn:mb", "M1"),
                                                     ("http://hl7.org/fhir/sid/us-npi", "123"))] == \
        [newer.response_id, older.response_id]
    assert records.matching(("urn:trn", "C1"), ("urn:mb", "M1"), ("", "999")) == []
    assert records.decision(newer.response_id) == newer
    assert [d.response_id for d in records.search(identifier="urn:trn|C1",
                                                  created=("2026-12-02", "2026-12-31"))] == [newer.response_id]
    assert len(records.search(patient="urn:uuid:patient-1")) == 2
    assert sorted(records.all_decisions()) == [("A1", 12.5), ("A3", 12.5)]
    assert records.exchanges()[0]["request_sha256"] == exchange(b'{"a": 1}').request_sha256


def test_a_failed_write_stores_nothing_of_the_exchange(records: Records) -> None:
    first = decision("C2", "2026-12-01T00:00:00+00:00")
    records.record(exchange(), (first,))
    again = exchange()
    with pytest.raises(sa.exc.IntegrityError):
        records.record(again, (first,))  # the same ClaimResponse id twice: the transaction rolls back
    assert again.id not in {e["id"] for e in records.exchanges()}


def test_a_database_url_that_is_neither_a_file_nor_supported_is_refused() -> None:
    with pytest.raises(NecessityError, match="--db"):
        database_url("mysql://x/y")
    assert database_url("postgresql://u@h/db") == "postgresql+pg8000://u@h/db"


def test_a_review_page_a_re_decision_and_a_reviewers_decision_are_stored_and_counted_once(records: Records) -> None:
    line = PageLine(sequence=1, code="J2001", status="needs-info", asked=("lidocaine.route",),
                    description="lidocaine", claimed_as="Lidocaine", deciding="J2001 route")
    first = decision("C3", "2026-12-01T00:00:00+00:00", ("A4",))
    first = Decision(**{**first.__dict__, "page": ReviewPage(lines=(line,), patient_html="<p>p</p>", html="<p>r</p>",
                                                              request='{"resourceType": "Bundle"}')})
    records.record(exchange(), (first,))
    assert records.review_page(first.response_id) == first.page
    again = decision("C3", "2026-12-02T00:00:00+00:00", ("A3",))
    again = Decision(**{**again.__dict__, "page": ReviewPage(
        lines=(PageLine(**{**line.__dict__, "status": "coding-error", "asked": ()}),), patient_html="", html="",
        request="{}", previous_response_id=first.response_id)})
    records.record(exchange(), (again,))
    assert sorted(records.all_decisions()) == [("A3", 12.5)]  # the request once, as decided again
    mine = ReviewerDecision(response_id=again.response_id, item_sequence=1, action="approve", note="seen",
                            reviewer="nurse-1", recorded_at="2026-12-02T01:00:00+00:00")
    records.record(exchange(), reviewed=Reviewed(mine, ("A1",), {"resourceType": "Bundle", "entry": []}))
    stored = records.decision(again.response_id)
    assert stored is not None and stored.review_actions == ("A1",) and stored.response_bundle["entry"] == []
    assert records.reviewer_decisions(again.response_id) == [mine]
    assert records.reviewed_line_counts() == {again.response_id: 1}
    assert sorted(records.all_decisions()) == [("A1", 12.5)]
