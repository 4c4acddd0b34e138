"""SQL engines that run the analyses: DuckDB embedded (default), Apache Spark (local, cluster or Connect).

Both receive the same inputs: the Parquet files the manifest lists (never a glob) as ``records``, and the small
tables of ``tables.py`` with the same declared types. The query text is passed unchanged.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from compliance.loading import fail
from compliance.logs.tables import SCHEMAS


class DuckDBEngine:
    name = "duckdb"

    def __init__(self, threads: int | None = None, memory_limit: str | None = "1GB", temp_dir: str | None = None):
        import duckdb

        self.version = duckdb.__version__
        self.threads, self.memory_limit = threads, memory_limit
        config = {"preserve_insertion_order": False}
        if threads:
            config["threads"] = int(threads)
        if memory_limit:
            config["memory_limit"] = memory_limit
        config["temp_directory"] = temp_dir or os.path.join(tempfile.gettempdir(), "pipa-audit-duckdb")
        try:
            self.con = duckdb.connect(":memory:", config=config)
        except duckdb.Error as exc:
            raise fail("--memory-limit", f"DuckDB refused the settings: {exc}") from None

    def load(self, files: list[Path], tables: dict[str, list[tuple]]) -> None:
        import pyarrow as pa

        if files:
            self.con.read_parquet([str(f) for f in files]).create_view("records")
        else:  # an ingest that kept no row: an empty table with the same columns
            from compliance.logs.ingest import SCHEMA

            self.con.register("records", SCHEMA.empty_table())
        types = {"BIGINT": pa.int64(), "STRING": pa.string(), "BOOLEAN": pa.bool_()}
        for name, schema in SCHEMAS.items():
            cols = list(zip(*tables.get(name, []))) or [[] for _ in schema]
            arrow = pa.table({c: pa.array(list(v), types[t]) for (c, t), v in zip(schema, cols)})
            self.con.register(name, arrow)

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        cur = self.con.execute(sql)
        return [c[0] for c in cur.description], cur.fetchall()

    def close(self) -> None:
        self.con.close()


def _redact(url: str | None) -> str | None:
    """Drop credentials (user:password@, token=…) from a URL before it goes into derived facts."""
    if not url:
        return url
    url = re.sub(r"//[^/@]*@", "//", url)
    return re.sub(r"(token|password|secret)=[^;&]*", r"\1=***", url, flags=re.IGNORECASE)


class SparkEngine:
    """``url``: None or ``local[N]`` (local mode), ``spark://…``/``yarn`` (cluster), ``sc://…`` (Spark Connect).

    On a cluster or Connect server the Parquet paths must be readable there (shared storage at the same path)."""

    name = "spark"

    def __init__(self, url: str | None = None, threads: int | None = None, memory_limit: str | None = None):
        try:
            import pyspark
            from pyspark.sql import SparkSession
        except ImportError:
            raise fail("--engine spark", "needs the optional extra: pip install 'pipa-audit[spark]'") from None
        self.version = pyspark.__version__
        self.threads, self.memory_limit = threads, None
        self.url = url or f"local[{threads or '*'}]"
        builder = SparkSession.builder
        if self.url.startswith("sc://"):
            builder = builder.remote(self.url)
        else:
            builder = (builder.master(self.url).config("spark.ui.enabled", "false")
                       .config("spark.sql.shuffle.partitions", str(max(2, threads or os.cpu_count() or 2)))
                       .config("spark.ui.showConsoleProgress", "false").config("spark.driver.bindAddress", "127.0.0.1")
                       .config("spark.driver.host", "127.0.0.1"))  # else blocks are fetched via the host's address
            if memory_limit and self.url.startswith("local"):
                builder = builder.config("spark.driver.memory", memory_limit.lower().replace("gb", "g").replace("mb", "m"))
        builder = builder.config("spark.sql.session.timeZone", "UTC").appName("pipa-audit")
        self.spark = builder.getOrCreate()
        self.remote = self.url.startswith("sc://")
        if not self.remote:
            self.spark.sparkContext.setLogLevel("ERROR")

    @property
    def redacted_url(self) -> str | None:
        return _redact(self.url)

    def load(self, files: list[Path], tables: dict[str, list[tuple]]) -> None:
        if files:
            self.spark.read.parquet(*[Path(f).resolve().as_uri() for f in files]).createOrReplaceTempView("records")
        else:
            from compliance.logs.ingest import SCHEMA

            ddl = ", ".join(f"`{f.name}` {_spark_type(f.type)}" for f in SCHEMA)
            self.spark.createDataFrame([], ddl).createOrReplaceTempView("records")
        for name, schema in SCHEMAS.items():
            ddl = ", ".join(f"`{c}` {t}" for c, t in schema)
            self.spark.createDataFrame(tables.get(name, []), ddl).createOrReplaceTempView(name)

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        df = self.spark.sql(sql)
        return list(df.columns), [tuple(r) for r in df.collect()]

    def close(self) -> None:
        """Stop the session: a JVM left running when Python exits reports errors about its accumulators."""
        self.spark.stop()


def _spark_type(t) -> str:
    import pyarrow as pa

    if pa.types.is_timestamp(t):
        return "TIMESTAMP"
    if pa.types.is_date(t):
        return "DATE"
    if pa.types.is_int32(t):
        return "INT"
    if pa.types.is_integer(t):
        return "BIGINT"
    return "STRING"


def make(name: str, threads: int | None = None, memory_limit: str | None = None, url: str | None = None):
    if name == "spark":
        return SparkEngine(url, threads, memory_limit)
    return DuckDBEngine(threads, memory_limit)
