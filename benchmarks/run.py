"""necessity's benchmark: prints, from one run on this machine, the knowledge load time (built and
cached), the cold wall time of ``necessity determine`` on the seed request, the per-request latency of
the fast and reference engines (p50/p95, with all of ICD-10-CM loaded), their ratio, where a fast
review's time goes, peak memory, how the review's latency grows with the number of recommendations
(x1, x4, x16, x64), and how a review's time and memory grow with the lines of its claim.

    python benchmarks/run.py                  # 1,000 generated requests, reference on a sample of 12
    python benchmarks/run.py --quick          # 200 generated requests, smaller samples
    python benchmarks/run.py --quick --json   # the figures as one JSON object on standard output

A request's latency is one claim reviewed in process: its facts built and checked against the
patient shapes, closed by the engine with the knowledge, decided, and its determinations read.
The engine's own share (inference only, focused on the claim's codes as a review's is) is printed
beside it. Timings are noisy on shared machines: compare figures from the same run, not across runs.
The knowledge of each growth step is built once and kept in ``~/.cache/necessity-benchmarks`` (by
content version), so only a first run pays for it.
"""

from __future__ import annotations

import argparse
import json
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
GROWTH = (1, 4, 16, 64)
OUT = sys.stdout


def main() -> None:
    """Run every measurement, print the figures, and with --json write them as one JSON object."""
    global OUT
    options = _arguments()
    OUT = sys.stderr if options.json else sys.stdout
    os.environ["NECESSITY_CACHE_DIR"] = tempfile.mkdtemp(prefix="necessity-bench-cache-")
    _say(f"necessity benchmark on {platform.node()}: {platform.processor() or platform.machine()}, "
         f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}")
    figures: dict[str, Any] = {}
    _load_times()
    figures["cold_determine_s"] = _cold_determine()
    requests = _requests(options.generated)
    figures.update(_latencies(requests, options.reference_sample))
    figures["peak_rss_mib"] = round(_peak_mib(), 1)
    figures["growth"] = _growth(options.growth_sample)
    if options.lines:
        _lines(options.lines)
    _say(f"\npeak memory of the whole run (reference reviews and growth included): {_peak_mib():.0f} MiB")
    if options.json:
        ordered = ("review_p50_ms", "review_p95_ms", "inference_p50_ms", "cold_determine_s",
                   "reference_over_fast_p50", "growth", "peak_rss_mib")
        print(json.dumps({key: figures[key] for key in ordered}))


def _say(text: str) -> None:
    print(text, file=OUT, flush=True)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generated", type=int, default=1000, help="generated requests for the fast engine")
    parser.add_argument("--reference-sample", type=int, default=12, help="requests the reference engine reviews")
    parser.add_argument("--growth-sample", type=int, default=100, help="generated requests per growth step")
    parser.add_argument("--lines", default="15,150,999", help="claim sizes (lines) to review, comma-separated; "
                        "empty: none")
    parser.add_argument("--quick", action="store_true", help="200 generated requests, a reference sample of 3, "
                        "30 requests per growth step, no claim-size runs")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object on standard "
                        "output (the tables go to standard error)")
    options = parser.parse_args()
    if options.quick:
        options.generated, options.reference_sample, options.growth_sample, options.lines = 200, 3, 30, ""
    return options


def _load_times() -> None:
    script = "import time; t = time.perf_counter(); from reasoner.knowledge import Knowledge; " \
             "k = Knowledge.load(); print(time.perf_counter() - t, len(k.hierarchy))"
    built = _python(script)
    cached = [_python(script) for _ in range(3)]
    _say("\nknowledge load (a fresh process; includes importing necessity):")
    _say(f"  built (no cache: parse, compile, reference closure, tables, ICD-10-CM): {float(built.split()[0]):.2f} s")
    _say(f"  cached (median of 3):                                             "
         f"{statistics.median(float(c.split()[0]) for c in cached):.2f} s  ({cached[0].split()[1]} ICD-10-CM classes)")


