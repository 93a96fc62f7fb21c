"""Spike: full-text search engines for the warehouse (issue 25), measured on the bench's
1,000,000-post warehouse. A record of a measurement, not the product.

Reproduce (from bench/spike/search/, a venv of its own; the repository's .venv runs etl):
    python3 -m venv .venv
    .venv/bin/pip install --only-binary=:all: duckdb==1.5.5 duckdb-extension-fts==1.5.5 \
        duckdb-extension-ducklake==1.5.5 duckdb-extension-sqlite==1.5.5 tantivy==0.27.0 PyStemmer==3.1.0 pyarrow
    # the warehouse (see RESULTS.md): three runs of the repository's etl
    ../../../.venv/bin/python ../../corpus.py W/posts-corpus --posts 1000000
    etl run W/posts-corpus --warehouse W/wh                             # snapshot A: 1,000,000 posts
    etl run ../../../../shared/data/real-pages ../../../data/sample --warehouse W/wh   # snapshot B: + the real posts
    ../../../.venv/bin/python -c "import sys; sys.path.insert(0, '../..'); import corpus, pathlib; \
        corpus.generate_days(pathlib.Path('W/one-doc'), range(5000, 5001), limit=1)"
    etl run W/one-doc --warehouse W/wh       # snapshot C: one listing page, 11 new posts
    .venv/bin/python spike.py all --wh W/wh  # build + update, queries, cold: -> results/<engine>.json
    .venv/bin/python spike.py requery lakefiles --wh W/wh   # queries again (-> results/<engine>-requery.json);
                                             # lakefiles = the lake index read through views of its files
    .venv/bin/python bi.py write --wh W/wh   # a published.duckdb-like file with the search() macro
    python3 -m venv .venv-duckdb11 && .venv-duckdb11/bin/pip install --only-binary=:all: duckdb==1.1.3
    .venv-duckdb11/bin/python bi.py query > results/bi-duckdb-1.1.3.json   # the 50 queries, no extension

Each engine runs in child processes of its own (build + update; queries; cold queries), so
ru_maxrss is that engine's own. The index is built at snapshot B and updated to C (the posts
table_changes between them).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from random import Random

from common import (
    HERE,
    STOP_SET,
    Meter,
    attach_lake,
    bodies_bytes,
    duck,
    folder_bytes,
    latency,
    load,
    peak_rss_mb,
    reset_peak_rss,
    rss_mb,
    save,
    snapshots,
)

WORK = HERE / "work"
ENGINES = ("lake", "tantivy", "fts")


def engine(name: str):
    return __import__(f"engine_{name}")


def index_folder(name: str, wh: Path) -> Path:
    return wh / "data" / "main" if name == "lake" else WORK / name


def index_size(name: str, wh: Path) -> int:
    if name == "lake":
        return engine("lake").index_bytes(wh)
    return folder_bytes(WORK / name)


# ----------------------------------------------------------------------------- query sets

def latency_queries() -> list[str]:
    """50 queries from the words of the bundled sample (the text the bench bodies are cut
    from), seeded: 15 random words, 10 frequent ones, 10 pairs and 5 triples of one sentence,
    4 phrases (two adjacent words), 3 exclusions, 3 ORs."""
    text = Path(HERE.parent.parent.parent / "data" / "sample").glob("*.txt")
    sentences = []
    for path in sorted(text):
        for line in path.read_text(encoding="utf-8").splitlines():
            if len(line.split()) >= 15:
                sentences += [s for s in re.split(r"(?<=[.!?])\s+", line)]
    toks = [[w for w in re.findall(r"[A-Za-z]+", s)] for s in sentences]
    content = [[w for w in ws if w.lower() not in STOP_SET and len(w) >= 3] for ws in toks]
    freq = Counter(w.lower() for ws in content for w in ws)
    distinct = sorted(freq)
    common = [w for w, _ in freq.most_common(200)]
    rng = Random(25)
    out = [rng.choice(distinct) for _ in range(15)] + [rng.choice(common) for _ in range(10)]
    long_enough = [ws for ws in content if len(ws) >= 3]
    out += [" ".join(rng.sample(rng.choice(long_enough), 2)) for _ in range(10)]
    out += [" ".join(rng.sample(rng.choice(long_enough), 3)) for _ in range(5)]
    pairs = [(a, b) for ws in toks for a, b in zip(ws, ws[1:])
             if a.lower() not in STOP_SET and b.lower() not in STOP_SET and len(a) > 2 and len(b) > 2]
    out += [f'"{a} {b}"' for a, b in rng.sample(pairs, 4)]
    out += [f"{a} -{b}" for a, b in (rng.sample(common, 2) for _ in range(3))]
    out += [f"{a} OR {b}" for a, b in (rng.sample(distinct, 2) for _ in range(3))]
    return out


def known_items(wh: Path, run_id: str) -> list[dict]:
    """50 real posts (the real pages and the sample, loaded by run `run_id`) whose title no
    other post has and has at least 3 content words, by post_id. Two queries each: the
    title's content words ('title'), and its 3 longest content words ('3 words')."""
    con = duck()
    attach_lake(con, wh)
    rows = con.execute("select post_id, title from lake.posts p where run_id = ? and "
                       "(select count(*) from lake.posts q where q.title = p.title) = 1 order by post_id",
                       [run_id]).fetchall()
    out = []
    for pid, title in rows:
        ws = [w for w in re.findall(r"[^\W_]+", title) if w.lower() not in STOP_SET]
        if len(ws) < 3:
            continue
        longest = sorted(ws, key=lambda w: -len(w))[:3]
        out.append({"post_id": pid, "title": title, "title_query": " ".join(ws),
                    "words_query": " ".join(w for w in ws if w in longest)})
    return out[:50]


