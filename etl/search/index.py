"""Writing the search index: the run's hook (`update`, in its open DuckLake transaction,
after the merge) and the first build of an index (`update` too, when search_stats is empty:
a warehouse from before search, a --full-refresh, `etl upgrade`).

What a run indexes is what it added and what it replaced (sql/search/run_posts.sql), read
from its staged rows: the cost grows with the run, not the archive. Python analyzes the
posts in batches (etl/search/analyze.py; in `jobs` forked processes when there is more than
one) into Parquet files in a folder of the run's; INSERTs then add them to the index tables,
in the run's transaction (the postings sorted by term on `jobs` threads, up to
POSTINGS_PER_SORT at a time): the index and the tables it indexes are committed, or not,
together.
"""

from __future__ import annotations

import shutil
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from etl.core.children import die_with_parent, process_pool
from etl.core.duck import widened
from etl.core.failpoints import failpoint
from etl.core.schemas import sql
from etl.search.analyze import kept, kept_count, stems, tokens
from etl.storage import lake

if TYPE_CHECKING:
    import pyarrow as pa

T = TypeVar("T")

BATCH = 500  # posts analyzed at a time: an analyzer holds a few arrays of their words, about 25 MB per MB of text
TITLE_GAP = 1000  # body positions start here, so no phrase spans title and body
MAX_POS = 65535  # usmallint
# The postings one sort writes into a file: DuckDB's sort of 176M postings (a first build of
# about 3 GB of pages like the sample) runs out of the writer's memory (etl/core/duck.py
# SORT_MEMORY_MB per thread); one of 70M does not (bench/README.md, round 7). A larger first
# build writes several files, each sorted by term.
POSTINGS_PER_SORT = 48_000_000
K1, B, TITLE_WEIGHT = 1.2, 0.75, 2.0


@dataclass(frozen=True)
class Indexed:
    built: bool  # a first build (every post), not an update
    located: bool  # the docs of an older index got their posts' posted_on now (sql/search/locate.sql)
    docs: int  # posts indexed now
    removed: int  # replaced posts taken out
    total: int  # posts in the index
    seconds: float  # the index's own work in the run

    def fields(self) -> dict[str, object]:
        return {"built": self.built, "located": self.located, "indexed": self.docs, "removed": self.removed,
                "posts": self.total, "seconds": self.seconds}


@dataclass
class Stats:
    docs: int
    avg_title: float
    avg_body: float
    next_doc: int
    located: bool = True  # search_docs.posted_on filled (False: an index from before it)


def built(con) -> bool:
    """Whether the lake in use in `con` has an index (a row in search_stats)."""
    return bool(con.execute(sql("search/stats")).fetchall())


def update(con, folder: Path, jobs: int = 1) -> Indexed | None:
    """Index what the run merged (in `con`'s open transaction, the lake in use; the merge's
    temp tables present), or every post if the index is empty. `folder`: a scratch folder
    of the run's. None if there is nothing to index."""
    started = time.perf_counter()
    found = con.execute(sql("search/stats")).fetchall()
    built = not found
    if built:
        averages = _averages(con, jobs)
        if averages is None:
            return None  # no posts yet
        stats, removed, located = Stats(0, *averages, 0), 0, False
        select = sql("search/all_posts")
    else:
        stats = Stats(*found[0])
        located = not stats.located
        if located:
            con.execute(sql("search/locate"))
        removed = _remove_replaced(con)
        select = sql("search/run_posts")
    _row_groups(con)
    n = write(con, select, folder, stats, jobs)
    if n:
        with widened(con, jobs if n > BATCH else 1):  # the postings' sort
            _insert(con, folder)
    shutil.rmtree(folder, ignore_errors=True)
    if not n and not removed and not built and not located:
        return None
    stats.docs += n - removed
    stats.next_doc += n
    _set_stats(con, stats)
    return Indexed(built, located, n, removed, stats.docs, round(time.perf_counter() - started, 3))


