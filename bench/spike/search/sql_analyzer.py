"""Could DuckDB split the posts into words faster than the index's Python analyzer?
(bench/README.md, round 7.) Both on the same posts, one after the other, CPU seconds of this
process (DuckDB's threads included):

- python: etl/search/index.py `analyze_batch` over every post, 500 at a time, in this process
  (the run spreads the batches over its cores; the CPU is the same);
- sql: the words of every title and body as rows (doc, field, position, word) by
  `regexp_extract_all(lower(text), '[a-z0-9]+')` and `unnest`, on 2 threads: only the first
  step of the analysis (ASCII texts only: lower() is the fold there), before any stemming,
  grouping or sorting.

    .venv/bin/python bench/spike/search/sql_analyzer.py WAREHOUSE   # a warehouse `etl run` built
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import duckdb

from etl.search.index import BATCH, analyze_batch


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(name: str, work) -> None:
    wall, started = time.perf_counter(), cpu()
    detail = work()
    print(f"{name}: {time.perf_counter() - wall:.1f} s wall, {cpu() - started:.1f} CPU s; {detail}", flush=True)


def main(warehouse: Path) -> None:
    con = duckdb.connect()
    con.execute("set threads = 2")
    con.execute("set memory_limit = '4GB'")
    con.execute("create table posts as select row_number() over (order by post_id) - 1 as doc, post_id, title, "
                f"body, posted_on from read_parquet('{warehouse}/data/main/posts/**/*.parquet')")
    (posts, mb), = con.execute("select count(*), (sum(strlen(title)) + sum(strlen(body))) / 1e6 from posts").fetchall()
    print(f"{posts} posts, {mb:.1f} MB of titles and bodies")

    def python() -> str:
        reader = con.execute("select post_id, title, body, posted_on from posts order by doc").to_arrow_reader(BATCH)
        postings = sum(analyze_batch(b.to_pydict(), 0, 10.0, 400.0)[1].num_rows for b in reader if b.num_rows)
        return f"{postings:,} postings"

    def sql() -> str:
        con.execute("""
            create temp table words as
            select doc, 0::tinyint as field, unnest(w) as word, unnest(range(len(w))) as pos
            from (select doc, regexp_extract_all(lower(title), '[a-z0-9]+') as w from posts)
            union all
            select doc, 1::tinyint, unnest(w), unnest(range(len(w)))
            from (select doc, regexp_extract_all(lower(body), '[a-z0-9]+') as w from posts)""")
        (words,), = con.execute("select count(*) from words").fetchall()
        return f"{words:,} words"

    timed("python: the whole analysis", python)
    timed("sql: the words alone", sql)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
