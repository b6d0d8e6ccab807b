"""A running ``necessity api`` on loopback (uvicorn in a thread, a fresh SQLite store), for real clients."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from reasoner.api.app import Settings
from reasoner.api.background import serving
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
    with serving(settings) as url:
        yield Running(url, token, records)
    records.close()
