"""Benchmark of search (issue 25) on a large warehouse, against the issue's targets.

    python bench/search.py --warehouse W [--work DIR] [--posts 1000000]

W is the bench's report warehouse: `bench/corpus.py DIR --posts 1000000`, then `etl run DIR
-w W` (made here if W does not exist). Then, each step once (skipped if done before):
1. known items: `etl run ../shared/data/real-pages data/sample` (the real posts: the
   synthetic titles carry a post number, which alone would find them);
2. a one-document run: one new listing page (bench/corpus.generate_days, 11 posts): the
   index's own seconds (its log line), the bytes the run's process tree wrote, the bytes of
   the index files it added;
3. the index's size (the live files of search_*) against the bodies' text (sum of strlen);
4. 50 queries from the sample's words (seeded), warm in one process through the path
   `etl search` takes (etl.storage.readers.open_reader, etl.search.searcher.search):
   median and p95, wall and CPU; the ranking alone (post ids, no titles or snippets: what
   the spike measured); the whole path through a connection with Parquet footers cached;
5. the cold `etl search` process, 5 times;
6. 50 known-item queries (the real posts with a unique title of 3+ words): the title's
   words as typed, and its 3 longest words: ranked first, in the top 3.
Writes bench/results/search-<UTC time>.json and prints it. The machine is shared: the load
average is recorded beside each timing, and CPU times beside wall times.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import corpus  # noqa: E402
from storage import WRITTEN_WRAPPER, sync  # noqa: E402

ETL = [sys.executable, "-m", "etl.cli"]
REAL_PAGES = ROOT.parent / "shared" / "data" / "real-pages"
SAMPLE = ROOT / "data" / "sample"
RESULTS = ROOT / "bench" / "results"
ONE_DOC_DAY = 5000


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run(cmd: list, what: str) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], cwd=ROOT, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        sys.exit(f"{what} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def lake_sql(wh: Path, query: str, params: list | None = None) -> list[tuple]:
    from etl.core.duck import connect
    from etl.storage import lake

    with connect() as con:
        lake.attach(con, wh, read_only=True)
        con.execute("use lake")
        return con.execute(query, params).fetchall()


def index_files(wh: Path) -> dict[str, int]:
    """The live data and delete files of the index tables, with their sizes."""
    out = {}
    for table in ("search_docs", "search_postings", "search_forms", "search_stats"):
        for data, size, delete, dsize in lake_sql(
                wh, "select data_file, data_file_size_bytes, delete_file, delete_file_size_bytes "
                    "from ducklake_list_files('lake', ?)", [table]):
            out[data] = size
            if delete:
                out[delete] = dsize
    return out


def build(wh: Path, work: Path, posts: int) -> dict:
    folder = work / "posts-corpus"
    if not folder.exists():
        corpus.generate_posts_corpus(folder, posts)
    t = time.perf_counter()
    done = run([*ETL, "run", folder, "-w", wh], "the first run")
    return {"seconds": round(time.perf_counter() - t, 1), "load": load(), "stdout_tail": done.stdout[-400:]}


def known_items_run(wh: Path) -> str:
    """The run that loaded the real pages (made now if none did)."""
    found = lake_sql(wh, "select run_id from runs where documents_new between 2 and 1000 order by started_at")
    if found:
        return found[0][0]
    if not REAL_PAGES.is_dir():
        sys.exit(f"no real pages at {REAL_PAGES}: the known-item queries need them")
    run([*ETL, "run", REAL_PAGES, SAMPLE, "-w", wh], "the known-items run")
    return known_items_run(wh)


def one_document_run(wh: Path, work: Path, day: int) -> dict:
    folder = work / f"one-doc-{day}"
    if not folder.exists():
        corpus.generate_days(folder, range(day, day + 1), limit=1)
    before = index_files(wh)
    with tempfile.TemporaryDirectory(prefix="etl-bench-io-") as tmp:
        out = Path(tmp) / "written"
        sync()
        t, load0 = time.perf_counter(), load()
        done = run([sys.executable, "-c", WRITTEN_WRAPPER, out, *ETL, "run", folder, "-w", wh, "--log-format",
                    "json"], "the one-document run")
        seconds = time.perf_counter() - t
        sync()
        written = int(out.read_text())
    events = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    indexed = next((e for e in events if e.get("event") == "search index"), None)
    after = index_files(wh)
    added = {f: s for f, s in after.items() if f not in before}
    return {"run_seconds": round(seconds, 2), "load": f"{load0} -> {load()}", "index": indexed,
            "process_tree_written_bytes": written, "index_files_added": len(added),
            "index_files_added_bytes": sum(added.values()), "index_bytes_after": sum(after.values())}


def latency_queries() -> list[str]:
    """50 queries from the words of the bundled sample (the text the bench bodies are cut
    from), seeded: 15 random words, 10 frequent ones, 10 pairs and 5 triples of one sentence,
    4 phrases (two adjacent words), 3 exclusions, 3 ORs (bench/spike/search's set)."""
    from etl.search.analyze import STOP_WORDS

    sentences = []
    for path in sorted(SAMPLE.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if len(line.split()) >= 15:
                sentences += re.split(r"(?<=[.!?])\s+", line)
    toks = [re.findall(r"[A-Za-z]+", s) for s in sentences]
    content = [[w for w in ws if w.lower() not in STOP_WORDS and len(w) >= 3] for ws in toks]
    freq = Counter(w.lower() for ws in content for w in ws)
    distinct, common = sorted(freq), [w for w, _ in freq.most_common(200)]
    rng = Random(25)
    out = [rng.choice(distinct) for _ in range(15)] + [rng.choice(common) for _ in range(10)]
    long_enough = [ws for ws in content if len(ws) >= 3]
    out += [" ".join(rng.sample(rng.choice(long_enough), 2)) for _ in range(10)]
    out += [" ".join(rng.sample(rng.choice(long_enough), 3)) for _ in range(5)]
    pairs = [(a, b) for ws in toks for a, b in itertools.pairwise(ws)
             if a.lower() not in STOP_WORDS and b.lower() not in STOP_WORDS and len(a) > 2 and len(b) > 2]
    out += [f'"{a} {b}"' for a, b in rng.sample(pairs, 4)]
    out += [f"{a} -{b}" for a, b in (rng.sample(common, 2) for _ in range(3))]
    out += [f"{a} OR {b}" for a, b in (rng.sample(distinct, 2) for _ in range(3))]
    return out


def timed(fn, queries: list[str]) -> dict:
    """Each query once to warm, then once timed: median, p95, max; wall and CPU ms."""
    for q in queries:
        fn(q)
    wall, used = [], []
    load0 = load()
    for q in queries:
        c, t = cpu(), time.perf_counter()
        fn(q)
        wall.append((time.perf_counter() - t) * 1000)
        used.append((cpu() - c) * 1000)
    wall.sort()
    used.sort()
    p95 = int(0.95 * (len(wall) - 1))
    return {"queries": len(wall), "median_ms": round(statistics.median(wall), 1), "p95_ms": round(wall[p95], 1),
            "max_ms": round(wall[-1], 1), "cpu_median_ms": round(statistics.median(used), 1),
            "cpu_p95_ms": round(used[p95], 1), "load": f"{load0} -> {load()}"}


def warm(wh: Path, queries: list[str]) -> dict:
    from etl.core.duck import connect
    from etl.search.query import parse
    from etl.search.searcher import rank, search
    from etl.storage.readers import Reader, open_reader

    out = {}
    with open_reader(wh) as con:
        out["etl_search_path"] = timed(lambda q: search(con, parse(q)), queries)
        # what the spike measured: the ranked post ids, without titles, bodies and snippets
        out["ranking_only"] = timed(lambda q: rank(con, parse(q)), queries)
    cached = connect()  # the published file with Parquet footers cached between queries
    cached.execute("set parquet_metadata_cache = true")
    cached.execute(f"attach '{wh / 'published.duckdb'}' as published (read_only)")
    cached.execute("use published")
    out["footers_cached"] = timed(lambda q: search(Reader(cached), parse(q)), queries)
    cached.close()
    return out


def cold(wh: Path, queries: list[str], n: int = 5) -> dict:
    times = []
    for q in queries[:n]:
        t = time.perf_counter()
        run([*ETL, "search", "-w", wh, "--", q], "etl search")
        times.append(time.perf_counter() - t)
    return {"runs": n, "median_s": round(statistics.median(times), 2), "max_s": round(max(times), 2),
            "load": load(), "queries": queries[:n]}


def known_items(wh: Path, run_id: str) -> dict:
    from etl.search.analyze import STOP_WORDS
    from etl.search.query import parse
    from etl.search.searcher import search
    from etl.storage.readers import open_reader

    posts = lake_sql(wh, "select post_id, title from posts p where run_id = ? and "
                         "(select count(*) from posts q where q.title = p.title) = 1 order by post_id", [run_id])
    items = []
    for post_id, title in posts:
        words = [w for w in re.findall(r"[^\W_]+", title) if w.casefold() not in STOP_WORDS]
        if len(words) >= 3:
            longest = sorted(words, key=len, reverse=True)[:3]
            items.append((post_id, " ".join(words), " ".join(w for w in words if w in longest)))
    items = items[:50]
    out: dict = {"items": len(items)}
    with open_reader(wh) as con:
        for name, k in (("title", 1), ("3 words", 2)):
            ranks = []
            for item in items:
                found = [h.post_id for h in search(con, parse(item[k]), limit=10)]
                ranks.append(found.index(item[0]) + 1 if item[0] in found else None)
            out[name] = {"first": sum(r == 1 for r in ranks) / len(items),
                         "top3": sum(r is not None and r <= 3 for r in ranks) / len(items),
                         "misses": [(items[i][k], r) for i, r in enumerate(ranks) if r != 1]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--warehouse", type=Path, required=True)
    ap.add_argument("--work", type=Path, help="where the corpus and the one-document page go (default: beside W)")
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--skip-one-doc", action="store_true", help="no one-document run (it adds 11 posts each time)")
    ap.add_argument("--one-doc-day", type=int, default=ONE_DOC_DAY,
                    help="the corpus day of the one-document run's page (a page already loaded adds nothing)")
    args = ap.parse_args()
    wh, work = args.warehouse, args.work or args.warehouse.parent
    result: dict = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "warehouse": str(wh),
                    "cpus": os.cpu_count()}
    if not (wh / "lake.sqlite").exists():
        result["build"] = build(wh, work, args.posts)
    result["known_items_run"] = known_items_run(wh)
    if not args.skip_one_doc:
        result["one_document_run"] = one_document_run(wh, work, args.one_doc_day)
    (posts, body), = lake_sql(wh, "select count(*), sum(strlen(body)) from posts")
    index = sum(index_files(wh).values())
    result["size"] = {"posts": posts, "bodies_text_bytes": int(body), "index_bytes": index,
                      "index_to_bodies": round(index / body, 3)}
    queries = latency_queries()
    result["warm"] = warm(wh, queries)
    result["cold_etl_search"] = cold(wh, queries)
    result["known_items"] = known_items(wh, result["known_items_run"])
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"search-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1, default=str))
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
