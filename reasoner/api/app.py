"""The ASGI app of ``necessity api`` (Starlette): the PAS payer routes, ClaimResponse read and search, the
CRD CDS Hooks services, DTR's questionnaire package, the CapabilityStatement, the PA metrics and the
reviewer's workbench (``reasoner.workbench``), over the same library as the CLI. Every request and its answer
are recorded (``reasoner.api.records``) before the answer is sent; bad input gets one OperationOutcome
naming the resource and the field."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reasoner.api import dtr, metrics, pas
from reasoner.api.answers import JSON, OPEN_ROUTES, Answer, Refused, Settings, outcome
from reasoner.api.capability import capability_statement
from reasoner.api.crd import services as crd_services
from reasoner.api.crd.hook import answer_hook
from reasoner.api.records import Exchange, Records
from reasoner.errors import InputError, NecessityError
from reasoner.questionnaire import all_documentation_needs
from reasoner.workbench import routes as workbench

T = TypeVar("T")


def create_app(settings: Settings) -> Starlette:
    """The app: each route answers through ``_exchange``, which authenticates, limits and records."""
    lock = threading.Lock()  # one decision at a time on the knowledge's store

    def decided(work: Callable[[], T]) -> Callable[[], T]:
        def run() -> T:
            with lock:
                return work()
        return run

    needs = all_documentation_needs(settings.knowledge)  # queried now, not while a decision holds the store

    async def decide(body: bytes) -> pas.Submitted:
        def work() -> pas.Submitted:
            return pas.submit(body, settings.knowledge, settings.engine)
        return await _in_time(decided(work), settings.time_limit_s)

    async def submit(request: Request, body: bytes) -> Answer:
        done = await decide(body)
        return Answer(200, done.bundle, (workbench.stored(done, body, needs),))

    async def inquire(request: Request, body: bytes) -> Answer:
        keys = pas.inquiry_keys(body)
        return Answer(200, pas.inquiry_answer(settings.records.matching(*keys)))

    async def read_response(request: Request, body: bytes) -> Answer:
        found = settings.records.decision(request.path_params["id"])
        if found is None:
            raise Refused(404, "not-found", f"no ClaimResponse {request.path_params['id']!r}")
        return Answer(200, found.response_bundle["entry"][0]["resource"])

    async def search_responses(request: Request, body: bytes) -> Answer:
        return Answer(200, _searchset(settings.records, request))

    async def capability(request: Request, body: bytes) -> Answer:
        return Answer(200, capability_statement(settings.knowledge.version, settings.tokens is not None))

    async def pa_metrics(request: Request, body: bytes) -> Answer:
        return Answer(200, metrics.pa_metrics(settings.records.all_decisions()))

    async def package(request: Request, body: bytes) -> Answer:
        def work() -> Answer:
            return Answer(200, dtr.questionnaire_package(body, settings.knowledge))
        return await _in_time(decided(work), settings.time_limit_s)

    async def cds_services(request: Request, body: bytes) -> Answer:
        return Answer(200, crd_services.discovery(), media_type=JSON)

    async def cds_hook(request: Request, body: bytes) -> Answer:
        service = request.path_params["id"]
        if service not in crd_services.SERVICES:
            raise Refused(404, "not-found", f"no CDS service {service!r} (GET /cds-services lists them)")

        def work() -> Answer:
            return Answer(200, answer_hook(service, body, settings.knowledge, settings.engine, settings.fhir_servers),
                          media_type=JSON)
        return await _in_time(decided(work), settings.time_limit_s)

    def route(path: str, handler: Callable[[Request, bytes], Awaitable[Answer]], method: str) -> Route:
        async def endpoint(request: Request) -> Response:
            return await _exchange(settings, request, handler)
        return Route(path, endpoint, methods=[method])

    pages = [route(path, handler, method) for (path, method), handler in workbench.handlers(settings, decide).items()]
    return Starlette(routes=[
        *pages, Route("/workbench/{name}", _stylesheet, methods=["GET"]),
        route("/fhir/metadata", capability, "GET"),
        route("/fhir/Claim/$submit", submit, "POST"),
        route("/fhir/Claim/$inquire", inquire, "POST"),
        route("/fhir/ClaimResponse/{id}", read_response, "GET"),
        route("/fhir/ClaimResponse", search_responses, "GET"),
        route("/reports/pa-metrics", pa_metrics, "GET"),
        route("/fhir/Questionnaire/$questionnaire-package", package, "POST"),
        route("/cds-services", cds_services, "GET"),
        route("/cds-services/{id}", cds_hook, "POST"),
    ])


async def _exchange(settings: Settings, request: Request,
                    handler: Callable[[Request, bytes], Awaitable[Answer]]) -> Response:
    """Authenticate, read the body within the limit, answer, record, then send."""
    received, started = datetime.now(UTC).isoformat(timespec="milliseconds"), time.perf_counter()
    client, body = "unauthenticated", b""
    try:
        client = request.state.client = _client(settings, request)
        body = await _body(request, settings.max_request_bytes)
        answer = await handler(request, body)
    except Refused as refused:
        answer = refused.answer
    except pas.NotConformant as exc:
        answer = Answer(422, outcome("processing", str(exc), exc.field))
    except InputError as exc:
        answer = Answer(400, outcome("invalid" if exc.field != "-" else "structure", str(exc),
                                     exc.field if exc.field != "-" else None))
    except NecessityError as exc:
        answer = Answer(500, outcome("exception", f"necessity could not answer: {exc}"))
    text = answer.body if isinstance(answer.body, str) else json.dumps(answer.body, ensure_ascii=False)
    exchange = Exchange(
        id=str(uuid.uuid4()), route=f"{request.method} {request.url.path}", received_at=received,
        answered_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
        duration_ms=(time.perf_counter() - started) * 1000, client=client,
        knowledge_version=settings.knowledge.version, engine=settings.engine.description,
        request_body=body if answer.recorded_request is None else answer.recorded_request,
        http_status=answer.status, response_body=text)
    await anyio.to_thread.run_sync(settings.records.record, exchange, answer.decisions, answer.reviewed)
    headers = {**answer.headers, "X-Request-Id": exchange.id}
    if answer.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="necessity"'
    return Response(text, status_code=answer.status, media_type=answer.media_type, headers=headers)


def _client(settings: Settings, request: Request) -> str:
    """Who calls: a bearer token's client (on the workbench's pages, the token of the sign-in cookie)."""
    if settings.tokens is None:
        return f"no-auth@{request.client.host if request.client else '?'}"
    path = request.url.path
    authorization = request.headers.get("authorization")
    if authorization is None and workbench.is_workbench(path) and request.cookies.get(workbench.COOKIE):
        authorization = f"Bearer {request.cookies[workbench.COOKIE]}"
    client = settings.tokens.client(authorization)
    if client is not None:
        return client
    if path in OPEN_ROUTES or path in workbench.SIGN_IN:
        return "anonymous"
    if workbench.is_workbench(path):
        raise workbench.sign_in_redirect()
    raise Refused(401, "login", "a bearer token is required (Authorization: Bearer TOKEN)")


async def _stylesheet(request: Request) -> Response:
    """A stylesheet of the workbench, shipped in the package (no CDN)."""
    found = workbench.STYLESHEETS.get(request.path_params["name"])
    if found is None:
        return Response("not found", status_code=404, media_type="text/plain")
    return Response(found.read_text(encoding="utf-8"), media_type="text/css",
                    headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"})


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Refused(413, "too-long", f"the request is {int(declared):,} bytes; at most {limit:,} are taken")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(413, "too-long", f"the request is over {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _in_time(work: Callable[[], T], limit: float) -> T:
    try:
        with anyio.fail_after(limit):
            return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
    except TimeoutError:
        raise Refused(503, "timeout", f"the decision took longer than {limit:g} s; nothing was decided") from None


def _searchset(records: Records, request: Request) -> dict[str, Any]:
    params = request.query_params
    unknown = sorted(set(params) - {"patient", "identifier", "created"})
    if unknown:
        raise Refused(400, "not-supported", f"search parameter {unknown[0]!r} is not supported "
                      "(patient, identifier, created)", f"ClaimResponse?{unknown[0]}")
    found = records.search(params.get("patient"), params.get("identifier"), _created(params.getlist("created")))
    return {"resourceType": "Bundle", "type": "searchset", "total": len(found),
            "entry": [{"fullUrl": f"urn:uuid:{d.response_id}", "resource": d.response_bundle["entry"][0]["resource"],
                       "search": {"mode": "match"}} for d in found]}


def _created(values: list[str]) -> tuple[str, str] | None:
    """``created=ge2026-01-01&created=le2026-12-31`` or ``created=2026-11-20`` as (from, until)."""
    if not values:
        return None
    low, high = "0000", "9999"
    for value in values:
        prefix, day = (value[:2], value[2:]) if value[:2] in ("ge", "le", "eq") else ("eq", value)
        if not day[:4].isdigit():
            raise Refused(400, "invalid", f"created={value!r}: expected a date, prefixed ge, le or eq",
                          "ClaimResponse?created")
        if prefix in ("ge", "eq"):
            low = day
        if prefix in ("le", "eq"):
            high = day + "\uffff"
    return low, high
