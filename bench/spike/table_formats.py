"""Spike: DuckLake vs Delta Lake (delta-rs) vs Iceberg (pyiceberg + SqlCatalog) for the ETL warehouse.

Reproduce (from bench/spike/, in a venv of its own: these packages are not the project's):
    python3 -m venv .venv
    .venv/bin/pip install duckdb==1.5.5 duckdb-extension-ducklake==1.5.5 duckdb-extension-sqlite==1.5.5 \
        duckdb-extension-delta==1.5.5 duckdb-extension-iceberg==1.5.5 duckdb-extension-avro==1.5.5 \
        deltalake 'pyiceberg[sql-sqlite,pyarrow]' pyarrow numpy
    .venv/bin/python table_formats.py                  # all formats, 250k and 25k posts -> results/*.json + results/table.md (numbers of RESULTS.md)
    .venv/bin/python table_formats.py --worker delta --rows 2000 --quick   # one format, one size (smoke test)

Each format and size runs in its own child process (so ru_maxrss is that format's own peak).
Every timing is repeated REPEAT=3 times and the median reported. Data are seeded (deterministic).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
RESULTS = HERE / "results"
REPEAT = 3
SEED = 20240611
N_DOCS = 10_000
FORMATS = ("ducklake", "delta", "iceberg")


# ----------------------------------------------------------------------------- data

def _vocab(rng: np.random.Generator, n: int = 6000) -> np.ndarray:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lens = rng.integers(2, 11, n)
    return np.array(["".join(rng.choice(letters, k)) for k in lens])


class Gen:
    """Deterministic generator of posts/documents rows shaped like the project's tables."""

    def __init__(self, seed: int = SEED):
        rng = np.random.default_rng(seed)
        self.vocab = _vocab(rng)
        p = 1.0 / np.arange(1, len(self.vocab) + 1) ** 1.07  # Zipf-like word frequencies
        self.p = p / p.sum()
        # one 64 MB text pool; a body is a ~3 KB slice of it (fast, text-like compressibility)
        vocab = self.vocab.tolist()
        chunks = []
        for _ in range(11):
            idx = rng.choice(len(vocab), 1_000_000, p=self.p)
            chunks.append(" ".join([vocab[i] for i in idx.tolist()]))
        self.pool = " ".join(chunks)
        del chunks
        self.seed = seed

    def _rng(self, tag: str, start: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, int(hashlib.md5(tag.encode()).hexdigest()[:8], 16), start])

    @staticmethod
    def post_id(i: int) -> str:
        return hashlib.blake2b(f"post-{i}".encode(), digest_size=8).hexdigest()

    @staticmethod
    def doc_id(i: int) -> str:
        return hashlib.sha256(f"doc-{i}".encode()).hexdigest()

    def bodies(self, rng: np.random.Generator, n: int) -> list[str]:
        lens = np.clip(rng.normal(3000, 600, n), 800, 6000).astype(int)
        starts = rng.integers(0, len(self.pool) - 7000, n)
        out = []
        for s, k in zip(starts.tolist(), lens.tolist()):
            s = self.pool.find(" ", s) + 1
            out.append(self.pool[s:s + k].rsplit(" ", 1)[0])
        return out

    def posts(self, start: int, n: int, run_id: str, complete: bool | None = None) -> pa.Table:
        rng = self._rng("posts", start)
        ids = [self.post_id(i) for i in range(start, start + n)]
        tw = rng.choice(self.vocab, (n, 9), p=self.p)
        titles = [" ".join(r).capitalize()[:70] for r in tw.tolist()]
        bodies = self.bodies(rng, n)
        base = dt.date(2015, 1, 1).toordinal()
        days = rng.integers(0, 3650, n)
        idx = np.arange(start, start + n)
        return pa.table({
            "post_id": pa.array(ids, pa.string()),
            "title": pa.array(titles, pa.string()),
            "body": pa.array(bodies, pa.string()),
            "author_id": pa.array([f"author-{a:05d}" for a in rng.integers(0, 3000, n).tolist()], pa.string()),
            "source_id": pa.array([f"source-{a:03d}" for a in rng.integers(0, 200, n).tolist()], pa.string()),
            "published_on": pa.array([dt.date.fromordinal(base + d) for d in days.tolist()], pa.date32()),
            "word_count": pa.array([b.count(" ") + 1 for b in bodies], pa.int32()),
            "is_complete": pa.array((idx % 7 != 0) if complete is None else np.full(n, complete), pa.bool_()),
            "document_id": pa.array([self.doc_id(i % N_DOCS) for i in idx.tolist()], pa.string()),
            "run_id": pa.array([run_id] * n, pa.string()),
        })

    def documents(self, start: int, n: int, run_id: str) -> pa.Table:
        rng = self._rng("docs", start)
        idx = list(range(start, start + n))
        return pa.table({
            "document_id": pa.array([self.doc_id(i) for i in idx], pa.string()),
            "path": pa.array([f"/data/dumps/site-{i % 37}/dump-{i:06d}.txt" for i in idx], pa.string()),
            "size_bytes": pa.array(rng.integers(1_000, 5_000_000, n), pa.int64()),
            "encoding": pa.array(rng.choice(["utf-8", "utf-8-sig", "cp1252", "latin-1"], n).tolist(), pa.string()),
            "site_name": pa.array([f"Site {i % 37}" for i in idx], pa.string()),
            "page_kind": pa.array(rng.choice(["listing", "home", "single", "fragment"], n).tolist(), pa.string()),
            "post_count": pa.array(rng.integers(0, 60, n), pa.int32()),
            "warning_count": pa.array(rng.integers(0, 5, n), pa.int32()),
            "status": pa.array(["loaded"] * n, pa.string()),
            "error": pa.array([None] * n, pa.string()),
            "run_id": pa.array([run_id] * n, pa.string()),
        })

    def update_rows(self, keys_idx: list[int], run_id: str) -> pa.Table:
        """Existing posts (by index) re-sent complete, with a new body (the 'excerpt completed' case)."""
        parts = [self.posts(i, 1, run_id, complete=True) for i in keys_idx]
        t = pa.concat_tables(parts)
        rng = self._rng("upd", keys_idx[0])
        bodies = self.bodies(rng, len(keys_idx))
        t = t.set_column(t.schema.get_field_index("body"), "body", pa.array(bodies, pa.string()))
        t = t.set_column(t.schema.get_field_index("word_count"), "word_count",
                         pa.array([b.count(" ") + 1 for b in bodies], pa.int32()))
        # an upsert keeps the original run_id / document_id: take them from the original rows
        return t


