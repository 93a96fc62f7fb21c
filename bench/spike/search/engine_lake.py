"""(c) An inverted index kept as DuckLake tables in the warehouse's own lake, BM25F in SQL.

    search_docs(doc, post_id, title_len, body_len)   one row per indexed post version
    search_postings(term, doc, tf_title, tf_body)    one row per (stem, doc); sorted by term
    search_forms(form, term)                          every folded word seen -> its stem (for SQL users)
    search_meta(posts_snapshot)                       which posts snapshot the index holds

A replaced or removed post loses its search_docs row (a DuckLake delete file); its postings
stay until a compaction and join nothing. A run appends the postings of its new posts as one
small file: its cost grows with the new posts, not with the archive.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from common import (
    K1,
    STOP_SET,
    TITLE_WEIGHT,
    B,
    Query,
    _stemmer,
    attach_lake,
    duck,
    fold,
    parse,
    reset_dir,
    terms,
    words,
)

BATCH = 10_000
TABLES = ("search_docs", "search_postings", "search_forms", "search_stats", "search_gone")
DDL = {
    "search_docs": "doc bigint not null, post_id varchar not null, title_len integer not null, "
                   "body_len integer not null",
    # impact: the term's BM25F factor in the doc, tfw / (k1 + tfw), as 0-255 (averages frozen in search_stats)
    # pos: token positions, the title's from 0, the body's from TITLE_GAP (stop words counted)
    "search_postings": "term varchar not null, doc bigint not null, impact utinyint not null, pos usmallint[]",
    "search_forms": "form varchar not null, term varchar not null",
    "search_stats": "posts_snapshot bigint not null, docs bigint not null, avg_title double not null, "
                    "avg_body double not null",
    "search_gone": "doc bigint not null",
}
TITLE_GAP = 1000
POSTINGS_ROW_GROUP = 131_072
MAX_POS = 65535
POSTINGS = pa.schema([("term", pa.string()), ("doc", pa.int64()), ("impact", pa.uint8()),
                      ("pos", pa.list_(pa.uint16()))])
DOCS = pa.schema([("doc", pa.int64()), ("post_id", pa.string()), ("title_len", pa.int32()), ("body_len", pa.int32())])
TOKEN_RE = __import__("re").compile(r"[a-z0-9]+")


def positions(text: str, offset: int, forms: dict[str, str], stem) -> tuple[dict[str, list[int]], int]:
    """Each stem's positions in `text` (from `offset`; stop words take a position but are not
    kept), and the count of kept tokens."""
    out: dict[str, list[int]] = {}
    n = 0
    for i, w in enumerate(TOKEN_RE.findall(fold(text))):
        if w in STOP_SET or len(w) > 40:
            continue
        s = forms.get(w)
        if s is None:
            s = forms[w] = stem(w)
        n += 1
        p = offset + i
        if p <= MAX_POS:
            out.setdefault(s, []).append(p)
    return out, n


def impact(tf_title: int, tf_body: int, tl: int, bl: int, atl: float, abl: float) -> int:
    tfw = TITLE_WEIGHT * tf_title / (1 - B + B * tl / atl) + tf_body / (1 - B + B * bl / abl)
    return min(255, round(255 * tfw / (K1 + tfw)))


def analyze_batch(batch: pa.RecordBatch, first_doc: int, forms: dict[str, str], atl: float, abl: float):
    """Postings and docs rows of a batch of posts (post_id, title, body)."""
    stem = _stemmer().stemWord
    cols = {k: [] for k in POSTINGS.names}
    docs = {k: [] for k in DOCS.names}
    for i, (pid, title, body) in enumerate(zip(*(batch.column(k).to_pylist() for k in ("post_id", "title", "body")))):
        doc = first_doc + i
        tp, tl = positions(title, 0, forms, stem)
        bp, bl = positions(body or "", TITLE_GAP, forms, stem)
        for term in tp.keys() | bp.keys():
            t, b = tp.get(term, ()), bp.get(term, ())
            cols["term"].append(term)
            cols["doc"].append(doc)
            cols["impact"].append(impact(len(t), len(b), tl, bl, atl, abl))
            cols["pos"].append([*t, *b])
        docs["doc"].append(doc)
        docs["post_id"].append(pid)
        docs["title_len"].append(tl)
        docs["body_len"].append(bl)
    return pa.table(cols, schema=POSTINGS), pa.table(docs, schema=DOCS)


def _stage(con, select: str, stage: Path, first_doc: int, forms: dict[str, str], atl: float, abl: float) -> int:
    """Analyze the posts `select` returns into stage/postings.parquet and stage/docs.parquet."""
    reader = con.cursor().execute(select).to_arrow_reader(BATCH)
    pw, dw, doc = pq.ParquetWriter(stage / "postings.parquet", POSTINGS), pq.ParquetWriter(stage / "docs.parquet", DOCS), first_doc
    for batch in reader:
        p, d = analyze_batch(batch, doc, forms, atl, abl)
        pw.write_table(p)
        dw.write_table(d)
        doc += batch.num_rows
    pw.close()
    dw.close()
    new_forms = pa.table({"form": list(forms), "term": list(forms.values())})
    pq.write_table(new_forms, stage / "forms.parquet")
    return doc - first_doc


def averages(con, snapshot: int) -> tuple[float, float]:
    """Average kept tokens of titles and bodies, from a sample of 20,000 posts (the averages
    are frozen into the impacts; a compaction that rewrites the postings refreshes them)."""
    sample = con.execute(f"select title, body from lake.posts at (version => {snapshot}) using sample 20000 rows (reservoir, 1)").fetchall()
    tl = sum(len(words(t)) for t, _ in sample) / len(sample)
    bl = sum(len(words(b or "")) for _, b in sample) / len(sample)
    return tl, bl


def build(wh: Path, snapshot: int, work: Path) -> dict:
    stage = reset_dir(work / "lake-stage")
    con = duck()
    attach_lake(con, wh, read_only=False)
    for t in (*TABLES, "search_meta"):
        con.execute(f"drop table if exists lake.{t}")
    forms: dict[str, str] = {}
    atl, abl = averages(con, snapshot)
    n = _stage(con, f"select post_id, title, body from lake.posts at (version => {snapshot})", stage, 0, forms, atl, abl)
    for t, cols in DDL.items():
        con.execute(f"create table lake.{t} ({cols})")
    # Larger row groups for the postings than the lake's 16,384 rows (set for 3 KB bodies): a
    # term lookup parses every row group's statistics in the footer, 2,426 groups for 40M
    # postings; at 131,072 rows it reads 8x fewer (measured: RESULTS.md).
    con.execute(f"call lake.set_option('parquet_row_group_size', '{POSTINGS_ROW_GROUP}', "
                "table_name => 'search_postings')")  # not on a table created in the open transaction
    con.execute("begin")
    con.execute(f"insert into lake.search_docs select * from read_parquet('{stage}/docs.parquet')")
    con.execute(f"insert into lake.search_postings select * from read_parquet('{stage}/postings.parquet') "
                "order by term, doc")
    con.execute(f"insert into lake.search_forms select * from read_parquet('{stage}/forms.parquet') order by form")
    con.execute(f"insert into lake.search_stats values ({snapshot}, {n}, {atl}, {abl})")
    con.execute("commit")
    (postings,), = con.execute("select count(*) from lake.search_postings").fetchall()
    con.close()
    return {"docs": n, "postings": postings, "forms": len(forms), "avg_title": atl, "avg_body": abl}


def update(wh: Path, old: int, new: int, work: Path) -> dict:
    """Index what the runs of snapshots old+1..new added or replaced; one lake commit."""
    import time

    steps: dict[str, float] = {}
    t = time.perf_counter()

    def step(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        steps[name] = round(now - t, 3)
        t = now

    stage = reset_dir(work / "lake-stage")
    con = duck()
    attach_lake(con, wh, read_only=False)
    step("connect + attach")
    con.execute(f"create or replace table changed as select distinct post_id from lake.table_changes('posts', {old + 1}, {new})")
    (first,), = con.execute("select coalesce(max(doc), -1) + 1 from lake.search_docs").fetchall()
    (docs, atl, abl), = con.execute("select docs, avg_title, avg_body from lake.search_stats").fetchall()
    step("changed posts, next doc id")
    forms: dict[str, str] = {}
    n = _stage(con, f"select post_id, title, body from lake.posts at (version => {new}) semi join changed using (post_id)",
               stage, first, forms, atl, abl)
    step("read + analyze the changed posts")
    con.execute("begin")
    (gone,), = con.execute("select count(*) from lake.search_docs d semi join changed using (post_id) "
                           "anti join lake.search_gone using (doc)").fetchall()
    con.execute("insert into lake.search_gone select doc from lake.search_docs semi join changed using (post_id) "
                "anti join lake.search_gone using (doc)")
    step("tombstones of replaced docs")
    con.execute(f"insert into lake.search_docs select * from read_parquet('{stage}/docs.parquet')")
    con.execute(f"insert into lake.search_postings select * from read_parquet('{stage}/postings.parquet') order by term, doc")
    step("insert docs + postings")
    con.execute(f"insert into lake.search_forms select * from read_parquet('{stage}/forms.parquet') "
                "anti join lake.search_forms using (form)")
    step("insert new forms")
    con.execute(f"update lake.search_stats set posts_snapshot = {new}, docs = {docs + n - gone}")
    con.execute("commit")
    step("meta + commit")
    con.close()
    return {"docs": n, "steps_s": steps}


def _list(xs) -> str:
    return ", ".join("'" + x.replace("'", "''") + "'" for x in xs)


def query_sql(q: Query, limit: int = 10, schema: str = "lake") -> str:
    """Docs with a term of every group (every term of a phrase) and no excluded term, ranked
    by the sum over the query's terms of idf x impact (BM25F with the title weighted
    TITLE_WEIGHT, lengths normalized by the averages frozen in search_stats). A phrase must
    also hold its terms at its offsets (positions)."""
    groups = [(i, t) for i, g in enumerate(q.groups) for alt in g for t in alt]
    values = ", ".join(f"({i}, '{t}')" for i, t in groups)
    phrases = [_offsets(p) for p in _phrase_texts(q.text)]
    all_terms = sorted({t for _, t in groups} | {t for ph in phrases for t, _ in ph})
    pos = ", pos" if phrases else ""
    ctes = [f"q(grp, term) as (values {values})",
            f"p as materialized (select term, doc, impact{pos} from {schema}.search_postings "
            f"where term in ({_list(all_terms)}))",
            "df as (select term, count(*)::double as df from p group by term)",
            f"hits as (select p.doc, q.grp, p.term, p.impact from p join q using (term) "
            f"anti join {schema}.search_gone using (doc))",
            f"cand as (select doc from hits group by doc having count(distinct grp) = {len(q.groups)})"]
    filters = []
    for k, ph in enumerate(phrases):
        (t0, _), rest = ph[0], ph[1:]
        joins = " ".join(f"join p p{j} on p{j}.doc = p0.doc and p{j}.term = '{t}'" for j, (t, _) in enumerate(rest, 1))
        cond = " and ".join(f"list_contains(p{j}.pos, x + {o})" for j, (_, o) in enumerate(rest, 1))
        ctes.append(f"phrase{k} as (select p0.doc from p p0 {joins} where p0.term = '{t0}' "
                    f"and len(list_filter(p0.pos, x -> {cond})) > 0)")
        filters.append(f"semi join phrase{k} using (doc)")
    if q.excluded:
        filters.append(f"anti join (select doc from {schema}.search_postings where term in ({_list(q.excluded)})) "
                       "using (doc)")
    ctes.append(f"""ranked as (
    select h.doc, sum(ln(1 + (s.docs - df.df + 0.5) / (df.df + 0.5)) * h.impact / 255) as score
    from hits h semi join cand using (doc) {' '.join(filters)} join df using (term) cross join {schema}.search_stats s
    group by h.doc order by score desc, h.doc limit {limit})""")
    return "with " + ",\n".join(ctes) + "\nselect doc, score from ranked order by score desc, doc"


def post_ids_sql(docs: list[int], schema: str = "lake") -> str:
    """The post ids of a page of docs: an IN list of literals, so that the scan of search_docs
    (sorted by doc) reads only the row groups that hold them."""
    return f"select doc, post_id from {schema}.search_docs where doc in ({', '.join(map(str, docs)) or 'null'})"


def _phrase_texts(text: str) -> list[str]:
    import re

    return [m for m in re.findall(r'(?<!-)"([^"]*)"', text) if len(words(m)) > 1]


def _offsets(phrase: str) -> list[tuple[str, int]]:
    """A phrase's kept terms and their offsets from its first kept term (stop words count)."""
    stem = _stemmer().stemWord
    kept = [(stem(w), i) for i, w in enumerate(TOKEN_RE.findall(fold(phrase))) if w not in STOP_SET and len(w) <= 40]
    return [(t, i - kept[0][1]) for t, i in kept]


