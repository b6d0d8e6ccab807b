"""necessity's benchmark: prints, from one run on this machine, the knowledge base load time (built
and cached), the per-request latency of the fast and reference engines (p50/p95, with all of
ICD-10-CM loaded), their ratio, peak memory, the cold wall time of ``necessity determine`` on the
seed request, how the fast engine's latency grows with the number of recommendations, and how a
review's time and memory grow with the lines of its claim (15, 150 and 999 lines).

    python benchmarks/run.py                  # 1,000 generated requests, reference on a sample of 12
    python benchmarks/run.py --generated 200 --reference-sample 4     # quicker

A request's latency is one claim reviewed in process: its facts built and checked against the
patient shapes, closed by the engine with the knowledge, decided, and its determinations read.
The engine's own share (inference only) is printed beside it. Timings are noisy on shared machines:
compare figures from the same run, not across runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def main() -> None:
    """Run every measurement and print the figures."""
    options = _arguments()
    os.environ["NECESSITY_CACHE_DIR"] = tempfile.mkdtemp(prefix="necessity-bench-cache-")
    print(f"necessity benchmark on {platform.node()}: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}")
    _load_times()
    _cold_determine()
    requests = _requests(options.generated)
    _latencies(requests, options.reference_sample)
    _growth(options.growth_sample)
    _lines(options.lines)
    print(f"\npeak memory of the whole run (reference reviews and growth included): {_peak_mib():.0f} MiB")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generated", type=int, default=1000, help="generated requests for the fast engine")
    parser.add_argument("--reference-sample", type=int, default=12, help="requests the reference engine reviews")
    parser.add_argument("--growth-sample", type=int, default=100, help="generated requests per growth step")
    parser.add_argument("--lines", default="15,150,999", help="claim sizes (lines) to review, comma-separated")
    return parser.parse_args()


def _load_times() -> None:
    script = "import time; t = time.perf_counter(); from reasoner.compiled import load_compiled; " \
             "c = load_compiled(); print(time.perf_counter() - t, len(c.hierarchy.parents))"
    built = _python(script)
    cached = [_python(script) for _ in range(3)]
    print("\nknowledge base load (a fresh process; includes importing necessity):")
    print(f"  built (no cache: parse, compile, reference closure, tables, ICD-10-CM): {float(built.split()[0]):.2f} s")
    print(f"  cached (median of 3):                                             "
          f"{statistics.median(float(c.split()[0]) for c in cached):.2f} s  ({cached[0].split()[1]} ICD-10-CM classes)")


def _cold_determine() -> None:
    command = [sys.executable, "-m", "reasoner", "determine", "examples/seed-aml-port.json", "--format", "json"]
    walls = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
    print(f"\nnecessity determine examples/seed-aml-port.json, a new process each time (cache built): "
          f"median {statistics.median(walls):.2f} s wall, runs {', '.join(f'{w:.2f}' for w in walls)} s")


def _requests(count: int) -> list[tuple[str, object]]:
    from reasoner.ingest import read_request

    folder = Path(tempfile.mkdtemp(prefix="necessity-bench-"))
    examples = sorted((ROOT / "examples").glob("*.json"))
    generated = _generated(count, folder)
    readable = []
    for path in [*examples, *generated]:
        try:
            readable.append((path.name, read_request(path)))
        except Exception:  # refused at ingest: not a latency
            continue
    shutil.rmtree(folder)
    print(f"\nrequests: {len(examples)} examples and {len(readable) - len(examples)} generated "
          f"({count - (len(readable) - len(examples))} generated ones refused at ingest)")
    return readable


def _generated(count: int, folder: Path) -> list[Path]:
    from bundles import write
    from generated import generated_requests

    return [write(folder, bundle, f"generated-{n}.json") for n, bundle in enumerate(generated_requests(count))]


def _latencies(requests: list, sample: int) -> None:
    from reasoner.compiled import load_compiled, load_knowledge
    from reasoner.engines import fast, reference
    from reasoner.facts import claim_facts
    from reasoner.pipeline import review_claim

    compiled = load_compiled()
    review_claim(requests[0][1], requests[0][1].claims[0])  # the first review loads the per-process tables
    whole = _timed(requests, lambda r: review_claim(r, r.claims[0]))
    fast_peak = _peak_mib()
    facts = [(name, claim_facts(r, r.claims[0], compiled.tables)) for name, r in requests]
    engine = _timed(facts, lambda f: fast.infer(compiled.fast_rules(), f))
    chosen = requests[:: max(1, len(requests) // sample)][:sample]
    slow_whole = _timed(chosen, lambda r: review_claim(r, r.claims[0], "reference"))
    knowledge = load_knowledge().graph
    slow_engine = _timed(facts[:: max(1, len(facts) // sample)][:sample], lambda f: reference.infer(knowledge, f))
    print(f"\nper-request latency, in process, all {len(compiled.hierarchy.parents):,} ICD-10-CM classes loaded:")
    print(f"  {'':34}{'p50':>10}{'p95':>10}{'n':>7}")
    for label, times in (("fast: whole review", whole), ("fast: inference only", engine),
                         ("reference: whole review", slow_whole), ("reference: inference only", slow_engine)):
        print(f"  {label:34}{_ms(_p(times, 50)):>10}{_ms(_p(times, 95)):>10}{len(times):>7}")
    print(f"  peak memory after loading and the fast reviews: {fast_peak:.0f} MiB (maximum resident set)")
    lines = sum(len(r.claims[0].lines) for _, r in requests)
    print(f"  fast, per claim line (all reviews' time / {lines} lines): {_ms(sum(whole) / lines)} mean")
    print(f"  ratio reference / fast, p50: whole review {_p(slow_whole, 50) / _p(whole, 50):,.0f}x, "
          f"inference only {_p(slow_engine, 50) / _p(engine, 50):,.0f}x")
    _stages(requests, compiled)


def _stages(requests: list, compiled: object) -> None:
    """Where a fast review's time goes: the p50 of each stage, over the same requests."""
    from reasoner.determine import apply_decision, read_determinations
    from reasoner.engines import fast
    from reasoner.facts import claim_facts
    from reasoner.ingest.shapes import check_patient_graph
    from reasoner.pipeline import _knowledge_quads
    from reasoner.store import decision_store, quads

    c: Any = compiled
    facts = [(name, claim_facts(r, r.claims[0], c.tables)) for name, r in requests]
    inferred = [(name, (f, fast.infer(c.fast_rules(), f))) for name, f in facts]
    knowledge = _knowledge_quads(c)
    decision: dict[str, list[float]] = {"decision store": [], "decision updates": [], "reading the determinations": []}
    for _, (given, entailed) in inferred:
        start = time.perf_counter()
        store = decision_store([*knowledge, *quads(given), *quads(entailed)])
        built = time.perf_counter()
        apply_decision(store)
        decided = time.perf_counter()
        read_determinations(store)
        for name, took in zip(decision, (built - start, decided - built, time.perf_counter() - decided), strict=True):
            decision[name].append(took)
    stages = {
        "facts": _timed(requests, lambda r: claim_facts(r, r.claims[0], c.tables)),
        "patient shapes (SHACL)": _timed(facts, lambda f: check_patient_graph(f, "-")),
        "inference": _timed(facts, lambda f: fast.infer(c.fast_rules(), f)),
        **decision,
    }
    print("  fast review by stage, p50: " + "; ".join(f"{name} {_ms(_p(t, 50))}" for name, t in stages.items()))