def rank_quality(search, items: list[dict], key: str) -> dict:
    ranks = []
    for it in items:
        got = search(it[key])
        ranks.append(got.index(it["post_id"]) + 1 if it["post_id"] in got else None)
    n = len(ranks)
    return {"queries": n, "first": sum(r == 1 for r in ranks), "top3": sum(r is not None and r <= 3 for r in ranks),
            "first_pct": round(100 * sum(r == 1 for r in ranks) / n, 1),
            "top3_pct": round(100 * sum(r is not None and r <= 3 for r in ranks) / n, 1),
            "misses": [{"query": it[key], "rank": r} for it, r in zip(items, ranks) if r != 1]}


# ----------------------------------------------------------------------------- workers

def do_build(name: str, wh: Path) -> dict:
    snaps = snapshots(wh)
    b, c = snaps[-2][0], snaps[-1][0]
    mod = engine(name)
    folder = index_folder(name, wh)
    out: dict = {"engine": name, "snapshot_built": b, "snapshot_updated_to": c}
    reset_peak_rss()
    rss0 = rss_mb()
    with Meter(folder if name != "lake" else None) as m:
        out["build_info"] = mod.build(wh, b, WORK / name if name != "lake" else WORK)
    out["build"] = m.as_dict() | {"peak_rss_mb": round(peak_rss_mb()), "rss_before_mb": round(rss0)}
    out["index_bytes"] = index_size(name, wh)
    out["lake_sqlite_bytes"] = (wh / "lake.sqlite").stat().st_size
    reset_peak_rss()
    size0 = out["index_bytes"]
    with Meter() as m:
        out["update_info"] = mod.update(wh, b, c, WORK / name if name != "lake" else WORK)
    out["update"] = m.as_dict() | {"peak_rss_mb": round(peak_rss_mb()),
                                   "index_growth_bytes": index_size(name, wh) - size0,
                                   "lake_sqlite_growth_bytes": (wh / "lake.sqlite").stat().st_size
                                   - out["lake_sqlite_bytes"]}
    out["index_bytes_after_update"] = index_size(name, wh)
    return out


