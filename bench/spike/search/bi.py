"""Search for BI clients that load no extension: a BI file like published.duckdb (storage
v1.0.0, views over the exact Parquet files of one snapshot, etl/storage/publish.py) with the
lake index's tables as views and a table macro `search(q)` in plain SQL. The query's words are
folded (lower, strip_accents), split, and stemmed by looking them up in search_forms (every
word the index has seen -> its Snowball stem); a word never seen is kept as it is.

    .venv/bin/python bi.py write --wh W/wh                   # -> work/bi.duckdb
    .venv-duckdb11/bin/python bi.py query 'sanctions iran'   # run by DuckDB 1.1.3, no extension
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from common import HERE, STOP_WORDS, cpu_seconds, load

BI_FILE = HERE / "work" / "bi.duckdb"
TABLES = ("posts", "search_docs", "search_postings", "search_forms", "search_stats", "search_gone")

MACRO = f"""
create or replace macro search(q, max_hits := 10) as table
with words as (
    select distinct unnest(regexp_split_to_array(lower(strip_accents(q)), '[^a-z0-9]+')) as form
),
qt as (
    select row_number() over (order by w.form) as grp, coalesce(f.term, w.form) as term
    from words w left join search_forms f on f.form = w.form
    where w.form <> '' and w.form not in ({", ".join(f"'{w}'" for w in STOP_WORDS)})
),
p as (select term, doc, impact from search_postings where term in (select term from qt)),
df as (select term, count(*)::double as df from p group by term),
hits as (select p.*, qt.grp from p join qt using (term) anti join search_gone using (doc)),
cand as (select doc from hits group by doc having count(distinct grp) = (select count(*) from qt)),
ranked as (
    select h.doc, sum(ln(1 + (s.docs - df.df + 0.5) / (df.df + 0.5)) * h.impact / 255) as score
    from hits h semi join cand using (doc) join df using (term) cross join search_stats s
    group by h.doc
    order by score desc, h.doc
    limit max_hits
)
select d.post_id, p.title, p.published_on, round(r.score, 3) as score
from ranked r join search_docs d using (doc) join posts p using (post_id)
order by r.score desc, r.doc
"""


def write(wh: Path) -> None:
    sys.path.insert(0, str(HERE.parent.parent.parent))
    from common import attach_lake, duck

    from etl.core.schemas import literal
    from etl.storage.lake import _columns
    from etl.storage.publish import _columns_in, table_files, view_sql

    con = duck()
    attach_lake(con, wh)
    types = _columns(con, "lake")
    BI_FILE.unlink(missing_ok=True)
    con.execute(f"attach '{literal(BI_FILE)}' as bi (storage_version 'v1.0.0')")
    con.execute("use bi")
    for t in TABLES:
        files = table_files(con, t)
        con.execute(view_sql(t, types[t], _columns_in(con, files.files), files))
    con.execute(MACRO)
    con.execute("use memory")
    con.execute("detach bi")
    print(f"{BI_FILE}: {BI_FILE.stat().st_size} bytes")


def query(queries: list[str]) -> None:
    import duckdb

    con = duckdb.connect(str(BI_FILE), read_only=True,
                         config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    out = {"duckdb": duckdb.__version__,
           "extensions_loaded": [r[0] for r in con.execute(
               "select extension_name from duckdb_extensions() where loaded").fetchall()]}
    times, cpu, results = [], [], {}
    for q in queries * 2:  # the first pass warms
        c0, t0 = cpu_seconds(), time.perf_counter()
        rows = con.execute("select * from search(?)", [q]).fetchall()
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((cpu_seconds() - c0) * 1000)
        results[q] = [r[0] for r in rows]
    warm, warm_cpu = sorted(times[len(queries):]), sorted(cpu[len(queries):])
    p95 = int(0.95 * (len(warm) - 1))
    out |= {"queries": len(queries), "median_ms": round(statistics.median(warm), 1), "p95_ms": round(warm[p95], 1),
            "cpu_median_ms": round(statistics.median(warm_cpu), 1), "cpu_p95_ms": round(warm_cpu[p95], 1),
            "load": load(), "results": results}
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("step", choices=("write", "query"))
    ap.add_argument("queries", nargs="*")
    ap.add_argument("--wh", type=Path)
    args = ap.parse_args()
    if args.step == "write":
        write(args.wh)
    else:
        from spike import latency_queries

        query(args.queries or latency_queries())


if __name__ == "__main__":
    main()
