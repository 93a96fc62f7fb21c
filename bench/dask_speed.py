"""Benchmark: one worker's parse throughput on the Dask cluster path against the local path,
the cost per task of the hand-over, the task size that keeps it under 10%, a small run on a
Dask LocalCluster against the local process pool, and the single-node steps of a full run.

    python bench/dask_speed.py [--size-mb 64] [--task-mb 0.25,1,4,16] [--single-node-mb 300]
    python bench/dask_speed.py --smoke      # = --size-mb 8 --task-mb 1,4 --single-node-mb 0

Generates a deterministic corpus (bench/corpus.py) and runs the extract stage itself
(etl.run.executors.extract: read, hash, decode, parse, raw Parquet) over it:

- local: `jobs=1`, the tasks in this process: the parse with no hand-over at all;
- cluster: a LocalCluster of one worker process with one thread on 127.0.0.1, reached over
  TCP like a remote one (`extract(..., scheduler=ADDRESS)`): the settings scattered to the
  worker, each task submitted and its TaskOutcome sent back, WINDOW tasks in flight.

For each task size, best of --repeat: MB/s on both paths, and the overhead per task:
(cluster seconds - local seconds) / tasks, also as a share of the local seconds; the same in
CPU seconds (this process's, plus the worker's on the cluster path), which a machine shared
with other jobs does not distort as it does wall time. An
empty task's round trip (one at a time, and WINDOW in flight) is the fixed cost alone.
Then a small run: the extract of a --small-mb corpus with two local processes against a
two-worker LocalCluster (started for the run, as `etl run` would need it). Last, unless
--single-node-mb 0, `etl run` on a corpus of that size: its per-stage timings (extract on
this machine; stage, validate, load, parquet, publish stay on one node whatever the cluster).
Writes bench/results/dask-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import corpus  # noqa: E402
import pyarrow as pa  # noqa: E402

from etl.core.reference import load_reference  # noqa: E402
from etl.core.settings import DEFAULT_MAX_BYTES  # noqa: E402
from etl.run import executors, workers  # noqa: E402
from etl.run.inputs import Known, file_stats  # noqa: E402

RESULTS = ROOT / "bench" / "results"
MB = 1_000_000
MiB = 1024 * 1024


def settings(raw: Path) -> workers.WorkerContext:
    shutil.rmtree(raw, ignore_errors=True)
    return workers.WorkerContext(Known(), DEFAULT_MAX_BYTES, load_reference(), "bench", raw)


def timed_extract(files: pa.Table, task_bytes: int, raw: Path, jobs: int,
                  scheduler: str | None, client=None) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, tasks) to extract `files` in tasks of `task_bytes`. CPU
    seconds are this process's, plus the cluster workers' if `client` is given: on a shared
    machine they count the work done, whoever else is running."""
    workers.TASK_BYTES = task_bytes
    all_tasks = workers.tasks(files)
    s = settings(raw)
    cpu = lambda: time.process_time() + (sum(client.run(time.process_time).values()) if client else 0)  # noqa: E731
    cpu_start, start = cpu(), time.perf_counter()
    outcomes = list(executors.extract(all_tasks, s, jobs, scheduler))
    seconds, cpu_seconds = time.perf_counter() - start, cpu() - cpu_start
    assert len(outcomes) == len(all_tasks) and sum(len(c.parsed) for c in outcomes) > 0
    return seconds, cpu_seconds, len(all_tasks)


def round_trip(scheduler: str, raw: Path, n: int = 200) -> dict[str, float]:
    """Milliseconds per empty task on the cluster: one at a time, and WINDOW in flight."""
    with executors.open_executor(scheduler, 1, settings(raw)) as pool:
        pool.result(pool.submit([]))  # warm
        start = time.perf_counter()
        for _ in range(n):
            pool.result(pool.submit([]))
        serial = (time.perf_counter() - start) / n
        start = time.perf_counter()
        pending = [pool.submit([]) for _ in range(workers.WINDOW)]
        for _ in range(n):
            pool.result(pending.pop(0))
            pending.append(pool.submit([]))
        for f in pending:
            pool.result(f)
        windowed = (time.perf_counter() - start) / (n + workers.WINDOW)
    return {"serial_ms": round(serial * 1000, 2), "windowed_ms": round(windowed * 1000, 2)}


def open_seconds(scheduler: str, raw: Path) -> float:
    """Connecting, checking the workers see the raw folder, scattering the settings."""
    start = time.perf_counter()
    with executors.open_executor(scheduler, 1, settings(raw)):
        pass
    return time.perf_counter() - start


def small_run(files: pa.Table, raw: Path) -> dict[str, float]:
    """A small run's extract, everything started for it: two local processes, or a LocalCluster."""
    from distributed import LocalCluster

    workers.TASK_BYTES = 4 * MiB
    all_tasks = workers.tasks(files)
    start = time.perf_counter()
    list(executors.extract(all_tasks, settings(raw), 2))
    pool_s = time.perf_counter() - start
    start = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as lc:
        started = time.perf_counter() - start
        list(executors.extract(all_tasks, settings(raw), 2, lc.scheduler_address))
    cluster_s = time.perf_counter() - start
    return {"tasks": len(all_tasks), "process_pool_s": round(pool_s, 3), "local_cluster_s": round(cluster_s, 3),
            "local_cluster_start_s": round(started, 3)}


