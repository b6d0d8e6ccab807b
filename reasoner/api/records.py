"""The API's store and audit trail: every exchange (request, response, time, knowledge version, engine,
client, hash) and every prior-authorization decision, in SQLite (one file) or PostgreSQL, through
SQLAlchemy Core. An exchange and its decisions are written in one transaction, and the API answers
only after that transaction has committed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from reasoner.errors import NecessityError

METADATA = sa.MetaData()

EXCHANGES = sa.Table(
    "exchanges", METADATA,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("route", sa.String(200), nullable=False),
    sa.Column("received_at", sa.String(40), nullable=False, index=True),
    sa.Column("answered_at", sa.String(40), nullable=False),
    sa.Column("duration_ms", sa.Float, nullable=False),
    sa.Column("client", sa.String(200), nullable=False),
    sa.Column("knowledge_version", sa.String(40), nullable=False),
    sa.Column("engine", sa.String(200), nullable=False),
    sa.Column("request_sha256", sa.String(64), nullable=False, index=True),
    sa.Column("request_body", sa.Text, nullable=False),
    sa.Column("http_status", sa.Integer, nullable=False),
    sa.Column("response_body", sa.Text, nullable=False),
)

DECISIONS = sa.Table(
    "decisions", METADATA,
    sa.Column("response_id", sa.String(64), primary_key=True),
    sa.Column("exchange_id", sa.String(64), sa.ForeignKey("exchanges.id"), nullable=False),
    sa.Column("claim_system", sa.String(400), nullable=False, index=True),
    sa.Column("claim_value", sa.String(400), nullable=False, index=True),
    sa.Column("patient_system", sa.String(400), nullable=False),
    sa.Column("patient_value", sa.String(400), nullable=False, index=True),
    sa.Column("patient_reference", sa.String(400), nullable=False),
    sa.Column("provider_system", sa.String(400), nullable=False),
    sa.Column("provider_value", sa.String(400), nullable=False),
    sa.Column("created", sa.String(40), nullable=False, index=True),
    sa.Column("review_actions", sa.String(2000), nullable=False),
    sa.Column("decision_ms", sa.Float, nullable=False),
    sa.Column("response_bundle", sa.Text, nullable=False),
)

REVIEW_PAGES = sa.Table(
    "review_pages", METADATA,  # what the workbench shows of a decision, as the engine decided it
    sa.Column("response_id", sa.String(64), sa.ForeignKey("decisions.response_id"), primary_key=True),
    sa.Column("previous_response_id", sa.String(64), nullable=False),  # "" unless re-decided from the workbench
    sa.Column("lines", sa.Text, nullable=False),  # JSON: a PageLine's fields per line
    sa.Column("patient_html", sa.Text, nullable=False),
    sa.Column("html", sa.Text, nullable=False),
    sa.Column("request", sa.Text, nullable=False),  # the PAS request Bundle decided (an upload's file, a re-decision's)
)

REVIEWER_DECISIONS = sa.Table(
    "reviewer_decisions", METADATA,  # a licensed reviewer's decision on one line, as recorded
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("response_id", sa.String(64), sa.ForeignKey("decisions.response_id"), nullable=False, index=True),
    sa.Column("exchange_id", sa.String(64), sa.ForeignKey("exchanges.id"), nullable=False),
    sa.Column("item_sequence", sa.Integer, nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("reviewer", sa.String(200), nullable=False),
    sa.Column("recorded_at", sa.String(40), nullable=False),
)


@dataclass(frozen=True)
class PageLine:
    """One line as the workbench's table of decisions shows it."""

    sequence: int
    code: str
    status: str
    asked: tuple[str, ...]  # the linkIds of the questions that would decide it
    description: str  # necessity's own description of the code
    claimed_as: str
    deciding: str  # the deciding recommendations and rules


@dataclass(frozen=True)
class ReviewPage:
    """What the workbench shows of a decision: its lines, the patient and the review (lines, proofs,
    sources) as rendered when it was decided, the request Bundle decided, and the decision it re-decided."""

    lines: tuple[PageLine, ...]
    patient_html: str
    html: str
    request: str
    previous_response_id: str = ""


@dataclass(frozen=True)
class ReviewerDecision:
    """A reviewer's decision on one line of a stored ClaimResponse: approve, deny or pend, with a note."""

    response_id: str
    item_sequence: int
    action: str
    note: str
    reviewer: str
    recorded_at: str


@dataclass(frozen=True)
class Reviewed:
    """A reviewer's decision to record, the review actions now sent (X12 306, one per line: the metrics
    count the reviewer's) and the response Bundle that now carries it."""

    decision: ReviewerDecision
    review_actions: tuple[str, ...]
    response_bundle: dict[str, Any]


@dataclass(frozen=True)
class Exchange:
    """One request to the API and the answer it got, as the audit trail keeps it."""

    id: str
    route: str
    received_at: str
    answered_at: str
    duration_ms: float
    client: str
    knowledge_version: str
    engine: str
    request_body: bytes
    http_status: int
    response_body: str

    @property
    def request_sha256(self) -> str:
        """The SHA-256 of the request body as received, in hex."""
        return hashlib.sha256(self.request_body).hexdigest()


