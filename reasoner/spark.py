"""necessity on Apache Spark (the optional extra ``necessity[spark]``): requests are independent, so a
batch is a map over partitions, each executor process loading the knowledge once (from the cache of
the machine it runs on; see docs/scale.md) and checking that it is the driver's.

``determinations(bundles)`` takes a DataFrame or an RDD of FHIR Bundle JSON strings and returns a
DataFrame of claim-line determinations, one row per claim line or error, with the columns of the
batch's records (``reasoner.batch.records.FIELDS``). ``necessity batch --spark MASTER`` uses the same
partition work and writes the batch's output formats.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from reasoner.batch.inputs import Item
from reasoner.batch.records import FIELDS, LISTS, line_records, review_item
from reasoner.batch.work import Reviewed, review_to_text
from reasoner.engines import Engine
from reasoner.errors import NecessityError
from reasoner.knowledge import Knowledge

BUNDLE, REQUEST = "bundle", "request"


def determinations(bundles: Any, knowledge: Knowledge, engine: str = "fast") -> Any:
    """The claim-line determinations of ``bundles``: a DataFrame with a string column ``bundle`` (and
    optionally ``request``, the request's id; else ``row N``, its place from 1), a DataFrame of one string
    column, or an RDD of Bundle JSON strings or of (request, Bundle JSON) pairs. One row per claim line
    or error, columns ``FIELDS``; the executors review with the knowledge of ``knowledge``'s folder, loaded
    once per executor process, and refuse another version."""
    from pyspark.sql import SparkSession

    pairs = _pairs(bundles)
    rows = pairs.mapPartitions(_line_rows(engine, str(knowledge.root), knowledge.version))
    session = SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
    return session.createDataFrame(rows, schema=schema())


def schema() -> Any:
    """The Spark schema of a determination row: the batch record's fields, lists as arrays of strings."""
    from pyspark.sql.types import ArrayType, IntegerType, StringType, StructField, StructType

    def kind(name: str) -> Any:
        return ArrayType(StringType()) if name in LISTS else IntegerType() if name == "sequence" else StringType()

    return StructType([StructField(name, kind(name)) for name in FIELDS])


def require_pyspark() -> None:
    """Raise a NecessityError saying how to install PySpark when it is not installed."""
    import importlib.util

    if importlib.util.find_spec("pyspark") is None:
        raise NecessityError("--spark needs PySpark: pip install 'necessity[spark]' (and Java 17 or newer)")


def session(master: str) -> Any:
    """A Spark session on ``master``, its web UI off and its log quiet but for errors; with a local
    master, every service of Spark's binds to 127.0.0.1. Spark's Python workers run this interpreter
    unless PYSPARK_PYTHON says otherwise."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    require_pyspark()
    from pyspark.sql import SparkSession

    logging = f"-Dlog4j2.configurationFile={Path(__file__).with_name('spark-log4j2.properties').as_uri()}"
    builder = SparkSession.builder.master(master).appName("necessity batch").config("spark.ui.enabled", "false") \
        .config("spark.ui.showConsoleProgress", "false").config("spark.driver.extraJavaOptions", logging)
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def reviewed_on_spark(todo: Iterable[Item], master: str, output_format: str, knowledge: Knowledge,
                      engine: str) -> Iterator[Reviewed]:
    """The batch's items reviewed on Spark, in input order, as they come back to this process."""
    spark = session(master)
    try:
        items = list(todo)
        slices = max(1, min(len(items), spark.sparkContext.defaultParallelism * 4))
        rdd = spark.sparkContext.parallelize(items, slices)
        yield from rdd.mapPartitions(_text_partition(output_format, engine, str(knowledge.root),
                                                     knowledge.version)).toLocalIterator(
            prefetchPartitions=True)
    finally:
        spark.stop()


def _pairs(bundles: Any) -> Any:
    """(request, Bundle JSON) pairs of a DataFrame or an RDD, a request without an id named by its place."""
    from pyspark.sql import DataFrame

    if isinstance(bundles, DataFrame):
        columns = bundles.columns
        if BUNDLE in columns:
            chosen = [REQUEST, BUNDLE] if REQUEST in columns else [BUNDLE]
            bundles = bundles.select(*chosen).rdd.map(lambda row: tuple(row) if len(row) == 2 else row[0])
        elif len(columns) == 1:
            bundles = bundles.rdd.map(lambda row: row[0])
        else:
            raise NecessityError(f"a DataFrame of Bundles needs a column {BUNDLE!r} (it has {', '.join(columns)})")
    return bundles.zipWithIndex().map(_named)


def _named(pair: tuple[Any, int]) -> tuple[str, str]:
    value, index = pair
    return (str(value[0]), value[1]) if isinstance(value, tuple) else (f"row {index + 1}", value)


def _line_rows(engine: str, root: str, version: str
              ) -> Callable[[Iterable[tuple[str, str]]], Iterator[tuple[Any, ...]]]:
    def partition(pairs: Iterable[tuple[str, str]]) -> Iterator[tuple[Any, ...]]:
        knowledge, chosen = _executor_knowledge(root, version, engine)
        for request, text in pairs:
            item = Item(request, "json", (text or "").encode())
            for record in line_records(review_item(item, knowledge, chosen)):
                yield tuple(record[name] for name in FIELDS)
    return partition


def _text_partition(output_format: str, engine: str, root: str, version: str
                    ) -> Callable[[Iterable[Item]], Iterator[Reviewed]]:
    def partition(items: Iterable[Item]) -> Iterator[Reviewed]:
        knowledge, chosen = _executor_knowledge(root, version, engine)
        for item in items:
            yield review_to_text(item, output_format, knowledge, chosen)
    return partition


def _executor_knowledge(root: str, version: str, engine: str) -> tuple[Knowledge, Engine]:
    """The knowledge and engine of this executor process, the edge of a Spark worker: loaded on its first
    partition (the driver's folder if it exists here, else the installed knowledge), then kept; refused
    when it is not the driver's version."""
    if _EXECUTOR.get("version") != version:
        folder = Path(root)
        knowledge = Knowledge.load(folder if folder.is_dir() else None)
        if knowledge.version != version:
            raise NecessityError(f"this Spark worker has knowledge base {knowledge.version}, the driver {version}: "
                                 "install the same necessity on every machine of the cluster")
        _EXECUTOR.update(version=version, knowledge=knowledge, engines={})
    engines = _EXECUTOR["engines"]
    if engine not in engines:
        engines[engine] = _EXECUTOR["knowledge"].engine(engine)
    return _EXECUTOR["knowledge"], engines[engine]


# What an executor process has loaded, set by _executor_knowledge (never on the driver's own reviews).
_EXECUTOR: dict[str, Any] = {}
