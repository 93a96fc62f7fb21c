"""Benchmarks: extract throughput, full and incremental runs, peak memory.

    python bench/run.py [--documents 200]

Builds a corpus of day-dumps from the bundled sample (each copy with its own titles and
dates, so every post is distinct), then measures with real subprocesses. Prints a table
and writes bench/results/latest.json. Timings are measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from etl.extract import parse_page  # noqa: E402
from etl.settings import SAMPLE_INPUT, load_reference  # noqa: E402

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


def _long(d: date) -> str:
    return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"


def make_corpus(folder: Path, documents: int) -> list[Path]:
    """`documents` dumps: the sample with every title made unique and dates shifted by a day each."""
    text = SAMPLE_INPUT.read_text(encoding="utf-8")
    titles = [p.title for p in parse_page(text, load_reference()).posts]
    paths = []
    for k in range(documents):
        shift = timedelta(days=k)
        copy = text
        for title in titles:
            copy = copy.replace(title, f"{title} (part {k})", 1)
        for day in (6, 7, 8, 9):
            old = date(2020, 1, day)
            copy = copy.replace(_long(old), _long(old + shift))
        path = folder / f"aletho-news-{(date(2020, 1, 9) + shift).isoformat()}.txt"
        path.write_text(copy, encoding="utf-8")
        paths.append(path)
    return paths


def timed_run(*args: str | Path) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "etl.cli", "run", *map(str, args)],
                            cwd=ROOT, capture_output=True, text=True, env={"CI": "true", "PATH": ""})
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="etl-bench-"))
    try:
        corpus = work / "corpus"
        corpus.mkdir()
        paths = make_corpus(corpus, args.documents)
        size = sum(p.stat().st_size for p in paths)
        ref = load_reference()
        start = time.perf_counter()
        posts = sum(len(parse_page(p.read_text(encoding="utf-8"), ref).posts) for p in paths)
        extract_s = time.perf_counter() - start

        wh = work / "wh"
        full_s, full = timed_run(corpus, "--warehouse", wh)
        assert full.returncode == 0, full.stderr
        noop_s, noop = timed_run(corpus, "--warehouse", wh)
        assert noop.returncode == 0, noop.stderr
        extra = make_corpus(work, args.documents + 1)[-1]
        incr_s, incr = timed_run(extra, "--warehouse", wh)
        assert incr.returncode == 0, incr.stderr
        help_s = time.perf_counter()
        subprocess.run([sys.executable, "-m", "etl.cli", "--help"], cwd=ROOT, capture_output=True, check=True)
        help_s = time.perf_counter() - help_s
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

        results = {
            "documents": len(paths), "posts": posts, "corpus_mb": round(size / 1e6, 2),
            "extract_seconds": round(extract_s, 3),
            "extract_mb_per_s": round(size / 1e6 / extract_s, 1),
            "extract_posts_per_s": round(posts / extract_s),
            "full_run_seconds": round(full_s, 2),
            "noop_rerun_seconds": round(noop_s, 2),
            "one_new_document_seconds": round(incr_s, 2),
            "help_seconds": round(help_s, 3),
            "peak_rss_mb": round(peak_mb),
            "database_mb": round((wh / "warehouse.duckdb").resolve().stat().st_size / 1e6, 1),
        }
        for k, v in results.items():
            print(f"{k:<28} {v}")
        out = ROOT / "bench" / "results"
        out.mkdir(exist_ok=True)
        (out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
