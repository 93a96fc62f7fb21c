"""Interleaved A/B of the warm search path (issue 25, round 2): one checkout's
etl.search.searcher on one warehouse, 50 latency queries (bench/search.py's), each once to
warm and once timed, through etl.storage.readers.open_reader, as `etl search` runs them.

    python bench/issue25/ab.py REPO WAREHOUSE THREADS   # THREADS 0: DuckDB's default (2 here)

Run alternately with the main checkout on its warehouse and this one on its upgraded copy,
so that both see the same load (the machine is shared); prints one JSON line."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    repo, wh, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sys.path[:0] = [repo, repo + "/bench"]
    from search import latency_queries, timed

    import etl.storage.readers as readers
    from etl.search.query import parse
    from etl.search.searcher import rank, search

    confine = readers.confine

    def with_threads(con, data):
        if threads:
            con.execute(f"set threads={threads}")
        confine(con, data)

    readers.confine = with_threads
    queries = latency_queries()
    with readers.open_reader(Path(wh)) as con:
        path = timed(lambda q: search(con, parse(q)), queries)
        ranking = timed(lambda q: rank(con, parse(q)), queries)
    keep = ("median_ms", "p95_ms", "cpu_median_ms", "cpu_p95_ms", "load")
    print(json.dumps({"repo": Path(repo).name, "threads": threads, "path": {k: path[k] for k in keep},
                      "rank": {k: ranking[k] for k in keep if k in ranking}}))


if __name__ == "__main__":
    main()
