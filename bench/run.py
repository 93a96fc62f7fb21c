"""Benchmark: throughput, memory and incremental cost of `etl run`, and query latency.

    python bench/run.py [--size-mb 300] [--corpus like-sample|days] [--posts 1000000] [--memory-sizes 100,1000]
                        [--jobs N] [--compare-with WH_OR_EXPORT] [--export DIR]
    python bench/run.py --smoke        # = --size-mb 5 --posts 20000 --memory-sizes 5,10 --clean-mb 5

Generates a deterministic corpus (bench/corpus.py; by default pages like the sample), then
measures real subprocesses (`python -m etl.cli ...`, cwd the repository, CI=true): a floor
(read, decode and one regex pass over every file), the naive script (bench/naive.py), the parse
speed of one process on that corpus and on a day-dump corpus (bench/extract_speed.py), a full
run, a no-op re-run, a one-document run, a run with 1% new documents, full runs
on corpora of other sizes (is memory flat?), `etl --help`, `etl report` and each report's
query on a warehouse of `--posts` posts. Every run's peak memory is taken from the OS: the
largest single process (`/usr/bin/time -f %M`) and the sum over the process tree (PSS of
every descendant, sampled every 50 ms). Prints a table and the targets met, and writes
bench/results/<UTC time>.json and bench/results/latest.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import corpus  # noqa: E402

RESULTS = ROOT / "bench" / "results"
ENV = {**os.environ, "CI": "true"}
ETL = [sys.executable, "-m", "etl.cli"]
TIME = Path("/usr/bin/time")
MB = 1_000_000
# The floor: read, decode and one pass of the footer regex over every file, nothing else.
FLOOR = r"""
import json, re, sys
from pathlib import Path
footer = re.compile(r"^[A-Za-z]{3,9}\.? \d{1,2}, \d{4} Posted by", re.MULTILINE)
size = footers = 0
for path in sorted(Path(sys.argv[1]).rglob("*.txt")):
    data = path.read_bytes()
    size += len(data)
    footers += sum(1 for _ in footer.finditer(data.decode("utf-8")))
print(json.dumps({"bytes": size, "footers": footers}))
"""
# Without /usr/bin/time: run the command, then write the largest RSS of its process tree (KB).
MAXRSS_WRAPPER = r"""
import resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""


# ---- peak memory of a process tree, from /proc ----

def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as f:
                    ppid = int(f.read().rpartition(")")[2].split()[1])
            except (OSError, ValueError, IndexError):
                continue  # the process ended meanwhile
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _rss_kb(pid: int) -> int:
    """The process's proportional set size (PSS): its private memory plus its share of pages
    it shares with others. Worker processes forked from the run share its libraries; summing
    their RSS would count those pages once per process, summing PSS counts them once."""
    for path, key in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith(key):
                        return int(line.split()[1])
        except OSError:
            continue
    return 0


class TreeRss:
    """Samples the summed PSS of every descendant of `root` (not `root` itself: the timing
    wrapper) every `interval` seconds in a thread; `peak_kb` is the largest sum seen."""

    def __init__(self, root: int, interval: float = 0.05) -> None:
        self.root, self.interval, self.peak_kb = root, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(p) for p in _descendants(self.root)))
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Measured:
    seconds: float
    returncode: int
    stdout: str
    stderr: str
    rss_single_mb: float | None  # the largest single process of the tree
    rss_tree_mb: float  # the peak of the sum over the tree
    cpu_seconds: float = 0.0  # user + system time of the whole process tree
    written_bytes: int = 0  # bytes the tree wrote to block devices (ru_oublock * 512)
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average at its start and end


