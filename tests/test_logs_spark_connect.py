"""Spark Connect and a standalone cluster, proven by running: each server is started from the pyspark package's
own files (nothing downloaded; Java 17 is the only other need), ``logs analyze --engine spark --spark-url …``
runs against it, and the derived facts equal DuckDB's on the synthetic log of test_logs_engines.py.

The servers read the Parquet files at the paths the client sends (``file://`` URIs, never uploaded). They run on
this machine here; a real server must see the ingested folder at the same path (shared storage)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from compliance.logs import analyses, engines
from compliance.logs.analyze import run_queries

from .conftest import cli
from .test_logs_engines import _load, world  # noqa: F401  (world: the same log, with the engine edge rows)

import pyspark  # noqa: E402  (the [spark] extra the test command installs: a broken install must fail, not skip)

HOME = Path(pyspark.__file__).parent
TOKEN = "connect-test-token"  # the Connect server's pre-shared token, given to the server through its environment
READY_WITHIN = 120  # seconds for a server to start (about 10 here)

pytestmark = pytest.mark.skipif(os.name == "nt", reason="the servers are started with the package's POSIX scripts")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Daemon:
    """A Spark JVM started by one of the package's scripts, in its own process group, logging to a file."""

    def __init__(self, log: Path, script: str, *args: str, env: dict[str, str] | None = None):
        self.log = log
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("SPARK_", "PYSPARK_"))}
        with log.open("wb") as out:
            self.proc = subprocess.Popen([str(HOME / "bin" / script), *args], stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True,
                                         env={**clean, "SPARK_HOME": str(HOME), "SPARK_LOCAL_IP": "127.0.0.1",
                                              **(env or {})})

    def wait_for(self, text: str) -> None:
        deadline = time.monotonic() + READY_WITHIN
        while time.monotonic() < deadline:
            if text in self.log.read_text(errors="replace"):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.25)
        tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-15:])
        pytest.fail(f"{self.log.name}: no {text!r} within {READY_WITHIN} s (exit code {self.proc.poll()}):\n{tail}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture(scope="class")
def connect_port(tmp_path_factory):
    """A Spark Connect server on a free port, with a token, whose sessions default to another time zone."""
    assert list((HOME / "jars").glob("spark-connect_*.jar")), f"pyspark {pyspark.__version__} ships no Connect server"
    port = _free_port()
    server = _Daemon(tmp_path_factory.mktemp("connect") / "server.log", "spark-submit",
                     "--class", "org.apache.spark.sql.connect.service.SparkConnectServer", "--master", "local[2]",
                     "--conf", f"spark.connect.grpc.binding.port={port}",
                     "--conf", "spark.connect.grpc.binding.address=localhost",
                     "--conf", "spark.ui.enabled=false", "--conf", "spark.sql.shuffle.partitions=2",
                     "--conf", "spark.sql.session.timeZone=Asia/Seoul",
                     env={"SPARK_CONNECT_AUTHENTICATE_TOKEN": TOKEN})
    try:
        server.wait_for("Spark Connect server started at")
        yield port
    finally:
        server.stop()


@pytest.fixture(scope="module")
def cluster_url(tmp_path_factory):
    """A standalone master and one worker (2 cores) on free ports."""
    root = tmp_path_factory.mktemp("standalone")
    port = _free_port()
    master = _Daemon(root / "master.log", "spark-class", "org.apache.spark.deploy.master.Master",
                     "--host", "127.0.0.1", "--port", str(port), "--webui-port", "0")
    worker = None
    try:
        master.wait_for("I have been elected leader")
        worker = _Daemon(root / "worker.log", "spark-class", "org.apache.spark.deploy.worker.Worker",
                         "--host", "127.0.0.1", "--cores", "2", "--memory", "1g", "--webui-port", "0",
                         "--work-dir", str(root / "work"), f"spark://127.0.0.1:{port}")
        worker.wait_for("Successfully registered with master")
        yield f"spark://127.0.0.1:{port}"
    finally:
        if worker:
            worker.stop()
        master.stop()


def _analyze(root: Path, out: Path, *engine: str) -> subprocess.CompletedProcess:
    return cli("logs", "analyze", root / "rec", "--facts", root / "facts.yaml", "--params", root / "params.yaml",
               "-o", out, "-q", *engine)


@pytest.fixture(scope="module")
def on_duckdb(world, tmp_path_factory):  # noqa: F811
    out = tmp_path_factory.mktemp("duckdb") / "derived.json"
    proc = _analyze(world, out)
    assert proc.returncode == 0, proc.stderr
    facts = json.loads(out.read_text())
    by_sql = {aid for aid, spec in analyses.registry().items() if spec.files}  # the chain of ingests is read, not queried
    assert all(a["status"] == "ran" and a["items"] for aid, a in facts["analyses"].items() if aid in by_sql), \
        "an analysis found nothing: the comparison would prove nothing"
    return facts


def _assert_same_facts(duck: dict, other: dict) -> None:
    """Everything but the engine identical, down to JSON types (1 and 1.0 differ as text)."""
    assert set(duck) == set(other)
    for key in set(duck) - {"engine"}:
        assert json.dumps(duck[key], sort_keys=True) == json.dumps(other[key], sort_keys=True), key


class TestSparkConnect:
    """One Connect server for these tests, stopped before the cluster starts (this machine may have 2 cores)."""

    def test_analyze_over_spark_connect_writes_duckdbs_facts(self, on_duckdb, connect_port, tmp_path,
                                                             world):  # noqa: F811
        url = f"sc://localhost:{connect_port}/;token={TOKEN};user_id=auditor"
        out = tmp_path / "connect.json"
        proc = _analyze(world, out, "--engine", "spark", "--spark-url", url)
        assert proc.returncode == 0, proc.stderr
        facts = json.loads(out.read_text())
        _assert_same_facts(on_duckdb, facts)
        redacted = f"sc://localhost:{connect_port}/;token=***;user_id=auditor"
        assert facts["engine"] == {"name": "spark", "version": pyspark.__version__, "threads": None,
                                   "memory_limit": None, "url": redacted}
        assert TOKEN not in out.read_text() + proc.stdout + proc.stderr

    def test_connect_engine_gives_duckdbs_rows_and_types_in_a_utc_session(self, world, connect_port):  # noqa: F811
        spark = engines.SparkEngine(f"sc://localhost:{connect_port}/;token={TOKEN}")
        try:
            assert spark.remote and spark.version == spark.spark.version
            # the server's sessions default to Asia/Seoul: the engine's own setting must have taken
            assert spark.spark.conf.get("spark.sql.session.timeZone") == "UTC"
            duck = engines.DuckDBEngine(threads=2, memory_limit="512MB")
            _load(duck, world)
            _load(spark, world)
            on_duck, on_connect = run_queries(duck), run_queries(spark)
        finally:
            spark.close()
        assert set(on_connect) == {p.name for p in analyses.sql_files()}
        for name, rows in on_duck.items():
            assert rows, f"{name} returned no rows: the comparison would prove nothing"
            assert [[(k, type(v), v) for k, v in r.items()] for r in rows] == \
                   [[(k, type(v), v) for k, v in r.items()] for r in on_connect[name]], name

    def test_connect_refusals_are_one_line_and_quick(self, world, connect_port, tmp_path):  # noqa: F811
        out = tmp_path / "never.json"
        cases = [  # (URL, extra options, what stderr must say)
            (f"sc://localhost:{connect_port}/;token=wrong-{TOKEN}", (), "UNAUTHENTICATED"),
            (f"sc://localhost:{_free_port()}/;token={TOKEN}", (), "UNAVAILABLE"),  # nothing listens: no long wait
            (f"sc://localhost:{connect_port}/records", (), "path component"),
            (f"sc://localhost:{connect_port}/;token={TOKEN}", ("--threads", "2"), "cores are set on the server"),
        ]
        for url, extra, message in cases:
            started = time.monotonic()
            proc = _analyze(world, out, "--engine", "spark", "--spark-url", url, *extra)
            assert proc.returncode == 2 and message in proc.stderr, proc.stderr
            assert time.monotonic() - started < 60, url
            assert TOKEN not in proc.stderr and "Traceback" not in proc.stderr and not out.exists()
            assert [ln for ln in proc.stderr.splitlines() if "--spark-url" in ln or "--threads" in ln], proc.stderr


def test_analyze_on_a_standalone_cluster_needs_no_python_on_the_executors(world, on_duckdb, cluster_url,  # noqa: F811
                                                                         tmp_path, monkeypatch):
    monkeypatch.setenv("SPARK_LOCAL_IP", "127.0.0.1")  # the executors connect back to the driver (this CLI)
    monkeypatch.setenv("PYSPARK_PYTHON", str(tmp_path / "no-python"))  # a Python worker would fail the run
    out = tmp_path / "cluster.json"
    proc = _analyze(world, out, "--engine", "spark", "--spark-url", cluster_url)
    assert proc.returncode == 0, proc.stderr
    facts = json.loads(out.read_text())
    _assert_same_facts(on_duckdb, facts)
    assert facts["engine"] == {"name": "spark", "version": pyspark.__version__, "threads": None,
                               "memory_limit": None, "url": cluster_url}