def _growth(sample: int) -> None:
    from reasoner.compiled import build_compiled
    from reasoner.determine import decide
    from reasoner.engines import fast
    from reasoner.facts import claim_facts
    from reasoner.ingest import read_request
    from reasoner.pipeline import closed_quads
    from reasoner.store import decision_store

    folder = Path(tempfile.mkdtemp(prefix="necessity-bench-growth-"))
    requests = [read_request(p) for p in _generated(sample, folder)[:sample]]
    print("\nfast engine latency as the recommendations grow (synthetic copies of every recommendation):")
    print(f"  {'':6}{'recommendations':>16}{'build':>8}{'review p50':>12}{'p95':>10}{'inference p50':>15}{'p95':>9}")
    for factor in (1, 4, 16):
        root = _synthetic_root(folder / f"x{factor}", factor)
        start = time.perf_counter()
        compiled = build_compiled(root)
        built = time.perf_counter() - start
        count = _recommendations(compiled)
        decide(decision_store(closed_quads(requests[0], requests[0].claims[0], "fast", compiled)))  # warm up
        times = _timed([(str(n), r) for n, r in enumerate(requests)],
                       lambda r, c=compiled: decide(decision_store(closed_quads(r, r.claims[0], "fast", c))))
        facts = [(str(n), claim_facts(r, r.claims[0], compiled.tables)) for n, r in enumerate(requests)]
        engine = _timed(facts, lambda f, c=compiled: fast.infer(c.fast_rules(), f))
        print(f"  x{factor:<5}{count:>16}{built:>7.1f}s{_ms(_p(times, 50)):>12}{_ms(_p(times, 95)):>10}"
              f"{_ms(_p(engine, 50)):>15}{_ms(_p(engine, 95)):>9}")
    shutil.rmtree(folder)


