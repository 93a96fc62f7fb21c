"""Extraction speed of one process (one core), without the rest of a run.

    python bench/extract_speed.py [--size-mb 100] [--seed 1] [--corpus DIR] [--repeat 2] [--like-sample] [--json]
    make bench-extract   # = --like-sample: the day-dump corpus and one of pages like the sample

On a corpus from bench/corpus.py (generated in a temporary folder, or the files of DIR),
in this one process, best of `--repeat` passes over the files (warm page cache):

- parse: read the bytes, hash and decode them (etl.extract.reader) and parse the text
  (etl.extract.parse_page): the extractor alone;
- parse + raw rows: the same, then the raw rows of every document (transform.document_rows)
  written as Parquet per task of files (transform.write_raw), as an extract worker does.

Prints MB/s (MB = 10^6 bytes of input) per core for both: input size over the CPU time of
this process (time.process_time, so other load on a shared machine does not count), and the
wall-clock time beside it. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import corpus  # noqa: E402

from etl.core.reference import Reference, load_reference  # noqa: E402
from etl.core.settings import DEFAULT_MAX_BYTES  # noqa: E402
from etl.extract import parse_page  # noqa: E402
from etl.extract.reader import read_bytes, to_document  # noqa: E402
from etl.run.inputs import file_stats  # noqa: E402
from etl.run.transform import Parsed, document_rows, empty_rows, write_raw  # noqa: E402
from etl.run.workers import tasks  # noqa: E402


def parse_only(paths: list[Path], ref: Reference, _out: Path) -> int:
    """Read, decode and parse every file; the number of posts."""
    posts = 0
    for path in paths:
        document_id, raw, _ = read_bytes(path, DEFAULT_MAX_BYTES)
        posts += len(parse_page(to_document(str(path), document_id, raw).text, ref).posts)
    return posts


def parse_and_rows(paths: list[Path], ref: Reference, out: Path) -> int:
    """As an extract worker: read, decode, parse, raw rows, one Parquet file per table and task."""
    posts = 0
    for task in tasks(file_stats([str(p) for p in paths])):
        rows = empty_rows()
        for index, path in task:
            document_id, raw, _ = read_bytes(Path(path), DEFAULT_MAX_BYTES)
            doc = to_document(str(path), document_id, raw)
            page = parse_page(doc.text, ref)
            posts += len(page.posts)
            document_rows(Parsed(doc, page), index, "bench", ref, rows)
        write_raw(rows, out, f"{task[0][0]:09d}")
    return posts


def best_of(repeat: int, step: Callable[[list[Path], Reference, Path], int], paths: list[Path],
            ref: Reference, out: Path) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, posts) of the pass with the least CPU time."""
    best, wall, posts = float("inf"), 0.0, 0
    for _ in range(repeat):
        start, start_wall = time.process_time(), time.perf_counter()
        posts = step(paths, ref, out)
        cpu = time.process_time() - start
        if cpu < best:
            best, wall = cpu, time.perf_counter() - start_wall
    return best, wall, posts


def measure(paths: list[Path], repeat: int, work: Path) -> dict[str, float]:
    """Prints and returns the MB/s per core of both steps ("parse", "parse_rows") and the input MB."""
    ref = load_reference()
    size = sum(p.stat().st_size for p in paths)
    for p in paths:  # warm the page cache
        p.read_bytes()
    print(f"corpus: {len(paths):,} files, {size / 1e6:.1f} MB; one process, best of {repeat}")
    result = {"mb": size / 1e6, "files": len(paths)}
    for key, name, step in (("parse", "parse (read, decode, parse)", parse_only),
                            ("parse_rows", "parse + raw rows → Parquet", parse_and_rows)):
        cpu, wall, posts = best_of(repeat, step, paths, ref, work / "raw")
        result[key] = size / 1e6 / cpu
        print(f"{name:<30} {cpu:7.2f} s CPU  {size / 1e6 / cpu:6.1f} MB/s per core  "
              f"{posts / cpu:9,.0f} posts/s  (wall {wall:.2f} s; {posts:,} posts)")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus", type=Path, help="measure the .txt files of this folder instead")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--like-sample", action="store_true",
                        help="also a corpus of pages like the sample (bench/corpus.py --like-sample), of --size-mb")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the MB/s per core")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="etl-extract-speed-") as tmp:
        if args.corpus:
            corpora = {"corpus": sorted(args.corpus.glob("*.txt"))}
        else:
            corpora = {"days": corpus.generate(Path(tmp) / "corpus", args.size_mb, seed=args.seed)}
            if args.like_sample:
                corpora["like_sample"] = corpus.generate_like_sample(Path(tmp) / "like", args.size_mb, seed=args.seed)
        results = {name: measure(paths, args.repeat, Path(tmp)) for name, paths in corpora.items()}
        if args.json:
            print(json.dumps(results))


if __name__ == "__main__":
    main()