def _cold_determine() -> float:
    command = [sys.executable, "-m", "reasoner", "determine", "examples/seed-aml-port.json", "--format", "json"]
    walls = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
    _say(f"\nnecessity determine examples/seed-aml-port.json, a new process each time (cache built): "
         f"median {statistics.median(walls):.2f} s wall, runs {', '.join(f'{w:.2f}' for w in walls)} s")
    return round(statistics.median(walls), 3)


def _installed() -> Any:
    from reasoner.cli.options import knowledge

    return knowledge()


def _requests(count: int, knowledge: Any = None) -> list[tuple[str, Any]]:
    """The examples and ``count`` generated requests, read with ``knowledge`` (the installed one by default)."""
    from reasoner.errors import InputError
    from reasoner.ingest import read_request

    knowledge = knowledge or _installed()
    folder = Path(tempfile.mkdtemp(prefix="necessity-bench-"))
    examples = sorted((ROOT / "examples").glob("*.json"))
    readable = []
    for path in [*examples, *_generated(count, folder)]:
        try:
            readable.append((path.name, read_request(path, knowledge)))
        except InputError:  # refused at ingest: not a latency
            continue
    shutil.rmtree(folder)
    return readable


def _generated(count: int, folder: Path) -> list[Path]:
    from bundles import write
    from generated import generated_requests

    return [write(folder, bundle, f"generated-{n}.json") for n, bundle in enumerate(generated_requests(count))]