def measure(cmd: list[str]) -> Measured:
    """Run `cmd` (cwd the repository, CI=true): wall time, output, peak RSS single and tree."""
    with tempfile.TemporaryDirectory(prefix="etl-bench-rss-") as tmp:
        out = Path(tmp) / "maxrss"
        if TIME.exists():
            wrapped = [str(TIME), "-f", "%M", "-o", str(out), *cmd]
        else:
            wrapped = [sys.executable, "-c", MAXRSS_WRAPPER, str(out), *cmd]
        load = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.Popen(wrapped, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        with TreeRss(proc.pid) as tree:
            stdout, stderr = proc.communicate()
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        lines = out.read_text().split() if out.exists() else []
        single = int(lines[-1]) / 1024 if lines and lines[-1].isdigit() else None
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return Measured(seconds, proc.returncode, stdout, stderr, single, tree.peak_kb / 1024, cpu,
                    (after.ru_oublock - before.ru_oublock) * 512, (load, os.getloadavg()[0]))


def checked(m: Measured, what: str) -> Measured:
    if m.returncode != 0:
        print(f"\n{what} exited {m.returncode}\n--- stdout\n{m.stdout}\n--- stderr\n{m.stderr}", file=sys.stderr)
        raise SystemExit(f"benchmark failed: {what}")
    return m


def etl_run(inputs: list[Path], wh: Path, jobs: int | None, what: str, *options: str) -> tuple[Measured, dict]:
    """`etl run INPUTS --warehouse WH OPTIONS`; returns the measurement and the run summary."""
    summary = wh.parent / f"{wh.name}-summary.json"
    cmd = [*ETL, "run", *map(str, inputs), "--warehouse", str(wh), "--summary-json", str(summary), *options]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    m = checked(measure(cmd), what)
    return m, json.loads(summary.read_text(encoding="utf-8"))


def best_of(n: int, cmd: list[str], what: str) -> Measured:
    return min((checked(measure(cmd), what) for _ in range(n)), key=lambda m: m.seconds)


# ---- results ----

@dataclass
class Row:
    name: str
    seconds: float | None = None
    mb: float | None = None  # input size, for MB/s
    posts: int | None = None  # posts read, for posts/s
    rss_single_mb: float | None = None
    rss_tree_mb: float | None = None
    note: str = ""
    etl_run: bool = False  # an `etl run`: counts for the peak-memory target
    cpu_seconds: float | None = None  # of the process tree
    load: tuple[float, float] | None = None  # 1-minute load average at start and end

    def as_dict(self, floor_mb_s: float | None) -> dict[str, Any]:
        """`ratio_to_floor`: seconds per MB over the floor's (for rows that read a corpus)."""
        per_s = lambda n: round(n / self.seconds, 1) if n is not None and self.seconds else None  # noqa: E731
        mb_s = per_s(self.mb)
        return {
            "name": self.name, "seconds": None if self.seconds is None else round(self.seconds, 4),
            "mb_per_s": mb_s, "posts_per_s": per_s(self.posts),
            "ratio_to_floor": round(floor_mb_s / (self.mb / self.seconds), 2) if floor_mb_s and mb_s else None,
            "rss_single_mb": None if self.rss_single_mb is None else round(self.rss_single_mb),
            "rss_tree_mb": None if self.rss_tree_mb is None else round(self.rss_tree_mb), "note": self.note,
            "cpu_seconds": None if self.cpu_seconds is None else round(self.cpu_seconds, 2),
            "load": None if self.load is None else f"{self.load[0]:.1f}-{self.load[1]:.1f}",
        }


def measured_row(name: str, m: Measured, mb: float | None = None, posts: int | None = None, note: str = "",
                 etl_run: bool = True) -> Row:
    return Row(name, m.seconds, mb, posts, m.rss_single_mb, m.rss_tree_mb, note, etl_run, m.cpu_seconds, m.load)


def print_table(rows: list[dict]) -> None:
    head = ("measurement", "seconds", "CPU s", "load", "MB/s", "posts/s", "× floor", "RSS MB single", "PSS MB tree", "")
    fmt = lambda v, d=0: "" if v is None else f"{v:,.{d}f}" if isinstance(v, float | int) else str(v)  # noqa: E731
    table = [head] + [
        (r["name"], fmt(r["seconds"], 3), fmt(r.get("cpu_seconds"), 2), r.get("load") or "", fmt(r["mb_per_s"], 1),
         fmt(r["posts_per_s"]), fmt(r["ratio_to_floor"], 2),
         fmt(r["rss_single_mb"]), fmt(r["rss_tree_mb"]), r["note"])
        for r in rows
    ]
    widths = [max(len(t[i]) for t in table) for i in range(len(head))]
    for k, t in enumerate(table):
        cells = [t[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(t[1:-1], widths[1:-1], strict=True)] + [t[-1]]
        print("  ".join(cells).rstrip())
        if k == 0:
            print("  ".join("-" * w for w in widths[:-1]))


def machine() -> dict[str, Any]:
    import duckdb

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    ram_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(ram_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "duckdb": duckdb.__version__, "platform": platform.platform(),
            "peak_rss_single_from": "/usr/bin/time -f %M" if TIME.exists() else "getrusage(RUSAGE_CHILDREN)"}


def target(name: str, value: float | None, text: str, met: bool | None) -> dict[str, Any]:
    return {"target": name, "value": value, "goal": text, "met": met}


# ---- the benchmark ----

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=300, help="corpus size for the runs (MB)")
    parser.add_argument("--corpus", choices=("like-sample", "days"), default="like-sample",
                        help="the runs' corpus: pages like the sample (bench/corpus.py --like-sample) or day-dumps")
    parser.add_argument("--clean-mb", type=float, default=100,
                        help="size of the day-dump corpus whose parse speed is measured beside the runs' corpus")
    parser.add_argument("--compare-with", type=Path,
                        help="a warehouse or a bench/compare_tables.py export: are the full run's tables identical?")
    parser.add_argument("--export", type=Path, help="export the full run's tables here (bench/compare_tables.py)")
    parser.add_argument("--posts", type=int, default=1_000_000, help="posts in the warehouse of the report timings")
    parser.add_argument("--memory-sizes", default="100,1000", help="corpus sizes (MB) of the memory-flatness runs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, help="pass --jobs N to etl run")
    parser.add_argument("--cold-report", default="top_categories", help="report timed in a cold `etl report`")
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the corpora and warehouses")
    parser.add_argument("--smoke", action="store_true", help="small: --size-mb 5 --posts 20000 --memory-sizes 5,10")
    for part in ("floor", "naive", "parse", "runs", "memory", "help", "reports"):
        parser.add_argument(f"--skip-{part}", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.size_mb, args.posts, args.memory_sizes, args.clean_mb = 5, 20_000, "5,10", 5
    memory_sizes = [float(s) for s in args.memory_sizes.split(",") if s.strip()]

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if args.work:
        work = args.work / f"etl-bench-{stamp}"
        work.mkdir(parents=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="etl-bench-"))
    rows: list[Row] = []
    runs: dict[str, dict] = {}  # run summaries (documents, posts, timings) by measurement
    info: dict[str, Any] = {"machine": machine(), "started": stamp, "work": str(work),
                            "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}}
    print(f"work folder: {work}")
    try:
        start = time.perf_counter()
        like = args.corpus == "like-sample"
        paths = (corpus.generate_like_sample if like else corpus.generate)(work / "corpus", args.size_mb,
                                                                             seed=args.seed)
        gen_s = time.perf_counter() - start
        size_mb = sum(p.stat().st_size for p in paths) / MB
        info["corpus"] = {"kind": args.corpus, "size_mb": round(size_mb, 2), "documents": len(paths),
                          "seed": args.seed, "generate_seconds": round(gen_s, 2)}
        print(f"corpus ({args.corpus}): {len(paths):,} documents, {size_mb:,.1f} MB (generated in {gen_s:.1f} s)")

        floor_s = floor_mb_s = None
        if not args.skip_floor:
            m = checked(measure([sys.executable, "-c", FLOOR, str(work / "corpus")]), "floor")
            floor_s, floor_mb_s = m.seconds, size_mb / m.seconds
            footers = json.loads(m.stdout)["footers"]
            rows.append(measured_row("floor: read + decode + footer regex", m, size_mb, note=f"{footers:,} footers",
                                     etl_run=False))

        naive_s = None
        if not args.skip_naive:
            m = checked(measure([sys.executable, str(ROOT / "bench" / "naive.py"), str(work / "corpus"),
                                 str(work / "naive")]), "naive script")
            naive_s = m.seconds
            _NAIVE.append(m)
            rows.append(measured_row("naive script (bench/naive.py)", m, size_mb, json.loads(m.stdout)["posts"],
                                     etl_run=False))
            shutil.rmtree(work / "naive", ignore_errors=True)

        parse: dict[str, dict[str, float]] = {}
        if not args.skip_parse:
            if like:  # the day-dump corpus beside it
                corpus.generate(work / "clean-corpus", args.clean_mb, seed=args.seed)
            corpora = [(args.corpus, work / "corpus")] + ([("days", work / "clean-corpus")] if like else [])
            for name, folder in corpora:
                m = checked(measure([sys.executable, str(ROOT / "bench" / "extract_speed.py"), "--corpus", str(folder),
                                     "--repeat", "1", "--json"]), f"parse speed on {name}")
                parse[name] = json.loads(m.stdout.strip().splitlines()[-1])["corpus"]
                rows.append(Row(f"parse, one process ({name}, {parse[name]['mb']:.0f} MB)", note=(
                    f"{parse[name]['parse']:.1f} MB/s per core parse; {parse[name]['parse_rows']:.1f} with raw rows"),
                    cpu_seconds=m.cpu_seconds, load=m.load))
            if like:
                shutil.rmtree(work / "clean-corpus", ignore_errors=True)
            info["parse_mb_s_per_core"] = parse

        full, full_posts, noop, one_doc, extract_s, jobs = None, None, None, None, None, args.jobs or os.cpu_count()
        unindexed = None
        if not args.skip_runs:
            wh = work / "wh"
            full, summary = etl_run([work / "corpus"], wh, args.jobs, "full run")
            runs["full run"] = summary
            full_posts = summary["posts"].get("in_new_documents", summary["posts"]["new"])
            rows.append(measured_row("full run", full, size_mb, full_posts,
                                     f"{summary['documents']['new']:,} docs, {summary['posts']['new']:,} new posts"))
            rows += [Row(f"  {stage}", seconds) for stage, seconds in summary.get("timings", {}).items()]
            extract_s = summary.get("timings", {}).get("extract")
            if args.export:
                subprocess.run([sys.executable, str(ROOT / "bench" / "compare_tables.py"), "export", str(wh),
                                str(args.export)], check=True, cwd=ROOT)
            if args.compare_with:
                out = subprocess.run([sys.executable, str(ROOT / "bench" / "compare_tables.py"), "compare",
                                      str(args.compare_with), str(wh), "--names"], cwd=ROOT, capture_output=True,
                                     text=True)
                print(out.stdout)
                info["tables_identical"] = {"with": str(args.compare_with), "identical": out.returncode == 0,
                                            "tables": out.stdout.splitlines()}

            # the same run with search_index off (a warehouse of its own): what the index costs
            unindexed, summary = etl_run([work / "corpus"], work / "wh-no-index", args.jobs,
                                         "full run, search index off", "--no-search-index")
            runs["full run, search index off"] = summary
            rows.append(measured_row("full run, search index off", unindexed, size_mb, full_posts,
                                     f"{unindexed.seconds / full.seconds:.0%} of the full run"))
            rows += [Row(f"  {stage}", seconds) for stage, seconds in summary.get("timings", {}).items()]
            shutil.rmtree(work / "wh-no-index", ignore_errors=True)

            noop, summary = etl_run([work / "corpus"], wh, args.jobs, "no-op re-run")
            runs["no-op re-run"] = summary
            rows.append(measured_row("no-op re-run", noop, note=f"{noop.seconds / full.seconds:.1%} of the full run"))

            one = corpus.generate_days(work / "one", range(0, 1 << 30), seed=args.seed + 1000, limit=1)
            one_doc, summary = etl_run([*one], wh, args.jobs, "one-document run")
            runs["one-document run"] = summary
            rows.append(measured_row("one-document run", one_doc, note=(
                f"wrote {one_doc.written_bytes / MB:.1f} MB (ru_oublock of the tree); "
                f"{summary['posts']['new']:,} new posts")))

            count = max(1, round(len(paths) / 100))
            if like:  # the pages after the corpus's
                (work / "new").mkdir()
                new = [work / "new" / f"aletho-like-sample-{n:06d}.txt" for n in range(len(paths), len(paths) + count)]
                for n, path in enumerate(new, len(paths)):
                    path.write_text(corpus.like_sample_page(n, args.seed), encoding="utf-8")
            else:
                new = corpus.generate_days(work / "new", range(corpus.next_day(paths), 1 << 30), seed=args.seed,
                                           limit=count)
            new_mb = sum(p.stat().st_size for p in new) / MB
            m, summary = etl_run([work / "corpus", work / "new"], wh, args.jobs, "+1% run")
            runs["+1% new documents"] = summary
            rows.append(measured_row(f"+1% new documents ({len(new)} docs, all inputs)", m,
                                     note=f"{m.seconds / full.seconds:.1%} of the full run; "
                                          f"{new_mb:.1f} MB, {summary['posts']['new']:,} new posts"))
            rows += [Row(f"  {stage}", seconds) for stage, seconds in summary.get("timings", {}).items()]

        memory: dict[float, Row] = {}
        if not args.skip_memory:
            for size in memory_sizes:
                if full and size == args.size_mb:
                    memory[size] = measured_row(f"memory: {size:g} MB corpus (= full run)", full, size_mb, full_posts)
                else:
                    folder, wh = work / f"memory-{size:g}", work / f"memory-{size:g}-wh"
                    mem_paths = corpus.generate(folder, size, seed=args.seed)
                    mb = sum(p.stat().st_size for p in mem_paths) / MB
                    m, summary = etl_run([folder], wh, args.jobs, f"memory run {size:g} MB")
                    runs[f"memory {size:g} MB"] = summary
                    memory[size] = measured_row(f"memory: {size:g} MB corpus, full run", m, mb,
                                                summary["posts"].get("in_new_documents"))
                    if not args.keep:
                        shutil.rmtree(folder)
                        shutil.rmtree(wh)
                rows.append(memory[size])

        help_s = None
        if not args.skip_help:
            m = best_of(3, [*ETL, "--help"], "etl --help")
            help_s = m.seconds
            rows.append(measured_row("etl --help (cold process, best of 3)", m, etl_run=False))

        report_times: dict[str, float] = {}
        if not args.skip_reports:
            start = time.perf_counter()
            post_paths = corpus.generate_posts_corpus(work / "posts-corpus", args.posts, seed=args.seed)
            gen_posts_s = time.perf_counter() - start
            mb = sum(p.stat().st_size for p in post_paths) / MB
            info["posts_corpus"] = {"posts": args.posts, "documents": len(post_paths), "size_mb": round(mb, 2),
                                    "generate_seconds": round(gen_posts_s, 2)}
            print(f"posts corpus: {args.posts:,} posts, {len(post_paths):,} documents, {mb:,.1f} MB "
                  f"(generated in {gen_posts_s:.1f} s)")
            big = work / "posts-wh"
            m, summary = etl_run([work / "posts-corpus"], big, args.jobs, "posts warehouse build")
            runs["posts warehouse build"] = summary
            rows.append(measured_row(f"build the {args.posts:,}-post warehouse", m, mb,
                                     summary["posts"].get("in_new_documents", args.posts)))
            rows += [Row(f"  {stage}", seconds) for stage, seconds in summary.get("timings", {}).items()]
            m = best_of(3, [*ETL, "report", args.cold_report, "--warehouse", str(big)], "etl report")
            rows.append(measured_row(f"etl report {args.cold_report} (cold process, best of 3)", m, etl_run=False))
            report_times = warm_reports(big / "published.duckdb")
            rows += [Row(f"report {name} (warm, best of 3)", s) for name, s in report_times.items()]
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    table = [r.as_dict(floor_mb_s) for r in rows]
    print()
    print_table(table)
    targets = evaluate(rows, floor_s, full, memory, help_s, report_times)
    targets = speed_targets(floor_s, naive_s, full, noop, one_doc, parse, extract_s, size_mb if paths else None,
                            jobs, args.corpus, unindexed) + targets
    print("\ntargets:")
    for t in targets:
        mark = "n/a " if t["met"] is None else "met " if t["met"] else "MISS"
        print(f"  [{mark}] {t['target']}: {t['value'] if t['value'] is not None else '-'} ({t['goal']})")
    results = {**info, "measurements": table, "targets": targets,
               "runs": {k: {f: v.get(f) for f in ("documents", "posts", "timings", "table_rows")}
                        for k, v in runs.items()}}
    RESULTS.mkdir(exist_ok=True)
    text = json.dumps(results, indent=2, default=str) + "\n"
    (RESULTS / f"{stamp}.json").write_text(text, encoding="utf-8")
    (RESULTS / "latest.json").write_text(text, encoding="utf-8")
    print(f"\nresults: {RESULTS / f'{stamp}.json'} (and latest.json)")


def warm_reports(published: Path) -> dict[str, float]:
    """Each report's query in one warm read-only connection, as `etl report` runs it with
    its default parameters: best of 3 seconds."""
    from etl.core.duck import connect
    from etl.present.report import list_reports, query

    times = {}
    con = connect(published, read_only=True)
    try:
        for report in list_reports():
            values = report.bind({})
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                query(con, report.sql, values)
                best = min(best, time.perf_counter() - start)
            times[report.name] = best
    finally:
        con.close()
    return times


def speed_targets(floor_s: float | None, naive_s: float | None, full: Measured | None, noop: Measured | None,
                  one_doc: Measured | None, parse: dict[str, dict[str, float]], extract_s: float | None,
                  size_mb: float | None, jobs: int, corpus_kind: str,
                  unindexed: Measured | None = None) -> list[dict[str, Any]]:
    """The targets of issue 24 (bench/README.md, "Faster than the naive script"); the run with
    search_index off shown beside them (the naive script builds no index)."""
    out = []
    ratio = round(full.seconds / naive_s, 2) if full and naive_s else None
    out.append(target("etl run / naive script", ratio, "≤ 1.0×", None if ratio is None else ratio <= 1.0))
    ratio = round(unindexed.seconds / naive_s, 2) if unindexed and naive_s else None
    out.append(target("etl run, search index off / naive script", ratio, "≤ 1.0× (shown: the script builds no index)",
                      None if ratio is None else ratio <= 1.0))
    cpu_ratio = round(full.cpu_seconds / naive_cpu, 2) if full and (naive_cpu := _naive_cpu()) else None
    out.append(target("etl run / naive script, CPU time", cpu_ratio, "(shown: wall times suffer the load)", None))
    ratio = round(full.seconds / floor_s, 2) if full and floor_s else None
    out.append(target("etl run / floor", ratio, "≤ 4×", None if ratio is None else ratio <= 4))
    ratio = round(unindexed.seconds / floor_s, 2) if unindexed and floor_s else None
    out.append(target("etl run, search index off / floor", ratio, "≤ 4× (shown)",
                      None if ratio is None else ratio <= 4))
    for name, values in parse.items():
        out.append(target(f"parse MB/s per core ({name})", round(values["parse"], 1), "≥ 40", values["parse"] >= 40))
    rate = parse.get(corpus_kind, {}).get("parse_rows")
    if rate and extract_s and size_mb:
        share = round(size_mb / extract_s / (rate * jobs), 2)
        out.append(target(f"extract stage MB/s / (one-process parse + rows MB/s × {jobs} cores)", share, "≥ 0.9",
                          share >= 0.9))
    share = round(noop.seconds / full.seconds, 4) if noop and full else None
    out.append(target("no-op re-run / full run", share, "≤ 5%", None if share is None else share <= 0.05))
    peak = round(max(full.rss_tree_mb, noop.rss_tree_mb if noop else 0)) if full else None
    out.append(target("peak RSS, process tree, full and no-op runs (MB)", peak, "< 600",
                      None if peak is None else peak < 600))
    written = round(one_doc.written_bytes / MB, 1) if one_doc else None
    out.append(target("a one-document run writes (MB)", written, "≤ 32", None if written is None else written <= 32))
    return out


_NAIVE: list[Measured] = []


def _naive_cpu() -> float | None:
    return _NAIVE[0].cpu_seconds if _NAIVE else None


def evaluate(rows: list[Row], floor_s: float | None, full: Measured | None, memory: dict[float, Row],
             help_s: float | None, report_times: dict[str, float]) -> list[dict[str, Any]]:
    """The issue's targets, each with its value and whether it is met (None: not measured)."""
    out = []
    ratio = round(full.seconds / floor_s, 2) if full and floor_s else None
    out.append(target("end-to-end / floor", ratio, "≤ 3× (stretch ≤ 2×)", None if ratio is None else ratio <= 3))
    trees = [r.rss_tree_mb for r in rows if r.etl_run and r.rss_tree_mb is not None]
    singles = [r.rss_single_mb for r in rows if r.etl_run and r.rss_single_mb is not None]
    peak = round(max(trees)) if trees else None
    out.append(target("peak RSS of any etl run, process tree (MB)", peak, "< 1000",
                      None if peak is None else peak < 1000))
    single = round(max(singles)) if singles else None
    out.append(target("peak RSS of any etl run, single process (MB)", single, "< 1000",
                      None if single is None else single < 1000))
    if len(memory) >= 2:
        small, large = memory[min(memory)], memory[max(memory)]
        flat = round(large.rss_tree_mb / small.rss_tree_mb, 2)
        out.append(target(f"memory flat: tree peak {max(memory):g} MB / {min(memory):g} MB corpus", flat, "≤ ~1.1",
                          flat <= 1.1))
    else:
        out.append(target("memory flat", None, "≤ ~1.1", None))
    by_name = {r.name.split(" (")[0]: r for r in rows}
    for name, goal, limit in (("no-op re-run", "< 5% of the full run", 0.05),
                              ("+1% new documents", "≈ 1% of the full run (met: ≤ 2%)", 0.02)):
        row = by_name.get(name)
        share = round(row.seconds / full.seconds, 4) if row and full else None
        out.append(target(f"{name} / full run", share, goal, None if share is None else share < limit))
    out.append(target("etl --help (s)", None if help_s is None else round(help_s, 3), "< 0.3 s",
                      None if help_s is None else help_s < 0.3))
    slow = sorted(name for name, s in report_times.items() if s >= 0.1)
    worst = max(report_times.values(), default=None)
    out.append(target("slowest warm report (s)", None if worst is None else round(worst, 4),
                      "each < 100 ms" + (f"; over: {', '.join(slow)}" if slow else ""),
                      None if worst is None else not slow))
    return out


if __name__ == "__main__":
    main()
