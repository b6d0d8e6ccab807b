"""A running ``necessity api`` on loopback (uvicorn in a thread, a fresh SQLite store), for real clients."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from reasoner.api.app import Settings, create_app
from reasoner.api.records import Records, database_url
from reasoner.api.tokens import Tokens, new_token
from reasoner.knowledge import Knowledge

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Running:
    """A running API: its base URL, a token for it, and its store."""

    url: str
    token: str
    records: Records

    def client(self, token: str | None = None) -> httpx.Client:
        """An httpx client on the API, with the bearer token (or ``token``)."""
        return httpx.Client(base_url=self.url, timeout=60,
                            headers={"Authorization": f"Bearer {token or self.token}"})


def start(settings: Settings) -> tuple[uvicorn.Server, str]:
    """Serve ``settings`` on a free loopback port in a thread; return the server and its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """The API with one client token, on a fresh SQLite file."""
    knowledge = Knowledge.load(ROOT)
    token, line = new_token("test-client")
    folder = tmp_path_factory.mktemp("api")
    (folder / "tokens.txt").write_text(line + "\n")
    records = Records(database_url(str(folder / "pa.sqlite")))
    settings = Settings(knowledge=knowledge, engine=knowledge.engine("fast"), records=records,
                        tokens=Tokens.read(folder / "tokens.txt"), max_request_bytes=2 << 20)
    server, url = start(settings)
    yield Running(url, token, records)
    server.should_exit = True