def drop(con) -> bool:
    """search_index off: the index's tables dropped and made again, empty, from the DDL (in
    `con`'s open transaction; no data file is read: earlier snapshots keep theirs). False if
    the lake has no index."""
    if not built(con):
        return False
    con.execute(sql("search/drop"))
    lake.evolve(con)
    return True


def _insert(con, folder: Path) -> None:
    """The analyzed files of `folder` into the index tables: the docs and the new forms
    (sql/search/insert.sql), then the postings, a run of consecutive files of at most
    POSTINGS_PER_SORT rows at a time, each sorted into a file of its own
    (sql/search/insert_postings.sql)."""
    con.execute(sql("search/insert").format(folder=_literal(folder)))
    for files in _runs_of_rows(sorted(folder.glob("*-postings.parquet")), POSTINGS_PER_SORT):
        con.execute(sql("search/insert_postings").format(files=", ".join(f"'{_literal(f)}'" for f in files)))


def _runs_of_rows(files: list[Path], limit: int) -> Iterator[list[Path]]:
    """`files` (Parquet) in runs of consecutive files of at most `limit` rows in all (a file
    of more rows alone)."""
    import pyarrow.parquet as pq

    run: list[Path] = []
    rows = 0
    for path in files:
        n = pq.read_metadata(path).num_rows
        if run and rows + n > limit:
            yield run
            run, rows = [], 0
        run.append(path)
        rows += n
    if run:
        yield run


def bring_up_to_date(con, folder: Path, jobs: int = 1) -> Indexed | None:
    """What a run with nothing new does to the index: build it (a warehouse from before
    search), or fill its docs' posted_on (an index from before that); None when it is current."""
    return locate(con) if built(con) else update(con, folder, jobs)


def locate(con) -> Indexed | None:
    """`etl upgrade`: fill the posted_on of an index's docs if it is from before that column
    (in `con`'s open transaction). None if there is no index or it is current."""
    started = time.perf_counter()
    found = con.execute(sql("search/stats")).fetchall()
    if not found or Stats(*found[0]).located:
        return None
    stats = Stats(*found[0])
    con.execute(sql("search/locate"))
    _set_stats(con, stats)
    return Indexed(False, True, 0, 0, stats.docs, round(time.perf_counter() - started, 3))


def _set_stats(con, stats: Stats) -> None:
    con.execute(sql("search/set_stats").format(docs=stats.docs, avg_title=stats.avg_title,
                                                 avg_body=stats.avg_body, next_doc=stats.next_doc))


def _row_groups(con) -> None:
    """The postings' row-group size (sql/search/row_groups.sql), set once on the committed
    table (sql/search/row_groups_unset.sql)."""
    (unset,), = con.execute(sql("search/row_groups_unset").format(alias=lake.ALIAS)).fetchall()
    if unset:
        con.execute(sql("search/row_groups").format(alias=lake.ALIAS))


def _literal(path: Path) -> str:
    return str(path).replace("'", "''")


def _averages(con, jobs: int) -> tuple[float, float] | None:
    """Average indexed words of a title and of a body, over a sample of the posts (read a
    batch at a time, counted in `jobs` processes as `write` analyzes)."""
    reader = con.execute(sql("search/averages")).to_arrow_reader(BATCH)
    posts = title = body = 0
    for p, t, b in analyzed(lengths, jobs, ((batch,) for batch in reader if batch.num_rows)):
        posts, title, body = posts + p, title + t, body + b
    if not posts:
        return None
    return max(title / posts, 1.0), max(body / posts, 1.0)


def lengths(posts: pa.RecordBatch) -> tuple[int, int, int]:
    """A batch's posts, and the indexed words of their titles and of their bodies."""
    texts = posts.to_pydict()
    return (posts.num_rows, sum(map(_length, texts["title"])), sum(_length(b or "") for b in texts["body"]))