def _latencies(requests: list, sample: int) -> dict[str, float]:
    from reasoner.facts import claim_facts
    from reasoner.pipeline import review_claim

    knowledge = _installed()
    fast, reference = knowledge.engine("fast"), knowledge.engine("reference")
    _say(f"\nrequests: {len(requests)} (the examples and the generated ones ingest did not refuse)")
    review_claim(requests[0][1], requests[0][1].claims[0], knowledge, fast)  # warm up: the store's quads
    whole = _timed(requests, lambda r: review_claim(r, r.claims[0], knowledge, fast))
    fast_peak = _peak_mib()
    facts = [(name, claim_facts(r, r.claims[0], knowledge.tables)) for name, r in requests]
    engine = _timed(facts, lambda f: fast.entail(f, focused=True))
    chosen = requests[:: max(1, len(requests) // sample)][:sample]
    slow_whole = _timed(chosen, lambda r: review_claim(r, r.claims[0], knowledge, reference))
    slow_engine = _timed(facts[:: max(1, len(facts) // sample)][:sample], lambda f: reference.entail(f, focused=True))
    _say(f"\nper-request latency, in process, all {len(knowledge.hierarchy):,} ICD-10-CM classes loaded:")
    _say(f"  {'':34}{'p50':>10}{'p95':>10}{'n':>7}")
    for label, times in (("fast: whole review", whole), ("fast: inference only", engine),
                         ("reference: whole review", slow_whole), ("reference: inference only", slow_engine)):
        _say(f"  {label:34}{_ms(_p(times, 50)):>10}{_ms(_p(times, 95)):>10}{len(times):>7}")
    _say(f"  peak memory after loading and the fast reviews: {fast_peak:.0f} MiB (maximum resident set)")
    lines = sum(len(r.claims[0].lines) for _, r in requests)
    _say(f"  fast, per claim line (all reviews' time / {lines} lines): {_ms(sum(whole) / lines)} mean")
    ratio = _p(slow_whole, 50) / _p(whole, 50)
    _say(f"  ratio reference / fast, p50: whole review {ratio:,.0f}x, "
         f"inference only {_p(slow_engine, 50) / _p(engine, 50):,.0f}x")
    _stages(requests, knowledge)
    return {"review_p50_ms": _round_ms(_p(whole, 50)), "review_p95_ms": _round_ms(_p(whole, 95)),
            "inference_p50_ms": _round_ms(_p(engine, 50)), "reference_over_fast_p50": round(ratio, 1)}


def _stages(requests: list, knowledge: Any) -> None:
    """Where a fast review's time goes: the p50 of each stage, over the same requests."""
    from reasoner.determine import read_determinations
    from reasoner.facts import claim_facts
    from reasoner.ingest.shapes import check_patient_graph

    fast = knowledge.engine("fast")
    facts = [(name, claim_facts(r, r.claims[0], knowledge.tables)) for name, r in requests]
    inferred = [(name, [*f, *fast.entail(f, focused=True)]) for name, f in facts]
    decision: dict[str, list[float]] = {"claim store": [], "decision updates": [], "reading the determinations": []}
    for _, triples in inferred:
        start = time.perf_counter()
        with knowledge.store.claim(triples) as graph:
            built = time.perf_counter()
            graph.apply_updates()
            decided = time.perf_counter()
            read_determinations(graph, knowledge.queries)
        for name, took in zip(decision, (built - start, decided - built, time.perf_counter() - decided), strict=True):
            decision[name].append(took)
    stages = {
        "facts": _timed(requests, lambda r: claim_facts(r, r.claims[0], knowledge.tables)),
        "patient shapes (SHACL)": _timed(facts, lambda f: check_patient_graph(f, "-", knowledge.shapes)),
        "inference": _timed(facts, lambda f: fast.entail(f, focused=True)),
        **decision,
    }
    _say("  fast review by stage, p50: " + "; ".join(f"{name} {_ms(_p(t, 50))}" for name, t in stages.items()))


def _growth(sample: int) -> list[dict[str, Any]]:
    """The fast review's latency with the knowledge's recommendations copied x1, x4, x16 and x64."""
    from reasoner.knowledge import Knowledge
    from reasoner.pipeline import review_claim

    kept = Path.home() / ".cache" / "necessity-benchmarks"
    folder = Path(tempfile.mkdtemp(prefix="necessity-bench-growth-"))
    _say("\nfast review latency as the recommendations grow (copies of every recommendation on codes of their own):")
    _say(f"  {'':6}{'recommendations':>16}{'load':>9}{'review p50':>12}{'p95':>10}{'inference p50':>15}{'p95':>9}")
    rows = []
    for factor in GROWTH:
        root = _synthetic_root(folder / f"x{factor}", factor)
        os.environ["NECESSITY_CACHE_DIR"] = str(kept)
        start = time.perf_counter()
        knowledge = Knowledge.load(root)
        loaded = time.perf_counter() - start
        engine = knowledge.engine("fast")
        requests = _requests(sample, knowledge)
        review_claim(requests[0][1], requests[0][1].claims[0], knowledge, engine)  # warm up
        times = _timed(requests, lambda r, k=knowledge, e=engine: review_claim(r, r.claims[0], k, e))
        from reasoner.facts import claim_facts
        facts = [(n, claim_facts(r, r.claims[0], knowledge.tables)) for n, r in requests]
        inference = _timed(facts, lambda f, e=engine: e.entail(f, focused=True))
        count = _recommendations(knowledge)
        _say(f"  x{factor:<5}{count:>16}{loaded:>8.1f}s{_ms(_p(times, 50)):>12}{_ms(_p(times, 95)):>10}"
             f"{_ms(_p(inference, 50)):>15}{_ms(_p(inference, 95)):>9}")
        rows.append({"recommendations": count, "review_p50_ms": _round_ms(_p(times, 50)),
                     "review_p95_ms": _round_ms(_p(times, 95))})
    shutil.rmtree(folder)
    return rows


def _synthetic_root(target: Path, factor: int) -> Path:
    """A copy of the data folders with ``factor - 1`` renamed copies of every recommendation added, each with
    its criteria and on codes of its own (``cpt:36561-synthetic-2``): a larger policy library, of which a
    claim's lines still name the same few codes."""
    from rdflib import RDF, Graph, URIRef

    from reasoner import resources
    from reasoner.vocab import NEC

    for name in ("ontology", "kg", "queries"):
        shutil.copytree(resources.data_root() / name, target / name)
    parsed = Graph()
    for path in resources.knowledge_files():
        parsed.parse(path, format="turtle")
    lines: list[str] = []
    for rec in sorted(set(parsed.subjects(RDF.type, NEC.Recommendation))):
        for copy in range(1, factor):
            twin = URIRef(f"{rec}-synthetic-{copy}").n3()
            for _, p, o in parsed.triples((rec, None, None)):
                value = URIRef(f"{o}-synthetic-{copy}") if p in (NEC.supportsCode, NEC.opposesCode) else o
                lines.append(f"{twin} {p.n3()} {_copied(parsed, value, twin, lines)} .\n")
    (target / "kg" / "synthetic.ttl").write_text("".join(sorted(set(lines))), encoding="utf-8")
    return target


def _copied(graph: Any, term: Any, twin: str, lines: list[str]) -> str:
    """``term`` as N-Triples; a blank node (a class expression, a list) copied with everything below it, under a
    label made from the twin and the content, so that each twin has class expressions of its own and the file
    is the same every run."""
    from rdflib import BNode

    if not isinstance(term, BNode):
        return term.n3()
    below = sorted((p.n3(), _copied(graph, o, twin, lines)) for _, p, o in graph.triples((term, None, None)))
    label = f"_:s{_digest(twin + repr(below))}"
    lines += [f"{label} {p} {o} .\n" for p, o in below]
    return label


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _recommendations(knowledge: Any) -> int:
    from rdflib import RDF

    from reasoner.vocab import NEC

    return sum(1 for _, p, o in knowledge.asserted if p == RDF.type and o == NEC.Recommendation)


# Codes whose rules look at the other lines of the claim (add-ons, devices, NCCI pairs), cycled to fill a claim.
LINE_CODES = ["36561", "77001", "76937", "85025", "85007", "85027", "85610", "J0690", "P9035", "99152", "99153",
              "C1788", "C1894", "86900"]
_ONE_CLAIM = """
import resource, sys, time
from reasoner.ingest import read_request
from reasoner.knowledge import Knowledge
from reasoner.pipeline import review_claim
knowledge = Knowledge.load()
engine = knowledge.engine("fast")
request = read_request(sys.argv[1], knowledge)
review_claim(request, request.claims[0], knowledge, engine)
times = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    review_claim(request, request.claims[0], knowledge, engine)
    times.append(time.perf_counter() - start)
print(sorted(times)[len(times) // 2], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def _lines(sizes: str) -> None:
    """A whole review of one claim of each size (median of 3 runs in a fresh process) and that process's
    peak memory: the time per line should stay flat as the claim grows."""
    from bundles import bundle, write

    folder = Path(tempfile.mkdtemp(prefix="necessity-bench-lines-"))
    _say("\nreview of one claim by its lines (fast engine, median of 3, a fresh process per size):")
    for count in (int(size) for size in sizes.split(",")):
        lines = [LINE_CODES[i % len(LINE_CODES)] for i in range(count)]
        path = write(folder, bundle(lines, conditions=("C92.00",), labs={"plt": 45, "wbc": 0.8}), f"{count}.json")
        run = subprocess.run([sys.executable, "-c", _ONE_CLAIM, str(path), "3"], cwd=ROOT, check=True,
                             capture_output=True, text=True)
        seconds, peak = (float(value) for value in run.stdout.split())
        _say(f"  {count:>5} lines: {_ms(seconds):>10} ({_ms(seconds / count)} per line), peak memory {peak:.0f} MiB")
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


def _round_ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _python(script: str) -> str:
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True, text=True)
    return run.stdout.strip()


if __name__ == "__main__":
    main()
