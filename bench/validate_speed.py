"""Validation against the floor, in one benchmark run.

    python bench/validate_speed.py [--size-mb 300] [--seed 1] [--jobs N] [--work DIR] [--keep]

Generates a corpus (bench/corpus.py), measures the floor of bench/run.py (read, decode and
one footer-regex pass over every file, a process of its own), then one `etl run` into a
new warehouse: its validation seconds (the summary's `timings.validate`), its whole time
and its peak memory (largest single process, and the peak PSS sum over its process tree),
all measured as bench/run.py measures them. Prints one table and writes
bench/results/validate-<UTC time>.json. See bench/README.md, "Validation against the floor".
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus
import run as bench


def floor(folder: Path) -> bench.Measured:
    return bench.checked(bench.measure([sys.executable, "-c", bench.FLOOR, str(folder)]), "floor")


def one_run(folder: Path, wh: Path, jobs: int | None) -> tuple[bench.Measured, dict]:
    return bench.etl_run([folder], wh, jobs, "etl run")


def table(floor_m: bench.Measured, run_m: bench.Measured, summary: dict, size_mb: float) -> list[dict]:
    timings = summary.get("timings", {})
    validate_s = timings.get("validate")
    rows = [
        {"name": "floor: read + decode + footer regex", "seconds": floor_m.seconds,
         "rss_single_mb": floor_m.rss_single_mb, "rss_tree_mb": floor_m.rss_tree_mb},
        {"name": "validation (timings.validate of the run)", "seconds": validate_s},
        # Staging computes the tables validation reads (and the merge after it): its cost too.
        {"name": "staging + validation", "seconds": None if validate_s is None
         else round(validate_s + timings.get("stage", 0), 3)},
        {"name": "full run", "seconds": run_m.seconds, "rss_single_mb": run_m.rss_single_mb,
         "rss_tree_mb": run_m.rss_tree_mb},
    ]
    for r in rows:
        r["x_floor"] = round(r["seconds"] / floor_m.seconds, 2) if r["seconds"] is not None else None
        r["mb_per_s"] = round(size_mb / r["seconds"], 1) if r["seconds"] else None
    return rows


def show(rows: list[dict]) -> None:
    fmt = lambda v, d=0: "" if v is None else f"{v:,.{d}f}"  # noqa: E731
    print(f"{'measurement':44} {'seconds':>8} {'MB/s':>7} {'× floor':>8} {'RSS MB single':>14} {'PSS MB tree':>12}")
    for r in rows:
        print(f"{r['name']:44} {fmt(r['seconds'], 2):>8} {fmt(r['mb_per_s'], 1):>7} {fmt(r['x_floor'], 2):>8} "
              f"{fmt(r.get('rss_single_mb')):>14} {fmt(r.get('rss_tree_mb')):>12}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=300, help="corpus size (MB = 10^6 bytes)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, help="pass --jobs N to etl run")
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the corpus and the warehouse")
    args = parser.parse_args()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = Path(tempfile.mkdtemp(prefix="etl-validate-bench-", dir=args.work))
    try:
        paths = corpus.generate(work / "corpus", args.size_mb, seed=args.seed)
        size_mb = sum(p.stat().st_size for p in paths) / bench.MB
        print(f"corpus: {len(paths):,} documents, {size_mb:,.1f} MB")
        floor_m = floor(work / "corpus")
        run_m, summary = one_run(work / "corpus", work / "wh", args.jobs)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    rows = table(floor_m, run_m, summary, size_mb)
    show(rows)
    print(f"run timings: {summary.get('timings')}")
    results = {"started": stamp, "machine": bench.machine(), "corpus": {"size_mb": round(size_mb, 2),
               "documents": len(paths), "seed": args.seed}, "measurements": rows,
               "run": {f: summary.get(f) for f in ("documents", "posts", "validation", "timings")}}
    bench.RESULTS.mkdir(exist_ok=True)
    out = bench.RESULTS / f"validate-{stamp}.json"
    out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