# ----------------------------------------------------------------------------- measuring

def io_write_bytes() -> int:
    with open("/proc/self/io") as f:
        return int(next(line for line in f if line.startswith("write_bytes:")).split()[1])


def folder_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def folder_files(root: Path, suffix: str = ".parquet") -> int:
    return sum(1 for p in root.rglob(f"*{suffix}") if p.is_file())


def reset_peak_rss() -> None:
    """Linux: writing 5 to clear_refs resets the peak RSS (so ru_maxrss then measures only what follows)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def current_rss_mb() -> float:
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith("VmRSS:")).split()[1]) / 1024


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Meter:
    """Seconds, folder growth and /proc/self/io write_bytes of one block."""

    def __init__(self, root: Path):
        self.root = root

    def __enter__(self):
        self.b0, self.w0, self.t0 = folder_bytes(self.root), io_write_bytes(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        self.io_bytes = io_write_bytes() - self.w0
        self.growth = folder_bytes(self.root) - self.b0


def med(xs):
    return statistics.median(xs)


# ----------------------------------------------------------------------------- formats

def _ext(pkg: str, name: str) -> Path:
    mod = __import__(pkg)
    return sorted(Path(mod.__file__).parent.glob(f"extensions/*/{name}.duckdb_extension"))[-1]


def duck(memory_limit: str | None = "512MB"):
    """A DuckDB connection set up like the project's (no autoinstall/autoload, offline)."""
    import duckdb
    cfg = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    if memory_limit:
        cfg |= {"memory_limit": memory_limit, "temp_directory": str(WORK / "duck_tmp")}
    return duckdb.connect(":memory:", config=cfg)


