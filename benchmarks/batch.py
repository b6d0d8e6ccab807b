"""Batch throughput: generated requests reviewed by ``necessity batch`` in one process, in two worker
processes, and on Spark local[2], measured side by side in one run (wall time of the whole command,
start-up included), with a check that the three outputs are byte-identical.

    python benchmarks/batch.py                    # 10,000 generated requests (about 15 minutes)
    python benchmarks/batch.py --count 500        # quicker

Spark needs the extra: pip install -e '.[spark]' (and Java 17+); without it, its row says so.
This machine has 2 cores, about one of them effective: read the figures as a baseline, not as scaling.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

MODES = {"one process": [], "2 worker processes": ["--workers", "2"], "Spark local[2]": ["--spark", "local[2]"]}


def main() -> None:
    """Generate the requests, run each mode, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000, help="generated requests")
    options = parser.parse_args()
    from generated import write_ndjson

    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{_cores()} cores")
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        source = write_ndjson(Path(folder) / "requests.ndjson", options.count)
        print(f"{options.count:,} generated requests written as NDJSON in {time.perf_counter() - started:.1f} s "
              f"({source.stat().st_size / 2**20:.1f} MiB)\n")
        print(f"{'mode':<22}{'wall':>10}{'requests/s':>13}{'lines/s':>11}  output")
        outputs = {}
        for mode, args in MODES.items():
            if args[:1] == ["--spark"] and importlib.util.find_spec("pyspark") is None:
                print(f"{mode:<22}  not run: PySpark is not installed (pip install -e '.[spark]')")
                continue
            out = Path(folder) / f"{len(outputs)}.ndjson"
            seconds = _run(source, out, args)
            outputs[mode] = out.read_bytes()
            lines = outputs[mode].count(b'"record": "line"')
            same = "the same as one process" if outputs[mode] == outputs["one process"] else "DIFFERENT"
            print(f"{mode:<22}{seconds:>9.1f}s{options.count / seconds:>13.1f}{lines / seconds:>11.1f}  {same}")
        print(f"\n{lines:,} claim lines; each run includes its start-up (Python, the knowledge base, the JVM for "
              "Spark).")


def _run(source: Path, out: Path, args: list[str]) -> float:
    command = [sys.executable, "-m", "reasoner", "batch", str(source), "-o", str(out), "--no-progress", *args]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return seconds


def _cores() -> int:
    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()
