"""What the three engines share: the lake (read the way etl/storage/lake.py attaches it), the
analyzer (fold case and accents, split, stop words, English Snowball stems), the query syntax,
the measurements (seconds, bytes written, RSS) and the query sets."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import statistics
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent  # the repository
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("DUCKDB_JE_MALLOC_CONF", "dirty_decay_ms:100,muzzy_decay_ms:0")  # as etl/core/duck.py

WRITER_MEMORY = "128MB"  # etl/core/duck.py WRITER_MEMORY_MB
# Lucene's English stop words (tantivy's and Lucene's default list): small, so that few words
# a user means are dropped; the same list for the three engines.
STOP_WORDS = ["a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "will", "with"]
TITLE_WEIGHT = 2.0
K1, B = 1.2, 0.75
TOKEN_RE = re.compile(r"[a-z0-9]+")


# ----------------------------------------------------------------------------- lake

def duck(memory_limit: str | None = WRITER_MEMORY, threads: int | None = 1, path: str = ":memory:"):
    """A DuckDB connection the project's way (etl/core/duck.py): offline, a writer at 128 MB, 1 thread."""
    import duckdb

    config: dict[str, object] = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    if memory_limit:
        config |= {"memory_limit": memory_limit, "temp_directory": str(HERE / "work" / "spill")}
    if threads:
        config["threads"] = threads
    return duckdb.connect(path, config=config)


def attach_lake(con, wh: Path, *, read_only: bool = True, snapshot: int | None = None, alias: str = "lake") -> None:
    from etl.storage.lake import attach

    attach(con, wh, read_only=read_only, snapshot_id=snapshot, alias=alias)


def snapshots(wh: Path) -> list[tuple[int, str]]:
    """(snapshot id, run id) of the runs the lake holds, oldest first."""
    con = duck()
    attach_lake(con, wh)
    from etl.storage.lake import snapshots as runs

    out = [(s.snapshot_id, s.run_id) for s in runs(con)]
    con.close()
    return out


def bodies_bytes(con) -> dict:
    (n, title, body), = con.execute(
        "select count(*), sum(strlen(title)), sum(strlen(body)) from lake.posts").fetchall()
    return {"posts": n, "title_bytes": int(title), "body_bytes": int(body)}


# ----------------------------------------------------------------------------- analyzer

@cache
def _stemmer():
    import Stemmer  # PyStemmer: the Snowball C stemmers

    return Stemmer.Stemmer("english")


def fold(text: str) -> str:
    """Lower case, accents off (NFKD, combining marks dropped): 'Café' -> 'cafe'."""
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """Folded tokens (runs of a-z0-9), stop words and tokens over 40 characters kept out."""
    return [w for w in TOKEN_RE.findall(fold(text)) if w not in STOP_SET and len(w) <= 40]


STOP_SET = frozenset(STOP_WORDS)


def terms(text: str) -> list[str]:
    return _stemmer().stemWords(words(text))


# ----------------------------------------------------------------------------- query syntax

class QueryError(ValueError):
    pass


@dataclass
class Query:
    """words and "quoted phrases" are required; `a OR b` makes a group of which one is
    required; -word excludes. Each group is a list of alternatives, each a list of terms
    (a phrase has several)."""

    groups: list[list[list[str]]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    text: str = ""


QUERY_TOKEN_RE = re.compile(r'\s*(-?"[^"]*"|-?[^\s"]+|")')


def parse(text: str) -> Query:
    raw = QUERY_TOKEN_RE.findall(text)
    if raw.count('"') or text.count('"') % 2:
        raise QueryError("unbalanced quote")
    q, pending_or = Query(text=text), False
    for tok in raw:
        if tok == "OR":
            if not q.groups or pending_or:
                raise QueryError("OR needs a word on each side")
            pending_or = True
            continue
        neg = tok.startswith("-")
        body = tok[1:] if neg else tok
        t = terms(body.strip('"'))
        if not t:
            pending_or = False
            continue
        if neg:
            q.excluded += t
        elif pending_or:
            q.groups[-1].append(t)
        else:
            q.groups.append([t])
        pending_or = False
    if pending_or:
        raise QueryError("OR needs a word on each side")
    if not q.groups:
        raise QueryError("no word to search for")
    return q


# ----------------------------------------------------------------------------- measuring

def io_write_bytes() -> int:
    with open("/proc/self/io") as f:
        return int(next(line for line in f if line.startswith("write_bytes:")).split()[1])


def folder_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith("VmRSS:")).split()[1]) / 1024


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU time of this process and its threads (the machine is shared: wall
    time alone depends on the load)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def reset_peak_rss() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Meter:
    """Seconds, /proc/self/io write_bytes, growth of a folder, load average before and after."""

    def __init__(self, root: Path | None = None):
        self.root = root

    def __enter__(self):
        self.load0 = load()
        self.b0 = folder_bytes(self.root) if self.root else 0
        self.w0, self.t0, self.c0 = io_write_bytes(), time.perf_counter(), cpu_seconds()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        self.cpu = cpu_seconds() - self.c0
        self.written = io_write_bytes() - self.w0
        self.growth = (folder_bytes(self.root) - self.b0) if self.root else 0
        self.load = f"{self.load0} -> {load()}"

    def as_dict(self) -> dict:
        return {"seconds": round(self.seconds, 3), "cpu_seconds": round(self.cpu, 3), "write_bytes": self.written, "growth_bytes": self.growth,
                "load": self.load}


def latency(fn, queries: list[str]) -> dict:
    """Each query once to warm up, then each once more, timed: median, p95, max (ms), wall
    and CPU time of this process (on a shared machine the CPU time is what the query costs)."""
    for q in queries:
        fn(q)
    times, cpu = [], []
    for q in queries:
        c0, t0 = cpu_seconds(), time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((cpu_seconds() - c0) * 1000)
    times.sort()
    cpu.sort()
    p95 = int(0.95 * (len(times) - 1))
    return {"queries": len(times), "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[p95], 1), "max_ms": round(times[-1], 1),
            "cpu_median_ms": round(statistics.median(cpu), 1), "cpu_p95_ms": round(cpu[p95], 1), "load": load()}


def reset_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def save(name: str, data: dict) -> None:
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(data, indent=1, default=str) + "\n")