def load_ext(con, *names: str) -> None:
    for name in names:
        if name == "sqlite":  # entry point comes from the file name: load it as sqlite_scanner
            src = _ext("duckdb_extension_sqlite", "sqlite")
            dst = WORK / "ext" / "sqlite_scanner.duckdb_extension"
            if not dst.exists() or dst.stat().st_size != src.stat().st_size:
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
            con.execute(f"load '{dst}'")
        else:
            con.execute(f"load '{_ext('duckdb_extension_' + name, name)}'")


class DuckLake:
    name = "ducklake"
    atomic_multi_table = True

    def __init__(self, root: Path):
        self.root = root

    def open(self):
        self.root.mkdir(parents=True, exist_ok=True)
        con = duck()
        load_ext(con, "ducklake", "sqlite")
        con.execute(f"attach 'ducklake:sqlite:{self.root / 'lake.sqlite'}' as lake "
                    f"(data_path '{self.root / 'data'}/', data_inlining_row_limit 0)")
        # With the project's 512MB writer memory limit the default row group (122,880 rows x ~3 KB
        # bodies ~ 370 MB buffered) fails with OutOfMemory on the 250k-row load: use smaller row groups.
        con.execute("call lake.set_option('parquet_row_group_size', '20000')")
        return con

    def load(self, posts: pa.Table, docs: pa.Table):
        con = self.con = self.open()
        con.register("p_in", posts)
        con.register("d_in", docs)
        con.execute("begin")
        con.execute("create table lake.posts as select * from p_in")
        con.execute("create table lake.documents as select * from d_in")
        con.execute("commit")
        con.unregister("p_in"); con.unregister("d_in")

    def version(self) -> int:
        return self.con.execute("select max(snapshot_id) from lake.snapshots()").fetchone()[0]

    def commit_one_document(self, new_posts, new_doc, upd):
        con = self.con
        con.register("np_", new_posts); con.register("nd_", new_doc); con.register("up_", upd)
        con.execute("begin")
        con.execute("insert into lake.posts select * from np_")
        con.execute("insert into lake.documents select * from nd_")
        con.execute("update lake.posts as t set body = u.body, word_count = u.word_count, "
                    "is_complete = u.is_complete from up_ as u where t.post_id = u.post_id")
        con.execute("commit")
        for n in ("np_", "nd_", "up_"):
            con.unregister(n)

    def append_posts(self, new_posts):
        self.con.register("np_", new_posts)
        self.con.execute("insert into lake.posts select * from np_")
        self.con.unregister("np_")

    def read_at(self, version: int, cols=("post_id", "is_complete", "word_count")) -> pa.Table:
        return self.con.execute(f"select {', '.join(cols)} from lake.posts at (version => {int(version)})").arrow().read_all()

    def posts_files(self) -> int:
        return self.con.execute("select count(*) from ducklake_list_files('lake', 'posts')").fetchone()[0]

    def compact(self):
        self.con.execute("call ducklake_merge_adjacent_files('lake')")
        # updates leave delete files: rewrite_data_files folds them in
        self.con.execute("call ducklake_rewrite_data_files('lake')")

    def add_column(self, name: str):
        self.con.execute(f"alter table lake.posts add column {name} varchar")

    def expire_and_clean(self):
        self.con.execute("call ducklake_expire_snapshots('lake', older_than => now())")
        self.con.execute("call ducklake_cleanup_old_files('lake', cleanup_all => true)")
        self.con.execute("call ducklake_delete_orphaned_files('lake', cleanup_all => true)")

    def close(self):
        self.con.close()

    def duckdb_read(self):
        con = duck(None)
        load_ext(con, "ducklake", "sqlite")
        con.execute(f"attach 'ducklake:sqlite:{self.root / 'lake.sqlite'}' as r (read_only)")
        out = con.execute("select (select count(*) from r.posts), (select count(*) from r.documents)").fetchone()
        con.close()
        return out

    def file_list_snapshot(self):
        """One snapshot id for all tables; its file lists (data + delete files) from the catalog."""
        con = self.con
        snap = self.version()
        res = {}
        for t in ("posts", "documents"):
            rows = con.execute(f"select data_file, delete_file from ducklake_list_files('lake', '{t}', "
                               f"snapshot_version => {snap})").fetchall()
            res[t] = {"data": [r[0] for r in rows], "delete": [r[1] for r in rows if r[1]]}
        return snap, res