def single_node(work: Path, size_mb: float, seed: int) -> dict:
    """`etl run` on a corpus of `size_mb`: the summary's per-stage seconds."""
    folder = work / "single-node"
    paths = corpus.generate(folder, size_mb, seed=seed)
    mb = sum(p.stat().st_size for p in paths) / MB
    summary = work / "single-node.json"
    cmd = [sys.executable, "-m", "etl.cli", "run", str(folder), "--warehouse", str(work / "single-node-wh"),
           "--summary-json", str(summary)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env={**os.environ, "CI": "true"}, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"etl run exited {proc.returncode}:\n{proc.stderr}")
    s = json.loads(summary.read_text())
    return {"size_mb": round(mb, 1), "documents": s["documents"]["new"], "posts": s["posts"]["in_new_documents"],
            "seconds": round(seconds, 2), "timings": s["timings"], "table_rows": s["table_rows"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=64, help="corpus for the throughput runs (MB)")
    parser.add_argument("--task-mb", default="0.25,1,4,16", help="task sizes to measure (MiB)")
    parser.add_argument("--small-mb", type=float, default=5, help="corpus of the small-run comparison (MB)")
    parser.add_argument("--single-node-mb", type=float, default=300, help="full etl run for the stage timings; 0: skip")
    parser.add_argument("--repeat", type=int, default=2, help="best of N for each throughput measurement")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="small: --size-mb 8 --task-mb 1,4 --single-node-mb 0")
    args = parser.parse_args()
    if args.smoke:
        args.size_mb, args.task_mb, args.single_node_mb, args.repeat, args.small_mb = 8, "1,4", 0, 1, 2
    from distributed import Client, LocalCluster

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = Path(tempfile.mkdtemp(prefix="etl-dask-bench-"))
    raw = work / "raw"
    results: dict = {"started": stamp, "cores": os.cpu_count(), "args": vars(args)}
    try:
        paths = corpus.generate(work / "corpus", args.size_mb, seed=args.seed)
        files = file_stats([str(p) for p in paths])
        mb = sum(p.stat().st_size for p in paths) / MB
        results["corpus"] = {"size_mb": round(mb, 1), "documents": len(paths)}
        print(f"corpus: {len(paths):,} documents, {mb:.1f} MB")
        rows = []
        with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as lc:
            address = lc.scheduler_address
            timed_extract(files.slice(0, 20), 4 * MiB, raw, 1, address)  # the worker imports etl once
            results["round_trip"] = round_trip(address, raw)
            results["open_s"] = round(min(open_seconds(address, raw) for _ in range(3)), 3)
            client = Client(address, set_as_default=False)
            for task_mb in (float(t) for t in args.task_mb.split(",")):
                size = int(task_mb * MiB)
                local = [timed_extract(files, size, raw, 1, None) for _ in range(args.repeat)]
                cluster = [timed_extract(files, size, raw, 1, address, client) for _ in range(args.repeat)]
                n = local[0][2]
                wall = min(x[0] for x in local), min(x[0] for x in cluster)
                cpu = min(x[1] for x in local), min(x[1] for x in cluster)
                rows.append({
                    "task_mb": task_mb, "tasks": n, "local_s": round(wall[0], 3), "cluster_s": round(wall[1], 3),
                    "local_cpu_s": round(cpu[0], 3), "cluster_cpu_s": round(cpu[1], 3),
                    "local_mb_s": round(mb / wall[0], 2), "cluster_mb_s": round(mb / wall[1], 2),
                    "local_mb_per_cpu_s": round(mb / cpu[0], 2), "cluster_mb_per_cpu_s": round(mb / cpu[1], 2),
                    "overhead_ms_per_task": round((wall[1] - wall[0]) / n * 1000, 1),
                    "overhead_share": round((wall[1] - wall[0]) / wall[0], 4),
                    "cpu_overhead_ms_per_task": round((cpu[1] - cpu[0]) / n * 1000, 1),
                    "cpu_overhead_share": round((cpu[1] - cpu[0]) / cpu[0], 4),
                })
            client.close()
        results["task_sizes"] = rows
        small = corpus.generate(work / "small", args.small_mb, seed=args.seed)
        results["small_run"] = {"size_mb": round(sum(p.stat().st_size for p in small) / MB, 1),
                                **small_run(file_stats([str(p) for p in small]), raw)}
        if args.single_node_mb:
            results["single_node"] = single_node(work, args.single_node_mb, args.seed)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\nempty task round trip: {results['round_trip']['serial_ms']} ms one at a time, "
          f"{results['round_trip']['windowed_ms']} ms with {workers.WINDOW} in flight; "
          f"opening the cluster (connect, check paths, scatter settings): {results['open_s']} s")
    print(f"\n{'task MiB':>8} {'tasks':>6} {'local MB/s':>10} {'cluster MB/s':>12} {'ms/task':>8} {'overhead':>8}"
          f" {'local MB/cpu-s':>14} {'cluster MB/cpu-s':>16} {'cpu-ms/task':>11} {'cpu overhead':>12}")
    for r in results["task_sizes"]:
        print(f"{r['task_mb']:>8g} {r['tasks']:>6} {r['local_mb_s']:>10.2f} {r['cluster_mb_s']:>12.2f} "
              f"{r['overhead_ms_per_task']:>8.1f} {r['overhead_share']:>8.1%} {r['local_mb_per_cpu_s']:>14.2f} "
              f"{r['cluster_mb_per_cpu_s']:>16.2f} {r['cpu_overhead_ms_per_task']:>11.1f} "
              f"{r['cpu_overhead_share']:>12.1%}")
    s = results["small_run"]
    print(f"\nsmall run ({s['size_mb']} MB, {s['tasks']} tasks): process pool {s['process_pool_s']} s, "
          f"LocalCluster {s['local_cluster_s']} s (of which starting it {s['local_cluster_start_s']} s)")
    if "single_node" in results:
        sn = results["single_node"]
        print(f"\netl run, {sn['size_mb']} MB ({sn['documents']:,} documents, {sn['posts']:,} posts): "
              f"{sn['seconds']} s; stages: {sn['timings']}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"dask-{stamp}.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