def _synthetic_root(target: Path, factor: int) -> Path:
    """A copy of the data folders with ``factor - 1`` renamed copies of every recommendation added."""
    from rdflib import Graph, URIRef

    from reasoner import resources
    from reasoner.compiled import load_knowledge
    from reasoner.vocab import NEC

    for name in ("ontology", "kg", "queries"):
        shutil.copytree(resources.data_root() / name, target / name)
    graph, copies = load_knowledge().graph, Graph()
    recommendations = set(graph.subjects(predicate=None, object=NEC.Recommendation))
    for rec in recommendations:
        for copy in range(1, factor):
            twin = URIRef(f"{rec}-synthetic-{copy}")
            for _, p, o in graph.triples((rec, None, None)):
                copies.add((twin, p, o))
    copies.serialize(target / "kg" / "synthetic.ttl", format="turtle")
    return target


def _recommendations(compiled: object) -> int:
    from rdflib import RDF

    from reasoner.vocab import NEC

    return sum(1 for _, p, o in compiled.asserted if p == RDF.type and o == NEC.Recommendation)  # type: ignore


# Codes whose rules look at the other lines of the claim (add-ons, devices, NCCI pairs), cycled to fill a claim.
LINE_CODES = ["36561", "77001", "76937", "85025", "85007", "85027", "85610", "J0690", "P9035", "99152", "99153",
              "C1788", "C1894", "86900"]
_ONE_CLAIM = """
import resource, sys, time
from reasoner.ingest import read_request
from reasoner.pipeline import review_claim
request = read_request(sys.argv[1])
review_claim(request, request.claims[0])
times = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter(); review_claim(request, request.claims[0]); times.append(time.perf_counter() - start)
print(sorted(times)[len(times) // 2], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def _lines(sizes: str) -> None:
    """A whole review of one claim of each size (median of 3 runs in a fresh process) and that process's
    peak memory: the time per line should stay flat as the claim grows."""
    from bundles import bundle, write

    folder = Path(tempfile.mkdtemp(prefix="necessity-bench-lines-"))
    print("\nreview of one claim by its lines (fast engine, median of 3, a fresh process per size):")
    for count in (int(size) for size in sizes.split(",")):
        lines = [LINE_CODES[i % len(LINE_CODES)] for i in range(count)]
        path = write(folder, bundle(lines, conditions=("C92.00",), labs={"plt": 45, "wbc": 0.8}), f"{count}.json")
        run = subprocess.run([sys.executable, "-c", _ONE_CLAIM, str(path), "3"], cwd=ROOT, check=True,
                             capture_output=True, text=True)
        seconds, peak = (float(value) for value in run.stdout.split())
        print(f"  {count:>5} lines: {_ms(seconds):>10} ({_ms(seconds / count)} per line), peak memory {peak:.0f} MiB")
    shutil.rmtree(folder, ignore_errors=True)


def _timed(items: list, work: Callable) -> list[float]:
    times = []
    for _, item in items:
        start = time.perf_counter()
        work(item)
        times.append(time.perf_counter() - start)
    return times


def _p(times: list[float], percentile: int) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(percentile / 100 * (len(ordered) - 1)))]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def _python(script: str) -> str:
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True, text=True)
    return run.stdout.strip()


if __name__ == "__main__":
    main()