class Delta:
    name = "delta"
    atomic_multi_table = False

    def __init__(self, root: Path):
        self.root = root
        self.p, self.d = str(root / "posts"), str(root / "documents")

    def load(self, posts, docs):
        from deltalake import write_deltalake
        self.root.mkdir(parents=True, exist_ok=True)
        write_deltalake(self.p, posts, mode="overwrite")
        write_deltalake(self.d, docs, mode="overwrite")

    def dt(self, which="p", version=None):
        from deltalake import DeltaTable
        return DeltaTable(self.p if which == "p" else self.d, version=version)

    def version(self) -> int:
        return self.dt().version()

    def commit_one_document(self, new_posts, new_doc, upd):
        from deltalake import write_deltalake
        src = pa.concat_tables([new_posts, upd])
        # commit 1 of 2: posts (insert 10 + update 2) as one MERGE
        (self.dt().merge(src, predicate="t.post_id = s.post_id", source_alias="s", target_alias="t")
         .when_matched_update(updates={"body": "s.body", "word_count": "s.word_count",
                                       "is_complete": "s.is_complete"})
         .when_not_matched_insert_all().execute())
        # commit 2 of 2: documents (a separate Delta log: not atomic with the one above)
        write_deltalake(self.d, new_doc, mode="append")

    def append_posts(self, new_posts):
        from deltalake import write_deltalake
        write_deltalake(self.p, new_posts, mode="append")

    def read_at(self, version, cols=("post_id", "is_complete", "word_count")):
        return self.dt(version=version).to_pyarrow_table(columns=list(cols))

    def posts_files(self) -> int:
        return len(self.dt().file_uris())

    def compact(self):
        return self.dt().optimize.compact()

    def add_column(self, name):
        from deltalake import Field
        self.dt().alter.add_columns([Field(name, "string", nullable=True)])

    def expire_and_clean(self):
        for w in ("p", "d"):
            t = self.dt(w)
            t.create_checkpoint()
            t.cleanup_metadata()  # drops log entries older than logRetentionDuration (30 days default)
            t.vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False, full=True)

    def close(self):
        pass

    def duckdb_read(self):
        con = duck(None)
        load_ext(con, "delta")
        out = con.execute(f"select (select count(*) from delta_scan('{self.p}')), "
                          f"(select count(*) from delta_scan('{self.d}'))").fetchone()
        con.close()
        return out

    def file_list_snapshot(self):
        res = {}
        vers = {}
        for w, t in (("p", "posts"), ("d", "documents")):
            tbl = self.dt(w)
            vers[t] = tbl.version()
            res[t] = {"data": tbl.file_uris(), "delete": []}
        return vers, res


