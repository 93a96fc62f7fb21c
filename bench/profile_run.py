"""Where the time of a run goes: the profile behind the numbers in bench/README.md.

    python bench/profile_run.py [--size-mb 50]

1. The extract stage of one worker (read, hash, decode, parse, raw rows, Parquet) under
   cProfile, on a generated corpus: the functions that take the time.
2. The fixed costs every run with new documents pays, each in a fresh process: starting
   Python with the `etl` package, and importing Great Expectations.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import corpus  # noqa: E402

from etl.core.reference import load_reference  # noqa: E402
from etl.core.settings import DEFAULT_MAX_BYTES  # noqa: E402
from etl.run import workers  # noqa: E402
from etl.run.inputs import Known  # noqa: E402


def _cold(code: str) -> float:
    """Best of three: seconds for a fresh interpreter to run `code`."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=float, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="etl-profile-") as tmp:
        paths = corpus.generate(Path(tmp) / "corpus", args.size_mb)
        size = sum(p.stat().st_size for p in paths)
        context = workers.WorkerContext(Known(), DEFAULT_MAX_BYTES, load_reference(), "profile", Path(tmp) / "raw")
        workers._init(context)
        task = list(enumerate(paths))
        profile = cProfile.Profile()
        start = time.perf_counter()
        profile.runcall(workers.work, task)
        seconds = time.perf_counter() - start
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats(r"etl[/\\]|hashlib|parquet|decode", 25)
    print(f"one worker, {size / 1e6:.0f} MB, {len(paths)} files, under cProfile: {seconds:.2f} s "
          f"({size / 1e6 / seconds:.1f} MB/s; without the profiler it runs about 1.5x faster)")
    print(out.getvalue())
    python = _cold("pass")
    cli = _cold("import etl.cli")
    pipeline = _cold("import etl.run.pipeline")
    gx = _cold("import great_expectations")
    print("fixed costs, fresh process, best of 3:")
    print(f"  python start                      {python:6.2f} s")
    print(f"  import etl.cli (etl --help)       {cli:6.2f} s")
    print(f"  import etl.run.pipeline (etl run)     {pipeline:6.2f} s")
    print(f"  import great_expectations         {gx:6.2f} s")


if __name__ == "__main__":
    main()