@dataclass(frozen=True)
class Decision:
    """One stored ClaimResponse: how $inquire and the search find it again, and its review actions."""

    response_id: str
    claim_identifier: tuple[str, str]
    patient_identifier: tuple[str, str]
    patient_reference: str
    provider_identifier: tuple[str, str]
    created: str
    review_actions: tuple[str, ...]
    decision_ms: float
    response_bundle: dict[str, Any] = field(compare=False)
    page: ReviewPage | None = field(default=None, compare=False)  # stored for the workbench when given


def database_url(db: str) -> str:
    """``--db`` as an SQLAlchemy URL: a file path is an SQLite file; ``postgresql://`` uses pg8000."""
    if "://" not in db:
        return f"sqlite:///{Path(db).absolute()}"
    if db.startswith(("postgresql://", "postgres://")):
        return "postgresql+pg8000://" + db.split("://", 1)[1]
    if db.startswith(("sqlite:///", "postgresql+pg8000://")):
        return db
    raise NecessityError(f"--db {db!r}: expected a file path, sqlite:///FILE or postgresql://USER@HOST/DB")


class Records:
    """The store: open it on a database URL (tables created if missing), then record and read."""

    def __init__(self, url: str) -> None:
        self.url = url
        options: dict[str, Any] = {"future": True}
        if url.startswith("sqlite"):
            options["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine: Engine = sa.create_engine(url, **options)
        if url.startswith("sqlite"):
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            METADATA.create_all(self.engine)
        except sa.exc.SQLAlchemyError as exc:
            raise NecessityError(f"the store {self.engine.url!r} cannot be opened: {exc.__class__.__name__}: "
                                 f"{str(exc).splitlines()[0]}") from exc

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    def record(self, exchange: Exchange, decisions: tuple[Decision, ...] = (),
               reviewed: Reviewed | None = None) -> None:
        """Write ``exchange``, its ``decisions`` and a reviewer's decision in one transaction (committed when
        this returns)."""
        with self._transaction() as connection:
            connection.execute(EXCHANGES.insert().values(
                id=exchange.id, route=exchange.route, received_at=exchange.received_at,
                answered_at=exchange.answered_at, duration_ms=exchange.duration_ms, client=exchange.client,
                knowledge_version=exchange.knowledge_version, engine=exchange.engine,
                request_sha256=exchange.request_sha256,
                request_body=exchange.request_body.decode("utf-8", errors="replace"),
                http_status=exchange.http_status, response_body=exchange.response_body))
            for d in decisions:
                connection.execute(DECISIONS.insert().values(
                    response_id=d.response_id, exchange_id=exchange.id,
                    claim_system=d.claim_identifier[0], claim_value=d.claim_identifier[1],
                    patient_system=d.patient_identifier[0], patient_value=d.patient_identifier[1],
                    patient_reference=d.patient_reference, provider_system=d.provider_identifier[0],
                    provider_value=d.provider_identifier[1], created=d.created,
                    review_actions=",".join(d.review_actions), decision_ms=d.decision_ms,
                    response_bundle=json.dumps(d.response_bundle, ensure_ascii=False)))
                if d.page is not None:
                    connection.execute(REVIEW_PAGES.insert().values(
                        response_id=d.response_id, previous_response_id=d.page.previous_response_id,
                        lines=json.dumps([asdict(line) for line in d.page.lines]),
                        patient_html=d.page.patient_html, html=d.page.html,
                        request=d.page.request))
            if reviewed is not None:
                _record_reviewed(connection, exchange.id, reviewed)

    def decision(self, response_id: str) -> Decision | None:
        """The stored decision whose ClaimResponse has id ``response_id``, or None."""
        rows = self._decisions(DECISIONS.c.response_id == response_id)
        return rows[0] if rows else None

    def search(self, patient: str | None = None, identifier: str | None = None,
               created: tuple[str, str] | None = None) -> list[Decision]:
        """Stored decisions, newest first: by patient (a reference or a member id value), by the Claim's
        identifier (``system|value`` or a value), created within ``created`` (from, until; inclusive)."""
        conditions: list[Any] = []
        if patient:
            conditions.append(sa.or_(DECISIONS.c.patient_reference == patient,
                                     DECISIONS.c.patient_reference.like(f"%/{patient}"),
                                     DECISIONS.c.patient_value == patient))
        if identifier:
            conditions.append(_identifier_condition(identifier))
        if created:
            conditions += [DECISIONS.c.created >= created[0], DECISIONS.c.created <= created[1]]
        return self._decisions(*conditions)

    def matching(self, claim: tuple[str, str], patient: tuple[str, str], provider: tuple[str, str]) -> list[Decision]:
        """The decisions for the Claim identifier ``claim``, newest first, whose patient member id and
        provider identifier (NPI) also match where the inquiry gives them (PAS spec-53)."""
        conditions = [DECISIONS.c.claim_value == claim[1]]
        if claim[0]:
            conditions.append(DECISIONS.c.claim_system == claim[0])
        for column_system, column_value, (system, value) in (
                (DECISIONS.c.patient_system, DECISIONS.c.patient_value, patient),
                (DECISIONS.c.provider_system, DECISIONS.c.provider_value, provider)):
            conditions.append(column_value == value)
            if system:
                conditions.append(column_system == system)
        return self._decisions(*conditions)

    def _decisions(self, *conditions: Any) -> list[Decision]:
        query = sa.select(DECISIONS).where(*conditions).order_by(DECISIONS.c.created.desc(),
                                                                 DECISIONS.c.response_id)
        with self.engine.connect() as connection:
            return [_decision(row) for row in connection.execute(query)]

    def exchanges(self) -> list[dict[str, Any]]:
        """Every exchange of the audit trail, oldest first, without the bodies."""
        columns = [c for c in EXCHANGES.c if c.name not in ("request_body", "response_body")]
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(*columns).order_by(EXCHANGES.c.received_at))
            return [dict(row._mapping) for row in rows]

    def exchange_bodies(self, exchange_id: str) -> tuple[str, str] | None:
        """The request and response bodies of one exchange, as stored."""
        query = sa.select(EXCHANGES.c.request_body, EXCHANGES.c.response_body).where(EXCHANGES.c.id == exchange_id)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return (row[0], row[1]) if row else None

    def all_decisions(self) -> list[tuple[str, float]]:
        """Every current decision's review actions as sent (comma-separated) and decision time, for the
        metrics: a decision the workbench decided again counts once, as its newest."""
        redecided = sa.select(REVIEW_PAGES.c.previous_response_id).where(REVIEW_PAGES.c.previous_response_id != "")
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(DECISIONS.c.review_actions, DECISIONS.c.decision_ms)
                                      .where(DECISIONS.c.response_id.not_in(redecided)))
            return [(row[0], row[1]) for row in rows]

    def review_page(self, response_id: str) -> ReviewPage | None:
        """The workbench's page of a stored decision, or None (decided before the workbench stored pages)."""
        query = sa.select(REVIEW_PAGES).where(REVIEW_PAGES.c.response_id == response_id)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        lines = tuple(PageLine(**{**line, "asked": tuple(line["asked"])}) for line in json.loads(row.lines))
        return ReviewPage(lines=lines, patient_html=row.patient_html, html=row.html, request=row.request,
                          previous_response_id=row.previous_response_id)

    def reviewer_decisions(self, response_id: str) -> list[ReviewerDecision]:
        """The reviewer's decisions recorded on ``response_id``, oldest first (the last per line holds)."""
        query = sa.select(REVIEWER_DECISIONS).where(REVIEWER_DECISIONS.c.response_id == response_id) \
            .order_by(REVIEWER_DECISIONS.c.id)
        with self.engine.connect() as connection:
            return [ReviewerDecision(response_id=r.response_id, item_sequence=r.item_sequence, action=r.action,
                                     note=r.note, reviewer=r.reviewer, recorded_at=r.recorded_at)
                    for r in connection.execute(query)]

    def reviewed_line_counts(self) -> dict[str, int]:
        """How many lines of each decision have a reviewer's decision, by response id."""
        query = sa.select(REVIEWER_DECISIONS.c.response_id,
                          sa.func.count(sa.distinct(REVIEWER_DECISIONS.c.item_sequence))) \
            .group_by(REVIEWER_DECISIONS.c.response_id)
        with self.engine.connect() as connection:
            return {row[0]: int(row[1]) for row in connection.execute(query)}

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def _identifier_condition(identifier: str) -> Any:
    system, _, value = identifier.rpartition("|")
    condition = DECISIONS.c.claim_value == value
    return sa.and_(condition, DECISIONS.c.claim_system == system) if system else condition


def _decision(row: Any) -> Decision:
    m = row._mapping
    return Decision(
        response_id=m["response_id"], claim_identifier=(m["claim_system"], m["claim_value"]),
        patient_identifier=(m["patient_system"], m["patient_value"]), patient_reference=m["patient_reference"],
        provider_identifier=(m["provider_system"], m["provider_value"]), created=m["created"],
        review_actions=tuple(a for a in m["review_actions"].split(",") if a), decision_ms=m["decision_ms"],
        response_bundle=json.loads(m["response_bundle"]))


def _record_reviewed(connection: Connection, exchange_id: str, reviewed: Reviewed) -> None:
    d = reviewed.decision
    connection.execute(REVIEWER_DECISIONS.insert().values(
        response_id=d.response_id, exchange_id=exchange_id, item_sequence=d.item_sequence, action=d.action,
        note=d.note, reviewer=d.reviewer, recorded_at=d.recorded_at))
    connection.execute(DECISIONS.update().where(DECISIONS.c.response_id == d.response_id).values(
        response_bundle=json.dumps(reviewed.response_bundle, ensure_ascii=False),
        review_actions=",".join(reviewed.review_actions)))


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()