class Iceberg:
    name = "iceberg"
    atomic_multi_table = False

    def __init__(self, root: Path):
        self.root = root

    def load(self, posts, docs):
        from pyiceberg.catalog.sql import SqlCatalog
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "wh").mkdir(exist_ok=True)
        self.cat = SqlCatalog("spike", uri=f"sqlite:///{self.root / 'catalog.sqlite'}",
                              warehouse=f"file://{self.root / 'wh'}")
        self.cat.create_namespace("main")
        self.p = self.cat.create_table("main.posts", schema=posts.schema)
        self.d = self.cat.create_table("main.documents", schema=docs.schema)
        self.p.append(posts)
        self.d.append(docs)

    def version(self) -> int:
        self.p = self.cat.load_table("main.posts")
        return self.p.current_snapshot().snapshot_id

    def commit_one_document(self, new_posts, new_doc, upd):
        src = pa.concat_tables([new_posts, upd])
        src = src.cast(self.p.schema().as_arrow())
        # commit 1 of 2: posts upsert (overwrite of matched rows + append), one table transaction
        self.p.upsert(src, join_cols=["post_id"])
        # commit 2 of 2: documents (separate table metadata: not atomic with the one above)
        self.d.append(new_doc.cast(self.d.schema().as_arrow()))

    def append_posts(self, new_posts):
        self.p.append(new_posts.cast(self.p.schema().as_arrow()))

    def read_at(self, version, cols=("post_id", "is_complete", "word_count")):
        return self.cat.load_table("main.posts").scan(snapshot_id=version, selected_fields=cols).to_arrow()

    def posts_files(self) -> int:
        return sum(1 for _ in self.p.scan().plan_files())

    def compact(self):
        # pyiceberg (0.12) has no rewrite-data-files / compaction API: rewrite the table with itself
        self.p.overwrite(self.p.scan().to_arrow())

    def add_column(self, name):
        from pyiceberg.types import StringType
        with self.p.update_schema() as u:
            u.add_column(name, StringType())

    def expire_and_clean(self):
        now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
        for t in (self.p, self.d):
            t.maintenance.expire_snapshots().older_than(now).commit()
        # no orphan-file / unreferenced-file deletion in pyiceberg: done by hand below
        for t in (self.cat.load_table("main.posts"), self.cat.load_table("main.documents")):
            keep = {t.metadata_location}
            for s in t.metadata.snapshots:
                keep.add(s.manifest_list)
                for m in s.manifests(t.io):
                    keep.add(m.manifest_path)
                    for e in m.fetch_manifest_entry(t.io, discard_deleted=True):
                        keep.add(e.data_file.file_path)
            keep = {k.removeprefix("file://") for k in keep}
            loc = Path(t.metadata.location.removeprefix("file://"))
            for f in loc.rglob("*"):
                if f.is_file() and str(f) not in keep:
                    f.unlink()

    def close(self):
        pass

    def duckdb_read(self):
        con = duck(None)
        load_ext(con, "avro", "iceberg")
        mp = self.cat.load_table("main.posts").metadata_location
        md = self.cat.load_table("main.documents").metadata_location
        out = con.execute(f"select (select count(*) from iceberg_scan('{mp}')), "
                          f"(select count(*) from iceberg_scan('{md}'))").fetchone()
        con.close()
        return out

    def file_list_snapshot(self):
        res, vers = {}, {}
        for t in ("posts", "documents"):
            tbl = self.cat.load_table(f"main.{t}")
            vers[t] = tbl.current_snapshot().snapshot_id
            tasks = list(tbl.scan().plan_files())
            res[t] = {"data": [x.file.file_path for x in tasks],
                      "delete": [d.file_path for x in tasks for d in x.delete_files]}
        return vers, res


# ----------------------------------------------------------------------------- worker

