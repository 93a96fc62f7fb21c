"""Benchmark of the storage: what a run costs as the warehouse grows.

    python bench/storage.py [--sizes 100,600,1500] [--runs 20] [--work DIR]   (make bench-storage)

For each corpus size (MB, bench/corpus.py): build a warehouse with one `etl run` (seconds,
peak memory), then time a run that adds ONE new document to it: seconds, bytes written to
disk by the whole process tree (the kernel's count of block writes, from getrusage), growth
of the folder, peak memory. On the largest warehouse, `--runs` more one-document runs
follow, and the folder's size is compared with its live data (the files of the current
snapshot plus the catalog). Writes bench/results/storage-<UTC time>.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import corpus  # noqa: E402
from run import ETL, RESULTS, checked, machine, measure  # noqa: E402

# Runs `cmd`, then writes the bytes its process tree wrote to block devices (ru_oublock is
# in 512-byte units) to argv[1].
WRITTEN_WRAPPER = r"""
import resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_oublock * 512))
sys.exit(code)
"""


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def live_bytes(wh: Path) -> int:
    """What the current snapshot needs: the data and delete files of every table (the
    storage-internal input_files too), the catalog, the BI file and the manifest."""
    from etl.core.duck import connect
    from etl.core.schemas import INTERNAL_TABLES, table_names
    from etl.storage import lake
    from etl.storage.publish import table_files

    with connect() as con:
        lake.attach(con, wh, read_only=True)
        files: set[str] = set()
        for t in (*table_names(), *INTERNAL_TABLES):
            found = table_files(con, t)
            files |= {*found.files, *found.deletes.values()}
    return sum(Path(f).stat().st_size for f in files) + sum(
        (wh / n).stat().st_size for n in ("lake.sqlite", "published.duckdb", "snapshot.json"))


def etl_run(inputs: list[Path], wh: Path, what: str) -> dict:
    """One `etl run`: seconds, peak memory (largest process, process tree), bytes written."""
    with tempfile.TemporaryDirectory(prefix="etl-bench-io-") as tmp:
        out = Path(tmp) / "written"
        cmd = [sys.executable, "-c", WRITTEN_WRAPPER, str(out), *ETL, "run", *map(str, inputs), "--warehouse", str(wh)]
        before = folder_bytes(wh) if wh.exists() else 0
        sync()
        m = checked(measure(cmd), what)
        sync()
        written = int(out.read_text())
    return {"seconds": round(m.seconds, 2), "written_mb": round(written / 1e6, 1),
            "growth_mb": round((folder_bytes(wh) - before) / 1e6, 1),
            "rss_single_mb": round(m.rss_single_mb or 0), "rss_tree_mb": round(m.rss_tree_mb)}


def sync() -> None:
    import os

    os.sync()  # flush earlier writes, so that a run is charged only for its own


def one_document(corpus_dir: Path, paths: list[Path], day_offset: int, out: Path) -> Path:
    """A new day-dump after the corpus: one document the warehouse has not seen."""
    folder = out / f"new-{day_offset}"
    (new,) = corpus.generate_days(folder, range(corpus.next_day(paths) + day_offset, 1 << 30), limit=1)
    return new


def bench_size(size_mb: float, work: Path) -> dict:
    src = work / f"corpus-{size_mb:g}"
    paths = sorted(src.rglob("*.txt")) if src.exists() else corpus.generate(src, size_mb)
    wh = work / f"wh-{size_mb:g}"
    if wh.exists():
        import shutil

        shutil.rmtree(wh)
    build = etl_run([src], wh, f"build {size_mb} MB")
    posts = json.loads((wh / "snapshot.json").read_text())["tables"]
    one = etl_run([one_document(src, paths, 0, work)], wh, f"one document on {size_mb} MB")
    return {"size_mb": size_mb, "build": build, "one_document": one, "warehouse_mb": round(folder_bytes(wh) / 1e6, 1),
            "live_mb": round(live_bytes(wh) / 1e6, 1), "posts_files": len(posts["posts"]["files"]), "wh": str(wh),
            "paths": [str(p) for p in paths[-3:]]}


def many_runs(result: dict, runs: int, work: Path) -> dict:
    wh, paths = Path(result["wh"]), [Path(p) for p in result["paths"]]
    seconds = []
    for k in range(1, runs + 1):
        start = time.perf_counter()
        checked(measure([*ETL, "run", str(one_document(work, paths, k, work)), "--warehouse", str(wh)]),
                f"run {k} of {runs}")
        seconds.append(round(time.perf_counter() - start, 2))
    folder, live = folder_bytes(wh), live_bytes(wh)
    return {"runs": runs, "seconds": seconds, "folder_mb": round(folder / 1e6, 1), "live_mb": round(live / 1e6, 1),
            "ratio": round(folder / live, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,600,1500", help="corpus sizes (MB), comma-separated")
    parser.add_argument("--runs", type=int, default=20, help="one-document runs on the largest warehouse")
    parser.add_argument("--work", type=Path, help="work folder, kept (default: a temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="etl-bench-storage-"))
    work.mkdir(parents=True, exist_ok=True)
    sizes = [float(s) for s in args.sizes.split(",")]
    results = [bench_size(s, work) for s in sizes]
    for r in results:
        b, o = r["build"], r["one_document"]
        print(f"{r['size_mb']:>7g} MB corpus: build {b['seconds']} s (peak {b['rss_single_mb']} MB single, "
              f"{b['rss_tree_mb']} MB tree), warehouse {r['warehouse_mb']} MB; one document: {o['seconds']} s, "
              f"{o['written_mb']} MB written, folder +{o['growth_mb']} MB, peak {o['rss_tree_mb']} MB", flush=True)
    many = many_runs(results[-1], args.runs, work) if args.runs else None
    if many:
        print(f"after {many['runs']} one-document runs: folder {many['folder_mb']} MB, live data {many['live_mb']} MB "
              f"(ratio {many['ratio']}); run seconds {many['seconds']}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"machine": machine(), "sizes": results, "many_runs": many}
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"storage-{stamp}.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