class Searcher:
    def __init__(self, wh: Path, snapshot: int | None = None):
        self.con = duck(memory_limit=None, threads=None)
        self.con.execute("set parquet_metadata_cache = true")  # Parquet footers kept between queries
        attach_lake(self.con, wh, snapshot=snapshot)

    def search(self, text: str, limit: int = 10) -> list[str]:
        ranked = self.con.execute(query_sql(parse(text), limit)).fetchall()
        ids = dict(self.con.execute(post_ids_sql([d for d, _ in ranked])).fetchall())
        return [ids[d] for d, _ in ranked]


def index_bytes(wh: Path) -> int:
    """Bytes of the live files (data and delete files) of the index tables at the lake's
    latest snapshot (files of dropped or replaced versions wait for expiry: not counted)."""
    con = duck()
    attach_lake(con, wh)
    total = 0
    for t in TABLES:
        (n,), = con.execute("select coalesce(sum(data_file_size_bytes + coalesce(delete_file_size_bytes, 0)), 0) "
                            f"from ducklake_list_files('lake', '{t}')").fetchall()
        total += int(n)
    con.close()
    return total


assert terms  # analyzer shared with the other engines


class FileSearcher(Searcher):
    """The same SQL over views of the snapshot's exact Parquet files (etl.storage.publish.view_sql,
    as published.duckdb has them) instead of DuckLake scans: the catalog is read once, at open,
    and Parquet footers stay cached between queries."""

    def __init__(self, wh: Path, snapshot: int | None = None):
        from etl.storage.lake import _columns
        from etl.storage.publish import _columns_in, table_files, view_sql

        super().__init__(wh, snapshot)
        types = _columns(self.con, "lake")
        self.con.execute("create schema ix")
        for t in ("search_postings", "search_gone", "search_stats", "search_docs"):
            files = table_files(self.con, t)
            self.con.execute(view_sql(f"ix.{t}", types[t], _columns_in(self.con, files.files), files)
                             .replace(f'create view "ix.{t}"', f"create view ix.{t}"))

    def search(self, text: str, limit: int = 10) -> list[str]:
        ranked = self.con.execute(query_sql(parse(text), limit, schema="ix")).fetchall()
        ids = dict(self.con.execute(post_ids_sql([d for d, _ in ranked], schema="ix")).fetchall())
        return [ids[d] for d, _ in ranked]