def _length(text: str) -> int:
    return kept_count(tokens(text))


def _remove_replaced(con) -> int:
    (upgraded,), = con.execute(sql("search/upgraded")).fetchall()
    if not upgraded:
        return 0  # no scan of the index for a run that replaced nothing
    (removed,), = con.execute(sql("search/replaced")).fetchall()
    return removed


def write(con, select: str, folder: Path, stats: Stats, jobs: int = 1) -> int:
    """Analyze the posts `select` gives (post_id, title, body, posted_on), a batch at a time, into
    NNNNN-docs, -postings and -forms.parquet in `folder`, numbered from stats.next_doc; returns
    how many. More than one batch is analyzed in `jobs` processes (the run's extract workers
    are done by then)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    reader = con.execute(select).to_arrow_reader(BATCH)
    return sum(analyzed(analyze_to_files, jobs, _batches(reader, folder, stats)))


def _batches(reader, folder: Path, stats: Stats) -> Iterator[tuple]:
    """analyze_to_files' arguments for each batch of posts `reader` gives."""
    doc = stats.next_doc
    for part, batch in enumerate(b for b in reader if b.num_rows):
        yield batch, doc, stats.avg_title, stats.avg_body, folder / f"{part:05d}"
        doc += batch.num_rows


def analyze_to_files(posts: pa.RecordBatch, first_doc: int, avg_title: float, avg_body: float,
                     prefix: Path) -> int:
    """One batch of posts (an Arrow record batch: the run's process never holds its texts as
    Python strings) analyzed (analyze_batch) into prefix-docs, -postings and -forms.parquet;
    returns how many posts."""
    import pyarrow.parquet as pq

    failpoint("index-analyze")
    for name, table in zip(("docs", "postings", "forms"),
                           analyze_batch(posts.to_pydict(), first_doc, avg_title, avg_body), strict=True):
        pq.write_table(table, f"{prefix}-{name}.parquet")
    return posts.num_rows


def _analyzer_started() -> None:
    """In a forked analyzer: the objects it inherits from the run are left out of its garbage
    collections, which would otherwise touch, and so copy, every page of the run's heap."""
    import gc

    gc.freeze()
    die_with_parent()


def analyzed(fn: Callable[..., T], jobs: int, calls: Iterable[tuple]) -> Iterator[T]:
    """fn(*args) for each args of `calls`, in order. Here for a single call (most nightly
    runs) or with `jobs` < 2; else in `jobs` forked processes, with at most `jobs` calls in
    flight (so memory stays a few batches'). A failure, or the caller stopping, cancels the rest."""
    calls = iter(calls)
    first = next(calls, None)
    second = next(calls, None) if first is not None and jobs > 1 else None
    if second is None:
        if first is not None:
            yield fn(*first)
        for args in calls:  # jobs < 2
            yield fn(*args)
        return
    pool = process_pool(jobs, _analyzer_started)
    try:
        waiting: deque = deque()
        for args in chain((first, second), calls):
            waiting.append(pool.submit(fn, *args))
            while len(waiting) > jobs:
                yield waiting.popleft().result()
        while waiting:
            yield waiting.popleft().result()
    finally:
        pool.shutdown(cancel_futures=True)


def impacts(tf_title, tf_body, title_len, body_len, avg_title: float, avg_body: float):
    """Each term's BM25F factor in its post, tfw / (k1 + tfw), as 0-255 (numpy arrays, one
    element per posting): tfw counts a title occurrence TITLE_WEIGHT times, each field's count
    normalized by its length. Rounded half to even, as Python's round."""
    import numpy as np

    tfw = (TITLE_WEIGHT * tf_title / (1 - B + B * title_len / avg_title)
           + tf_body / (1 - B + B * body_len / avg_body))
    return np.clip(np.round(255 * tfw / (K1 + tfw)), 1, 255).astype(np.uint8)


