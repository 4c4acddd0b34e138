"""SQL engines that run the analyses: DuckDB embedded (default), Apache Spark (local, cluster or Connect).

Both receive the same inputs: the Parquet files the manifest lists (never a glob) as ``records``, and the small
tables of ``tables.py`` with the same declared types. The query text is passed unchanged.
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from pathlib import Path

from compliance.i18n import _
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
            raise fail("--memory-limit", _("DuckDB refused the settings: {error}").format(error=exc)) from None

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

    On a cluster or Connect server the Parquet paths must be readable there (shared storage at the same path):
    the paths are sent as ``file://`` URIs and read by the server, never uploaded. The small tables travel in
    the query plan. The Spark version recorded is the one that ran the queries (the server's, over Connect)."""

    name = "spark"

    def __init__(self, url: str | None = None, threads: int | None = None, memory_limit: str | None = None):
        try:
            import pyspark
            from pyspark.sql import SparkSession
        except ImportError:
            raise fail("--engine spark", _("needs the optional extra: pip install 'pipa-audit[spark]'")) from None
        self.version = pyspark.__version__
        self.threads, self.memory_limit = threads, None
        self.url = url or f"local[{threads or '*'}]"
        self.remote = self.url.startswith("sc://")
        if self.remote:
            if threads:
                raise fail("--threads",
                           _("sets Spark local cores; a Spark Connect server's cores are set on the server"))
            self.spark = _connect(self.url)
            self.version = self.spark.version
            return
        builder = (SparkSession.builder.master(self.url).config("spark.ui.enabled", "false")
                   .config("spark.sql.shuffle.partitions", str(max(2, threads or os.cpu_count() or 2)))
                   .config("spark.ui.showConsoleProgress", "false"))
        if self.url.startswith("local"):  # else blocks are fetched via the host's address
            builder = builder.config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
            if memory_limit:
                memory = memory_limit.lower().replace("gb", "g").replace("mb", "m")
                builder = builder.config("spark.driver.memory", memory)
        # on a cluster the executors connect back to this driver: its address is Spark's choice (SPARK_LOCAL_IP)
        builder = builder.config("spark.sql.session.timeZone", "UTC").appName("pipa-audit")
        self.spark = builder.getOrCreate()
        self.spark.sparkContext.setLogLevel("ERROR")

    @property
    def redacted_url(self) -> str | None:
        return _redact(self.url)

    def load(self, files: list[Path], tables: dict[str, list[tuple]]) -> None:
        if files:
            uris = [Path(f).resolve().as_uri() for f in files]
            try:
                self.spark.read.parquet(*uris).createOrReplaceTempView("records")
            except Exception as exc:  # over Connect or on a cluster: the server reads the files, not this process
                if self.remote:
                    text = _("the Spark Connect server at {url} could not read the records ({error}); they must be "
                             "readable there at the same path")
                else:
                    text = _("Spark at {url} could not read the records ({error}); they must be readable there at the "
                             "same path")
                raise fail(files[0], text.format(url=self.redacted_url, error=_first_line(exc))) from None
        else:
            from compliance.logs.ingest import SCHEMA

            self._view("records", [(f.name, _spark_type(f.type)) for f in SCHEMA], [])
        for name, schema in SCHEMAS.items():
            self._view(name, schema, tables.get(name, []))

    def _view(self, name: str, schema: list[tuple[str, str]], rows: list[tuple]) -> None:
        """A temporary view of ``rows`` with the declared types, sent as Arrow (pyspark >= 4.0, local, cluster or
        Connect): the JVM reads it directly. Python rows would be unpickled by Python workers, so a cluster's
        executors would need the driver's Python version just for these small tables."""
        import pyarrow as pa

        types = {"BIGINT": pa.int64(), "INT": pa.int32(), "STRING": pa.string(), "BOOLEAN": pa.bool_(),
                 "DATE": pa.date32(), "TIMESTAMP": pa.timestamp("us", tz="UTC")}
        cols = list(zip(*rows)) or [[] for _ in schema]
        data = pa.table({c: pa.array(list(v), types[t]) for (c, t), v in zip(schema, cols)})
        ddl = ", ".join(f"`{c}` {t}" for c, t in schema)
        self.spark.createDataFrame(data, ddl).createOrReplaceTempView(name)

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        df = self.spark.sql(sql)
        return list(df.columns), [tuple(r) for r in df.collect()]

    def close(self) -> None:
        """Stop the session: a JVM left running when Python exits reports errors about its accumulators.

        Over Connect this releases only this session (its temporary views) on the server, without waiting long
        for a server that stopped answering."""
        if self.remote:
            _short_retries(self.spark.client)
        self.spark.stop()


def _first_line(exc: BaseException) -> str:
    """One line for an engine error; for a gRPC error (Spark Connect) its status and details."""
    cause: BaseException | None = exc
    while cause is not None:
        if callable(getattr(cause, "code", None)) and callable(getattr(cause, "details", None)):
            return f"{cause.code().name}: {cause.details()}"
        cause = cause.__cause__ or cause.__context__
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _short_retries(client):
    """Let a Spark Connect client give up within seconds (pyspark >= 4.0); returns the policies it had."""
    if not hasattr(client, "set_retry_policies"):
        return None
    from pyspark.sql.connect.client.retries import DefaultPolicy

    policies = client.get_retry_policies()
    client.set_retry_policies([DefaultPolicy(max_retries=4, max_backoff=5_000)])
    return policies


def _connect(url: str):
    """A Spark Connect session at ``url``, checked by a first call that must answer within seconds.

    The client's own retry policy waits about ten minutes for a server that does not answer: the first call is
    made with a short one, then the default is restored for the queries. That call sets the session time zone:
    Connect applies a builder's options silently, so a refused setting would go unnoticed."""
    try:
        from pyspark.sql.connect.session import SparkSession as ConnectSession
    except ImportError as exc:
        raise fail("--spark-url", _("Spark Connect needs its client: pip install 'pipa-audit[spark]' ({error})").format(
            error=exc)) from None
    redacted = _redact(url)
    try:
        spark = ConnectSession.builder.remote(url).create()
    except Exception as exc:  # a malformed URL
        raise fail("--spark-url", f"{redacted}: {_redact(_first_line(exc))}") from None  # it may quote the URL
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "[RETRIES_EXCEEDED]": the error below says it in one line
        policies = _short_retries(spark.client)
        try:
            spark.conf.set("spark.sql.session.timeZone", "UTC")
            if spark.conf.get("spark.sql.session.timeZone") != "UTC":
                raise RuntimeError(_("the server kept a session time zone other than UTC"))
        except Exception as exc:
            spark.release_session_on_close = False  # no session to release on a server that did not answer
            spark.stop()
            raise fail("--spark-url", _("no usable Spark Connect server at {url}: {error}").format(
                url=redacted, error=_first_line(exc))) from None
        finally:
            if policies is not None:
                spark.client.set_retry_policies(policies)
    return spark


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
