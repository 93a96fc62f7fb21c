"""Extract on a Dask cluster: the same warehouse as a local run, whether the cluster is a
LocalCluster in this process or a real `dask scheduler` and `dask worker` processes (one of
them killed mid-run); a scheduler that is unreachable, has no worker, or goes away mid-run
fails the run with exit 5 and publishes nothing.

Every process is bound to 127.0.0.1, has no dashboard, and is killed when its test ends."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from contextlib import chdir
from dataclasses import dataclass
from pathlib import Path

import pytest

from etl.core.settings import DEFAULT_MAX_BYTES
from etl.core.summary import Documents
from etl.run import pipeline, workers
from tests.cluster import cluster, free_port
from tests.corpus import home_page, nightly_dumps, sample_posts, wait_for_line, write
from tests.pg import CATALOGS, new_warehouse
from tests.utils import ROOT, SAMPLE, etl, rows, snapshot, start_etl, table_counts

FIXTURES = ROOT / "tests" / "fixtures" / "dumps"


def post_digest(warehouse: Path) -> str:
    """SHA-256 over every post_details row (without the run id), in post order."""
    lines = rows(warehouse, "select * exclude (run_id) from post_details order by post_id")
    return hashlib.sha256("\n".join(map(repr, lines)).encode()).hexdigest()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[Path]:
    """Overlapping nights, an excerpt before its complete copy, an empty file, a copy of a
    file, and the fixture dumps: every rule that decides what a run keeps."""
    root = tmp_path_factory.mktemp("dask-inputs")
    home = write(root / "home" / "aletho-news-home-2020-01-09.txt", home_page(sample_posts()[:3]))
    dumps = nightly_dumps(root / "dumps")
    empty = write(root / "bad" / "empty.txt", "")
    again = write(root / "bad" / "copy-of-the-sample.txt", SAMPLE.read_bytes())
    return [home, *dumps, empty, again, FIXTURES]


@pytest.fixture(scope="module")
def dumps(inputs, tmp_path_factory) -> Path:
    """The inputs in one folder (where a worker's cwd is not). The runs that compare tables
    read it as RELATIVE from its parent folder: relative paths are read where a run started."""
    folder = tmp_path_factory.mktemp("dask-dumps") / "dumps"
    for i, p in enumerate(inputs):
        if p.is_dir():
            shutil.copytree(p, folder / f"{i}-{p.name}")
        else:
            (folder / f"{i}").mkdir(parents=True)
            shutil.copy(p, folder / f"{i}" / p.name)
    return folder


RELATIVE = Path("dumps")  # the dumps, from their parent folder


@dataclass
class Tables:
    """What a warehouse holds: rows per table, the post_details digest, every table's rows."""

    counts: dict[str, int]
    post_digest: str
    snapshot: dict[str, list[tuple]]

    @classmethod
    def of(cls, warehouse: Path) -> Tables:
        return cls(table_counts(warehouse), post_digest(warehouse), snapshot(warehouse))

    def assert_same(self, warehouse: Path) -> None:
        other = Tables.of(warehouse)
        assert other.counts == self.counts
        assert other.post_digest == self.post_digest
        assert other.snapshot == self.snapshot


@dataclass
class LocalRuns:
    """Two runs of the dumps on this machine (the second skips what the first loaded): their
    results and the tables after each, the reference every cluster run is compared with."""

    results: list[pipeline.RunResult]
    tables: list[Tables]


@pytest.fixture(scope="module")
def local_runs(dumps, tmp_path_factory) -> LocalRuns:
    wh = tmp_path_factory.mktemp("dask-local") / "wh"
    results, tables = [], []
    with pytest.MonkeyPatch.context() as mp, chdir(dumps.parent):
        mp.setattr(workers, "TASK_BYTES", 1)  # a task per file, as on the cluster
        for _ in range(2):
            results.append(pipeline.run([RELATIVE], wh, max_bytes=DEFAULT_MAX_BYTES, jobs=2,
                                        log=lambda event, **fields: None))
            tables.append(Tables.of(wh))
    assert [r.exit_code for r in results] == [1, 0]  # the empty file is rejected
    assert results[0].summary.documents == Documents(new=30, skipped=1, rejected=1)  # 26 of them fixture dumps
    assert results[1].summary.documents == Documents(new=0, skipped=32, rejected=0)
    return LocalRuns(results, tables)


@pytest.mark.parametrize("catalog", CATALOGS)
def test_local_cluster_builds_the_same_tables_as_a_local_run(local_runs, dumps, tmp_path, monkeypatch, catalog,
                                                            request):
    """Two runs (the second skips what the first loaded) on a LocalCluster, and on this machine;
    into a lake whose catalog is SQLite, or PostgreSQL (the local runs' is SQLite)."""
    new_warehouse(catalog, tmp_path / "dask", request)
    from distributed import LocalCluster

    monkeypatch.setattr(workers, "TASK_BYTES", 1)  # a task per file: many tasks, on both workers
    monkeypatch.chdir(dumps.parent)  # relative paths: read where the run was started
    logged: list[tuple[str, dict]] = []

    def log(event: str, **fields) -> None:
        logged.append((event, fields))

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as lc:
        dask = [pipeline.run([RELATIVE], tmp_path / "dask", max_bytes=DEFAULT_MAX_BYTES,
                             scheduler=lc.scheduler_address, log=log) for _ in range(2)]
    for a, b in zip(local_runs.results, dask, strict=True):
        assert (a.exit_code, a.status) == (b.exit_code, b.status)
        assert a.summary.documents == b.summary.documents
        assert a.summary.posts == b.summary.posts
        assert a.summary.rejected == b.summary.rejected
    local_runs.tables[1].assert_same(tmp_path / "dask")
    connected = [f for e, f in logged if e == "cluster connected"]
    # the second run has nothing new: it checks its inputs without starting workers (issue 24)
    assert [r.status for r in dask] == ["partial", "noop"]  # the dumps hold a file it rejects
    assert connected == [{"scheduler": lc.scheduler_address, "workers": 2, "threads": 2}]
    progress = [f for e, f in logged if e == "cluster progress"]
    assert progress[-1]["tasks_done"] == progress[-1]["tasks"] > 10


# ---- a real scheduler and workers, as separate processes (tests/cluster.py) ----

def _kill_once_frozen(run: subprocess.Popen, frozen: subprocess.Popen, c, victim: str) -> tuple[str, str]:
    """When the `frozen` worker reaches its failpoint, kill the cluster's process `victim`;
    the run's output (the run itself killed if it outlives the wait)."""
    try:
        wait_for_line(frozen, "failpoint extract-task reached", timeout=120)
        c.kill(victim)
        return run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()


def test_cli_on_a_cluster_survives_a_killed_worker(local_runs, dumps, tmp_path):
    """One worker freezes in its first task (having written its files, before moving them
    into place) and is killed: its task runs again on the other, the run succeeds."""
    with cluster(tmp_path) as c:
        frozen = c.worker("frozen", env={"ETL_FAILPOINTS": "extract-task"}, pipe=True)
        c.worker("healthy")
        c.wait_for_workers(2)
        run = start_etl("run", RELATIVE, "--warehouse", tmp_path / "wh", "--scheduler", c.address,
                        env={"ETL_TASK_BYTES": "1"}, cwd=dumps.parent)
        out, err = _kill_once_frozen(run, frozen, c, "frozen")
    assert run.returncode == 1, out + err  # the empty file
    assert f"cluster connected scheduler={c.address} workers=2 threads=2" in err
    assert "cluster progress" in err
    local_runs.tables[0].assert_same(tmp_path / "wh")


def _published(wh: Path) -> tuple[int, str]:
    """The snapshot and run readers see."""
    manifest = json.loads((wh / "snapshot.json").read_text(encoding="utf-8"))
    return manifest["snapshot_id"], manifest["run_id"]


def test_scheduler_gone_mid_run_exits_5_and_publishes_nothing(dumps, sample_warehouse_copy, tmp_path):
    wh = sample_warehouse_copy
    before = (_published(wh), snapshot(wh))
    with cluster(tmp_path) as c:
        frozen = c.worker("frozen", env={"ETL_FAILPOINTS": "extract-task"}, pipe=True)
        c.wait_for_workers(1)
        run = start_etl("run", dumps, "--warehouse", wh, "--scheduler", c.address, env={"ETL_DASK_TIMEOUT": "5"})
        out, err = _kill_once_frozen(run, frozen, c, "scheduler")
    assert run.returncode == 5, out + err
    message = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(message) == 1
    assert message[0].startswith(f"error: dask scheduler {c.address}: lost the connection to the scheduler")
    assert message[0].endswith("; nothing published")
    assert "Traceback" not in err
    assert (_published(wh), snapshot(wh)) == before
    again = etl("run", dumps, "--warehouse", wh, timeout=120)  # the lock is free, a local run completes
    assert again.returncode == 1, again.stdout + again.stderr


def test_a_scheduler_without_workers_exits_5(tmp_path):
    with cluster(tmp_path) as c:
        start = time.monotonic()
        result = etl("run", "--warehouse", tmp_path / "wh", env={"ETL_DASK_SCHEDULER": c.address,
                                                                 "ETL_DASK_TIMEOUT": "2"}, timeout=60)
    assert result.returncode == 5, result.stdout + result.stderr
    assert f"error: dask scheduler {c.address}: no worker joined within 2 s; nothing published" in result.stderr
    assert time.monotonic() - start < 30
    assert not (tmp_path / "wh" / "published.duckdb").exists()


def test_an_unreachable_scheduler_exits_5(tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    result = etl("run", "--warehouse", tmp_path / "wh", "--scheduler", address, env={"ETL_DASK_TIMEOUT": "2"},
                 timeout=60)
    assert result.returncode == 5, result.stdout + result.stderr
    assert f"error: dask scheduler {address}: cannot reach the scheduler within 2 s" in result.stderr
    assert not (tmp_path / "wh" / "published.duckdb").exists()