def analyze_batch(posts: dict[str, list], first_doc: int, avg_title: float, avg_body: float):
    """Arrow tables of the docs, postings and new forms (form != stem) of a batch of posts.

    Python splits the texts into words and stems each distinct word once; the rest is numpy
    over every word of the batch at once: a word's post, field (title, body: from TITLE_GAP)
    and position; the kept words (not stop words, not too long) sorted by term, post and
    position; a posting per (term, post) with its positions up to MAX_POS, the counts of
    those in the title and in the body, and its impact. The postings are in term order, then
    post: the run's one sort of every batch's postings (sql/search/insert.sql) takes a quarter
    less time over sorted runs."""
    import numpy as np
    import pyarrow as pa

    titles = list(map(tokens, posts["title"]))
    bodies = [tokens(b or "") for b in posts["body"]]
    texts = titles + bodies  # every title, then every body
    stem = stems(chain.from_iterable(texts))
    names = sorted({t for w, t in stem.items() if kept(w)})
    number = {t: i for i, t in enumerate(names)}
    term_of = {w: number[t] if kept(w) else -1 for w, t in stem.items()}
    n = len(titles)
    sizes = np.fromiter(map(len, texts), np.int64, 2 * n)
    term = np.fromiter(map(term_of.__getitem__, chain.from_iterable(texts)), np.int32, int(sizes.sum()))
    doc = np.repeat(np.tile(np.arange(n, dtype=np.int32), 2), sizes)
    field = np.repeat(np.repeat(np.array([0, 1], np.int8), n), sizes)
    pos = np.arange(len(term)) - np.repeat(np.cumsum(sizes) - sizes, sizes) + np.where(field == 1, TITLE_GAP, 0)
    indexed = term >= 0
    term, doc, field, pos = term[indexed], doc[indexed], field[indexed], pos[indexed]
    title_len = np.bincount(doc[field == 0], minlength=n)
    body_len = np.bincount(doc[field == 1], minlength=n)
    # By term (term numbers follow the terms' order) and post, then field and position: the
    # words are in field and position order within a post already (every title, then every
    # body), so a stable sort keeps that.
    order = np.argsort(term.astype(np.int64) * n + doc, kind="stable")
    term, doc, field, pos = term[order], doc[order], field[order], pos[order]
    first = np.ones(len(term), bool)
    first[1:] = (term[1:] != term[:-1]) | (doc[1:] != doc[:-1])
    group = np.cumsum(first) - 1
    groups = int(first.sum())
    stored = pos <= MAX_POS
    tf_title = np.bincount(group[stored & (field == 0)], minlength=groups)
    tf_body = np.bincount(group[stored & (field == 1)], minlength=groups)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(group[stored], minlength=groups))])
    posting_doc = doc[first]
    impact = impacts(tf_title, tf_body, title_len[posting_doc], body_len[posting_doc], avg_title, avg_body)
    docs = pa.table({"doc": pa.array(range(first_doc, first_doc + n), pa.int64()),
                     "post_id": pa.array(posts["post_id"], pa.string()),
                     "title_len": pa.array(title_len, pa.int32()),
                     "body_len": pa.array(body_len, pa.int32()),
                     "posted_on": pa.array(posts["posted_on"], pa.date32())})
    postings = pa.table({"term": pa.array(names, pa.string()).take(pa.array(term[first])),
                         "doc": pa.array(posting_doc + first_doc, pa.int64()),
                         "impact": pa.array(impact, pa.uint8()),
                         "pos": pa.ListArray.from_arrays(pa.array(offsets, pa.int32()),
                                                         pa.array(pos[stored], pa.uint16()))})
    changed = sorted((f, s) for f, s in stem.items() if f != s and kept(f))
    forms = pa.table({"form": pa.array([f for f, _ in changed], pa.string()),
                      "term": pa.array([s for _, s in changed], pa.string())})
    return docs, postings, forms
