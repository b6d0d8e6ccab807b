"""A small FHIR server of fixtures on loopback, standing for an EHR's: it answers reads and searches from
a table of resources, and keeps each request's path and Authorization header for the tests to check."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FixtureServer:
    """The fixtures by ``Type/id`` and by search (``Type?query``), and the requests received."""

    reads: dict[str, dict[str, Any]]
    searches: dict[str, list[dict[str, Any]]]
    received: list[tuple[str, str | None]] = field(default_factory=list)
    url: str = ""


@contextmanager
def fhir_server(reads: dict[str, dict[str, Any]], searches: dict[str, list[dict[str, Any]]]) -> Iterator[FixtureServer]:
    """Serve the fixtures on a free loopback port until the block ends. A search not in the table answers an
    empty searchset; a read not in it, 404."""
    state = FixtureServer(reads, searches)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            path = self.path.split("/r4/", 1)[-1]
            state.received.append((path, self.headers.get("Authorization")))
            if "?" in path or path in searches:
                kind = path.split("?")[0]
                found = searches.get(path, [])
                body: Any = {"resourceType": "Bundle", "type": "searchset", "total": len(found),
                             "entry": [{"fullUrl": f"{state.url}/{r['resourceType']}/{r['id']}", "resource": r,
                                        "search": {"mode": "match"}} for r in found if r["resourceType"] == kind]}
            elif path in reads:
                body = reads[path]
            else:
                self.send_response(404)
                self.end_headers()
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/r4"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        thread.join(timeout=10)