def worker(fmt: str, rows: int, quick: bool) -> dict:
    cls = {"ducklake": DuckLake, "delta": Delta, "iceberg": Iceberg}[fmt]
    base = WORK / f"{fmt}-{rows}"
    r: dict = {"format": fmt, "rows": rows}
    t0 = time.perf_counter()
    g = Gen()
    posts = g.posts(0, rows, "run-0000")
    docs = g.documents(0, N_DOCS, "run-0000")
    r["gen_seconds"] = time.perf_counter() - t0
    r["input_text_mb"] = (pc.sum(pc.binary_length(posts["body"])).as_py()
                          + pc.sum(pc.binary_length(posts["title"])).as_py()) / 1e6
    r["input_arrow_mb"] = (posts.nbytes + docs.nbytes) / 1e6
    r["rss_peak_during_gen_mb"] = peak_rss_mb()
    reset_peak_rss()
    r["rss_before_load_mb"] = current_rss_mb()  # holds the input Arrow tables + the text pool

    # a) initial load x3 (fresh folder each time; the last one is kept)
    loads = []
    for k in range(REPEAT):
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True)
        f = cls(base)
        with Meter(base) as m:
            f.load(posts, docs)
        loads.append(m)
        if k < REPEAT - 1:
            f.close()
    r["load_seconds"] = med([m.seconds for m in loads])
    r["load_seconds_all"] = [round(m.seconds, 2) for m in loads]
    r["load_disk_mb"] = folder_bytes(base) / 1e6
    r["load_io_write_mb"] = med([m.io_bytes for m in loads]) / 1e6
    r["load_peak_rss_mb"] = peak_rss_mb()
    r["data_files_after_load"] = f.posts_files()
    first = next(base.rglob("*.parquet"))
    md = pq.ParquetFile(first).metadata
    r["parquet_codec"] = md.row_group(0).column(0).compression
    del posts

    # b)/c) incremental "one document" commit x3
    incs, prev_versions, upd_keys = [], [], []
    for k in range(REPEAT):
        start = rows + 10 * k
        new_posts = g.posts(start, 10, f"run-{k + 1:04d}")
        new_doc = g.documents(N_DOCS + k, 1, f"run-{k + 1:04d}")
        keys = [7 * ((100 + 2 * k) % (rows // 7)), 7 * ((101 + 2 * k) % (rows // 7))]  # is_complete=False rows
        upd = g.update_rows(keys, f"run-{k + 1:04d}")
        prev_versions.append(f.version())
        upd_keys.append([g.post_id(i) for i in keys])
        with Meter(base) as m:
            f.commit_one_document(new_posts, new_doc, upd)
        incs.append(m)
    r["inc_seconds"] = med([m.seconds for m in incs])
    r["inc_seconds_all"] = [round(m.seconds, 3) for m in incs]
    r["inc_growth_mb"] = med([m.growth for m in incs]) / 1e6
    r["inc_io_write_mb"] = med([m.io_bytes for m in incs]) / 1e6
    r["inc_atomic_multi_table"] = cls.atomic_multi_table

    # d) time travel: posts as of the version before the last commit, x3
    tts, ok = [], True
    for k in range(REPEAT):
        t1 = time.perf_counter()
        old = f.read_at(prev_versions[-1])
        tts.append(time.perf_counter() - t1)
        flags = dict(zip(old["post_id"].to_pylist(), old["is_complete"].to_pylist()))
        ok &= old.num_rows == rows + 20 and all(flags[kk] is False for kk in upd_keys[-1])
    cur = f.read_at(f.version())
    flags = dict(zip(cur["post_id"].to_pylist(), cur["is_complete"].to_pylist()))
    ok &= cur.num_rows == rows + 30 and all(flags[kk] is True for kk in upd_keys[-1])
    r["timetravel_seconds"] = med(tts)
    r["timetravel_correct"] = bool(ok)
    if quick is None:
        return r

    # f) compaction after 20 small commits, x3 rounds
    comps, before, after = [], [], []
    n = rows + 10 * REPEAT
    for k in range(REPEAT):
        for j in range(20):
            f.append_posts(g.posts(n, 10, f"run-small-{k}-{j}"))
            n += 10
        before.append(f.posts_files())
        with Meter(base) as m:
            f.compact()
        comps.append(m)
        after.append(f.posts_files())
    r["compact_seconds"] = med([m.seconds for m in comps])
    r["compact_seconds_all"] = [round(m.seconds, 2) for m in comps]
    r["compact_io_write_mb"] = med([m.io_bytes for m in comps]) / 1e6
    r["files_before_compact"] = before
    r["files_after_compact"] = after

    # e) schema evolution: add a nullable column, x3 (different columns)
    evs, rewrote = [], []
    for k in range(REPEAT):
        pq_before = {str(p) for p in base.rglob("*.parquet")}
        with Meter(base) as m:
            f.add_column(f"extra_{k}")
        evs.append(m)
        rewrote.append(len({str(p) for p in base.rglob("*.parquet")} - pq_before))
    r["addcol_seconds"] = med([m.seconds for m in evs])
    r["addcol_growth_kb"] = med([m.growth for m in evs]) / 1e3
    r["addcol_new_parquet_files"] = rewrote

    # expiry + unreferenced-file deletion (once)
    b0, files0 = folder_bytes(base), folder_files(base)
    t1 = time.perf_counter()
    f.expire_and_clean()
    r["expire_clean_seconds"] = time.perf_counter() - t1
    r["expire_freed_mb"] = (b0 - folder_bytes(base)) / 1e6
    r["parquet_files_before_after_expire"] = [files0, folder_files(base)]
    r["disk_mb_end"] = folder_bytes(base) / 1e6

    # g) DuckDB 1.5.5 reading it, and file-list snapshot consistency
    try:
        ds = []
        for _ in range(REPEAT):
            t1 = time.perf_counter()
            counts = f.duckdb_read()
            ds.append(time.perf_counter() - t1)
        r["duckdb_read_counts"] = list(counts)
        r["duckdb_read_seconds"] = med(ds)
    except Exception as e:
        r["duckdb_read_error"] = f"{type(e).__name__}: {e}"[:300]
    snap, lists = f.file_list_snapshot()
    con = duck(None)
    plain = {}
    for t, l in lists.items():
        files = [x.removeprefix("file://") for x in l["data"]]
        plain[t] = con.execute("select count(*) from read_parquet(?, union_by_name => true)", [files]).fetchone()[0]
    r["filelist_snapshot"] = snap
    r["filelist_plain_counts"] = plain
    r["filelist_delete_files"] = {t: len(l["delete"]) for t, l in lists.items()}
    r["peak_rss_mb_end"] = peak_rss_mb()
    f.close()
    return r


def run_all():
    RESULTS.mkdir(exist_ok=True)
    out = {}
    for fmt in FORMATS:
        for rows, quick in ((250_000, False), (25_000, True)):
            path = RESULTS / f"{fmt}-{rows}.json"
            cmd = [sys.executable, __file__, "--worker", fmt, "--rows", str(rows)] + (["--quick"] if quick else [])
            print("+", " ".join(cmd), flush=True)
            subprocess.run(cmd, check=True)
            out[(fmt, rows)] = json.loads(path.read_text())
    return out


def report() -> str:
    """The numbers table (markdown) from results/*.json."""
    R = {(f, n): json.loads((RESULTS / f"{f}-{n}.json").read_text()) for f in FORMATS for n in (250_000, 25_000)}
    big = lambda f, k: R[(f, 250_000)].get(k)  # noqa: E731
    small = lambda f, k: R[(f, 25_000)].get(k)  # noqa: E731
    rows = [
        ("a) load posts 250k + documents 10k: seconds (median of 3)", lambda f: f"{big(f, 'load_seconds'):.1f}"),
        ("a) bytes on disk after load (MB, Parquet codec)",
         lambda f: f"{big(f, 'load_disk_mb'):.0f} ({big(f, 'parquet_codec').lower()})"),
        ("a) peak RSS during loads (MB; RSS before load, holding the 802 MB Arrow input)",
         lambda f: f"{big(f, 'load_peak_rss_mb'):.0f} (+{big(f, 'load_peak_rss_mb') - big(f, 'rss_before_load_mb'):.0f})"),
        ("b) one-document commit on 250k posts: seconds", lambda f: f"{big(f, 'inc_seconds'):.2f}"),
        ("b) ... folder growth / /proc write_bytes (MB)",
         lambda f: f"{big(f, 'inc_growth_mb'):.3f} / {big(f, 'inc_io_write_mb'):.3f}"),
        ("b) ... atomic across posts + documents", lambda f: "yes (1 snapshot)" if big(f, 'inc_atomic_multi_table')
         else "no (2 commits)"),
        ("c) same commit on 25k posts: seconds", lambda f: f"{small(f, 'inc_seconds'):.2f}"),
        ("c) ... folder growth / write_bytes (MB)",
         lambda f: f"{small(f, 'inc_growth_mb'):.3f} / {small(f, 'inc_io_write_mb'):.3f}"),
        ("d) time travel: read 3 cols of posts at previous version (s)",
         lambda f: f"{big(f, 'timetravel_seconds'):.3f}" + ("" if big(f, 'timetravel_correct') else " WRONG")),
        ("e) add nullable column: seconds / new Parquet files / growth (KB)",
         lambda f: f"{big(f, 'addcol_seconds'):.3f} / {max(big(f, 'addcol_new_parquet_files'))} / {big(f, 'addcol_growth_kb'):.1f}"),
        ("f) compaction after 20 x 10-row commits: seconds", lambda f: f"{big(f, 'compact_seconds'):.2f}"),
        ("f) ... write_bytes (MB)", lambda f: f"{big(f, 'compact_io_write_mb'):.1f}"),
        ("f) ... live posts files before -> after (3 rounds)",
         lambda f: ", ".join(f"{a}->{b}" for a, b in zip(big(f, 'files_before_compact'), big(f, 'files_after_compact')))),
        ("f) expire snapshots + delete unreferenced files: seconds / MB freed",
         lambda f: f"{big(f, 'expire_clean_seconds'):.2f} / {big(f, 'expire_freed_mb'):.0f}"),
        ("g) DuckDB 1.5.5 count(*) both tables via extension (s)",
         lambda f: f"{big(f, 'duckdb_read_seconds'):.2f}" if 'duckdb_read_seconds' in R[(f, 250_000)]
         else big(f, 'duckdb_read_error')),
        ("g) read_parquet(file list) count posts (true: 250,630)",
         lambda f: f"{big(f, 'filelist_plain_counts')['posts']:,} ({big(f, 'filelist_delete_files')['posts']} delete file)"),
    ]
    out = ["| measure | " + " | ".join(FORMATS) + " |", "|---|" + "---|" * len(FORMATS)]
    out += [f"| {name} | " + " | ".join(fn(f) for f in FORMATS) + " |" for name, fn in rows]
    text = "\n".join(out) + "\n"
    (RESULTS / "table.md").write_text(text)
    return text


def versions() -> dict:
    from importlib.metadata import version
    return {p: version(p) for p in ("duckdb", "duckdb-extension-ducklake", "duckdb-extension-sqlite",
                                    "duckdb-extension-delta", "duckdb-extension-iceberg", "deltalake",
                                    "pyiceberg", "pyarrow", "SQLAlchemy")}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", choices=FORMATS)
    ap.add_argument("--rows", type=int, default=250_000)
    ap.add_argument("--report", action="store_true", help="only rebuild results/table.md from results/*.json")
    ap.add_argument("--quick", action="store_true", help="only load, incremental commit and time travel")
    a = ap.parse_args()
    WORK.mkdir(exist_ok=True)
    if a.worker:
        res = worker(a.worker, a.rows, None if a.quick else False)
        res["versions"] = versions()
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{a.worker}-{a.rows}.json").write_text(json.dumps(res, indent=1, default=str))
        print(json.dumps(res, indent=1, default=str))
        shutil.rmtree(WORK / f"{a.worker}-{a.rows}", ignore_errors=True) if os.environ.get("SPIKE_CLEAN") else None
    elif a.report:
        print(report())
    else:
        run_all()
        print(report())
