"""Benchmark of the lake's two catalogs: the SQLite file in the warehouse folder and a database
of a local PostgreSQL 15 (tests/pg.py starts one on 127.0.0.1, in a temporary folder).

    python bench/catalog.py [--size-mb 100] [--runs 3] [--work DIR]

On the same corpus (bench/corpus.py) for each catalog: a build by one `etl run` (the full
corpus), then `--runs` runs that each add ONE new document, the catalogs taking turns. For
each run: seconds, bytes the run's process tree wrote to disk (getrusage block writes, after a
sync), growth of the warehouse folder, and on PostgreSQL the WAL the server wrote and the
growth of the database. Writes bench/results/catalog-<UTC time>.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import corpus  # noqa: E402
import run  # noqa: E402
from run import ETL, RESULTS, checked, machine, measure  # noqa: E402
from storage import WRITTEN_WRAPPER, folder_bytes, one_document, sync  # noqa: E402

from tests.pg import PASSWORD, start_server  # noqa: E402


def etl_run(inputs: list[Path], wh: Path, what: str, server=None, url: str | None = None) -> dict:
    """One `etl run` into `wh` (with `url`, its catalog in PostgreSQL): seconds, bytes written."""
    with tempfile.TemporaryDirectory(prefix="etl-bench-io-") as tmp:
        out = Path(tmp) / "written"
        extra = ["--catalog", url] if url else []
        cmd = [sys.executable, "-c", WRITTEN_WRAPPER, str(out), *ETL, "run", *map(str, inputs), "--warehouse",
               str(wh), *extra]
        before = folder_bytes(wh) if wh.exists() else 0
        pg_before = _pg(server, url)
        sync()
        m = checked(measure(cmd), what)
        sync()
        written = int(out.read_text())
        pg_after = _pg(server, url)
    result = {"seconds": round(m.seconds, 2), "written_mb": round(written / 1e6, 2),
              "growth_mb": round((folder_bytes(wh) - before) / 1e6, 2)}
    if url:
        result["pg_wal_mb"] = round((pg_after[0] - pg_before[0]) / 1e6, 2)
        result["pg_database_growth_mb"] = round((pg_after[1] - pg_before[1]) / 1e6, 2)
    return result


def _pg(server, url: str | None) -> tuple[int, int]:
    """(WAL bytes written so far, the catalog database's size)."""
    if not url:
        return 0, 0
    db = url.rsplit("/", 1)[1]
    wal, size = server.psql(f"select pg_current_wal_lsn() - '0/0'::pg_lsn, pg_database_size('{db}')").split("|")
    return int(float(wal)), int(size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=100)
    parser.add_argument("--runs", type=int, default=3, help="one-document runs per catalog")
    parser.add_argument("--work", type=Path, help="work folder, kept (default: a temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="etl-bench-catalog-"))
    work.mkdir(parents=True, exist_ok=True)
    src = work / f"corpus-{args.size_mb:g}"
    paths = sorted(src.rglob("*.txt")) if src.exists() else corpus.generate(src, args.size_mb)
    pg_folder = Path(tempfile.mkdtemp(prefix="etl-bench-pg-"))
    server = start_server(pg_folder)
    if server is None:
        sys.exit("no PostgreSQL binaries (apt-get install postgresql)")
    os.environ["PGPASSWORD"] = PASSWORD
    run.ENV["PGPASSWORD"] = PASSWORD  # the runs' environment (bench/run.py)
    try:
        catalogs = {"sqlite": None, "postgresql": server.new_database()}
        out: dict = {"machine": machine(), "size_mb": args.size_mb, "files": len(paths), "catalogs": {}}
        for name, url in catalogs.items():
            wh = work / f"wh-{name}"
            shutil.rmtree(wh, ignore_errors=True)
            out["catalogs"][name] = {"build": etl_run([src], wh, f"build on {name}", server, url), "one_document": []}
        for k in range(args.runs):
            new = one_document(src, paths, k, work)
            for name, url in catalogs.items():
                out["catalogs"][name]["one_document"].append(
                    etl_run([new], work / f"wh-{name}", f"one document {k} on {name}", server, url))
        if catalogs["postgresql"]:
            db = catalogs["postgresql"].rsplit("/", 1)[1]
            out["pg_database_mb"] = round(int(server.psql(f"select pg_database_size('{db}')")) / 1e6, 2)
    finally:
        server.stop()
        shutil.rmtree(pg_folder, ignore_errors=True)
    for name, r in out["catalogs"].items():
        b = r["build"]
        print(f"{name:>10}: build {b['seconds']} s, {b['written_mb']} MB written, folder +{b['growth_mb']} MB"
              + (f", WAL {b['pg_wal_mb']} MB, database +{b['pg_database_growth_mb']} MB" if "pg_wal_mb" in b else ""))
        for o in r["one_document"]:
            print(f"{'':>10}  one document: {o['seconds']} s, {o['written_mb']} MB written, folder +{o['growth_mb']} MB"
                  + (f", WAL {o['pg_wal_mb']} MB" if "pg_wal_mb" in o else ""))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"catalog-{stamp}.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
