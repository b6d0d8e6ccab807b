"""A bounded load test of the PAS API: N ``$submit`` of the seed (wrapped as a PAS Bundle) from C concurrent
clients against ``necessity api`` on loopback, with an SQLite store; every one must be answered 200 and
stored. Prints p50 and p95 latency and the throughput.

    python benchmarks/api_load.py                 # 2,000 requests, 16 clients
    python benchmarks/api_load.py -n 200 -c 4 --json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from reasoner.api.app import Settings
from reasoner.api.background import serving
from reasoner.api.records import Records, database_url
from reasoner.knowledge import Knowledge

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "pas" / "seed-aml-port.pas.json"


def load(requests: int, clients: int, db: str | None = None) -> dict[str, Any]:
    """Send ``requests`` $submit from ``clients`` threads; return the figures (and what failed)."""
    knowledge = Knowledge.load(ROOT)
    with tempfile.TemporaryDirectory() as folder:
        records = Records(database_url(db or str(Path(folder) / "load.sqlite")))
        settings = Settings(knowledge=knowledge, engine=knowledge.engine("fast"), records=records, tokens=None)
        body = SEED.read_bytes()
        with serving(settings) as url:
            started = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                shares = [requests // clients + (i < requests % clients) for i in range(clients)]
                results = [r for part in pool.map(lambda n: _client(url, body, n), shares) for r in part]
            wall = time.perf_counter() - started
        stored = len(records.search())
        records.close()
    latencies = sorted(ms for status, ms in results if status == 200)
    return {"requests": requests, "clients": clients, "answered_200": len(latencies),
            "failed": [status for status, _ in results if status != 200][:10], "stored": stored,
            "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
            "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
            "per_second": round(len(latencies) / wall, 1), "wall_s": round(wall, 1)}


def _client(url: str, body: bytes, count: int) -> list[tuple[int, float]]:
    results = []
    with httpx.Client(base_url=url, timeout=120) as client:
        for _ in range(count):
            started = time.perf_counter()
            answer = client.post("/fhir/Claim/$submit", content=body,
                                 headers={"Content-Type": "application/fhir+json"})
            results.append((answer.status_code, (time.perf_counter() - started) * 1000))
    return results


def main() -> None:
    """Run the load test and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--requests", type=int, default=2000)
    parser.add_argument("-c", "--clients", type=int, default=16)
    parser.add_argument("--db", help="a PostgreSQL URL instead of a temporary SQLite file")
    parser.add_argument("--json", action="store_true", help="one JSON object on standard output")
    args = parser.parse_args()
    figures = load(args.requests, args.clients, args.db)
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"{figures['requests']} $submit from {figures['clients']} clients: "
              f"{figures['answered_200']} answered 200, "
              f"{figures['stored']} stored; p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms; "
              f"{figures['per_second']}/s over {figures['wall_s']} s")
    sys.exit(0 if figures["answered_200"] == figures["stored"] == figures["requests"] else 1)


if __name__ == "__main__":
    main()