def searcher(name: str, wh: Path):
    if name == "lakefiles":  # the lake index read through views of its files (engine_lake.FileSearcher)
        return engine("lake").FileSearcher(wh)
    mod = engine(name)
    return mod.Searcher(wh) if name == "lake" else mod.Searcher(WORK / name)


def do_queries(name: str, wh: Path) -> dict:
    snaps = snapshots(wh)
    reset_peak_rss()
    t0 = time.perf_counter()
    s = searcher(name, wh)
    out: dict = {"engine": name, "open_seconds": round(time.perf_counter() - t0, 3)}
    qs = latency_queries()
    out["latency"] = latency(s.search, qs)
    per_query = {}
    for q in qs:
        t = time.perf_counter()
        hits = s.search(q)
        per_query[q] = {"ms": round((time.perf_counter() - t) * 1000, 1), "hits": len(hits), "top": hits}
    out["per_query"] = per_query
    items = known_items(wh, snaps[-2][1])
    out["known_items"] = {k: rank_quality(s.search, items, k) for k in ("title_query", "words_query")}
    out["peak_rss_mb"] = round(peak_rss_mb())
    return out


def do_cold(name: str, wh: Path, query: str) -> None:
    t0 = time.perf_counter()
    hits = searcher(name, wh).search(query)
    print(json.dumps({"hits": hits, "in_process_seconds": time.perf_counter() - t0, "peak_rss_mb": peak_rss_mb()}))


def cold(name: str, wh: Path, queries: list[str]) -> dict:
    """A new process per query (interpreter start, imports, open, one query): wall time and
    the child's CPU time."""
    import resource

    times, cpu, rss = [], [], []
    for q in queries:
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        res = subprocess.run([sys.executable, __file__, "cold", name, "--wh", str(wh), "--query", q],
                             capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
        rss.append(json.loads(res.stdout)["peak_rss_mb"])
    return {"runs": len(times), "median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3),
            "cpu_median_s": round(statistics.median(cpu), 3), "peak_rss_mb": round(max(rss)), "load": load()}


def child(step: str, name: str, wh: Path) -> dict:
    res = subprocess.run([sys.executable, __file__, step, name, "--wh", str(wh)], capture_output=True, text=True)
    if res.returncode:
        return {"error": res.stderr[-3000:]}
    return json.loads(res.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("step", choices=("all", "build", "queries", "cold", "requery"))
    ap.add_argument("engine", nargs="?", choices=(*ENGINES, "lakefiles"))
    ap.add_argument("--wh", type=Path, required=True)
    ap.add_argument("--query")
    args = ap.parse_args()
    WORK.mkdir(exist_ok=True)
    (WORK / "spill").mkdir(exist_ok=True)
    if args.step == "build":
        print(json.dumps(do_build(args.engine, args.wh)))
    elif args.step == "queries":
        print(json.dumps(do_queries(args.engine, args.wh)))
    elif args.step == "cold":
        do_cold(args.engine, args.wh, args.query)
    elif args.step == "requery":  # the queries again (a quieter machine), beside the build's figures
        for name in [args.engine] if args.engine else ENGINES:
            res = {"started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "load_at_start": load()}
            res["queries"] = child("queries", name, args.wh)
            res["cold"] = cold(name, args.wh, latency_queries()[::10])
            save(f"{name}-requery", res)
            print(name, json.dumps(res)[:600], flush=True)
    else:
        names = [args.engine] if args.engine else ENGINES
        con = duck()
        attach_lake(con, args.wh, snapshot=snapshots(args.wh)[-2][0])
        save("input", bodies_bytes(con) | {"snapshots": snapshots(args.wh)})
        con.close()
        for name in names:
            res = {"started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "load_at_start": load()}
            res["build"] = child("build", name, args.wh)
            save(name, res)
            if "error" not in res["build"]:
                res["queries"] = child("queries", name, args.wh)
                res["cold"] = cold(name, args.wh, latency_queries()[::10])
            save(name, res)
            print(name, json.dumps(res)[:2000], flush=True)


if __name__ == "__main__":
    main()
