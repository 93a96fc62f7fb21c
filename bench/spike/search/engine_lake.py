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

from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from common import B, K1, TITLE_WEIGHT, Query, attach_lake, duck, fold, parse, reset_dir, terms, words, _stemmer

BATCH = 10_000
TABLES = ("search_docs", "search_postings", "search_forms", "search_meta")
DDL = {
    "search_docs": "doc bigint not null, post_id varchar not null, title_len integer not null, "
                   "body_len integer not null",
    "search_postings": "term varchar not null, doc bigint not null, tf_title usmallint not null, "
                       "tf_body usmallint not null",
    "search_forms": "form varchar not null, term varchar not null",
    "search_meta": "posts_snapshot bigint not null",
}
POSTINGS = pa.schema([("term", pa.string()), ("doc", pa.int64()), ("tf_title", pa.uint16()), ("tf_body", pa.uint16())])
DOCS = pa.schema([("doc", pa.int64()), ("post_id", pa.string()), ("title_len", pa.int32()), ("body_len", pa.int32())])


def analyze_batch(batch: pa.RecordBatch, first_doc: int, forms: dict[str, str]):
    """Postings and docs rows of a batch of posts (post_id, title, body)."""
    stem = _stemmer().stemWord
    cols = {k: [] for k in POSTINGS.names}
    docs = {k: [] for k in DOCS.names}
    for i, (pid, title, body) in enumerate(zip(*(batch.column(k).to_pylist() for k in ("post_id", "title", "body")))):
        doc = first_doc + i
        tw, bw = words(title), words(body or "")
        for w in (*tw, *bw):
            if w not in forms:
                forms[w] = stem(w)
        tt, bt = Counter(forms[w] for w in tw), Counter(forms[w] for w in bw)
        for term in tt.keys() | bt.keys():
            cols["term"].append(term)
            cols["doc"].append(doc)
            cols["tf_title"].append(min(tt.get(term, 0), 65535))
            cols["tf_body"].append(min(bt.get(term, 0), 65535))
        docs["doc"].append(doc)
        docs["post_id"].append(pid)
        docs["title_len"].append(len(tw))
        docs["body_len"].append(len(bw))
    return pa.table(cols, schema=POSTINGS), pa.table(docs, schema=DOCS)


def _stage(con, select: str, stage: Path, first_doc: int, forms: dict[str, str]) -> int:
    """Analyze the posts `select` returns into stage/postings.parquet and stage/docs.parquet."""
    reader = con.cursor().execute(select).fetch_record_batch(BATCH)
    pw, dw, doc = pq.ParquetWriter(stage / "postings.parquet", POSTINGS), pq.ParquetWriter(stage / "docs.parquet", DOCS), first_doc
    for batch in reader:
        p, d = analyze_batch(batch, doc, forms)
        pw.write_table(p)
        dw.write_table(d)
        doc += batch.num_rows
    pw.close()
    dw.close()
    new_forms = pa.table({"form": list(forms), "term": list(forms.values())})
    pq.write_table(new_forms, stage / "forms.parquet")
    return doc - first_doc


def build(wh: Path, snapshot: int, work: Path) -> dict:
    stage = reset_dir(work / "lake-stage")
    con = duck()
    attach_lake(con, wh, read_only=False)
    for t in TABLES:
        con.execute(f"drop table if exists lake.{t}")
    forms: dict[str, str] = {}
    n = _stage(con, f"select post_id, title, body from lake.posts at (version => {snapshot})", stage, 0, forms)
    con.execute("begin")
    for t, cols in DDL.items():
        con.execute(f"create table lake.{t} ({cols})")
    con.execute(f"insert into lake.search_docs select * from read_parquet('{stage}/docs.parquet')")
    con.execute(f"insert into lake.search_postings select * from read_parquet('{stage}/postings.parquet') "
                "order by term, doc")
    con.execute(f"insert into lake.search_forms select * from read_parquet('{stage}/forms.parquet') order by form")
    con.execute(f"insert into lake.search_meta values ({snapshot})")
    con.execute("commit")
    (postings,), = con.execute("select count(*) from lake.search_postings").fetchall()
    con.close()
    return {"docs": n, "postings": postings, "forms": len(forms)}


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
    step("changed posts, next doc id")
    forms: dict[str, str] = {}
    n = _stage(con, f"select post_id, title, body from lake.posts at (version => {new}) semi join changed using (post_id)",
               stage, first, forms)
    step("read + analyze the changed posts")
    con.execute("begin")
    con.execute("delete from lake.search_docs where post_id in (select post_id from changed)")
    step("delete replaced docs")
    con.execute(f"insert into lake.search_docs select * from read_parquet('{stage}/docs.parquet')")
    con.execute(f"insert into lake.search_postings select * from read_parquet('{stage}/postings.parquet') order by term, doc")
    step("insert docs + postings")
    con.execute(f"insert into lake.search_forms select * from read_parquet('{stage}/forms.parquet') "
                "anti join lake.search_forms using (form)")
    step("insert new forms")
    con.execute(f"update lake.search_meta set posts_snapshot = {new}")
    con.execute("commit")
    step("meta + commit")
    con.close()
    return {"docs": n, "steps_s": steps}


def _list(xs) -> str:
    return ", ".join("'" + x.replace("'", "''") + "'" for x in xs)


def query_sql(q: Query, limit: int = 10, schema: str = "lake") -> str:
    """BM25F over title and body (title weighted TITLE_WEIGHT) of the docs that have a term of
    every group (all terms of a phrase) and no excluded term; a phrase must also appear as such
    in the folded text (checked on the candidates' text: the spike keeps no positions)."""
    groups = [(i, t) for i, g in enumerate(q.groups) for alt in g for t in alt]
    values = ", ".join(f"({i}, '{t}')" for i, t in groups)
    all_terms = sorted({t for _, t in groups})
    excl = (f"anti join (select doc from {schema}.search_postings where term in ({_list(q.excluded)})) using (doc)"
            if q.excluded else "")
    phrase_filter = ""
    phrases = _phrase_texts(q.text)
    texts = ""
    if phrases:
        conds = " and ".join(f"regexp_matches(lower(strip_accents(t.title || ' ' || t.body)), '{_phrase_re(p)}')"
                             for p in phrases)
        texts = (f", texts as materialized (select t.post_id, t.title, t.body from ranked r "
                 f"join {schema}.posts t using (post_id))\n")
        phrase_filter = f"semi join (select post_id from texts t where {conds}) using (post_id)"
    return f"""
with q(grp, term) as (values {values}),
stats as (select count(*)::double as n, avg(title_len) as atl, avg(body_len) as abl from {schema}.search_docs),
p as (select term, doc, tf_title, tf_body from {schema}.search_postings where term in ({_list(all_terms)})),
df as (select term, count(*) as df from p group by term),
hits as (select p.*, q.grp from p join q using (term)),
cand as (select doc from hits group by doc having count(distinct grp) = {len(q.groups)}),
weighted as (
    select h.doc, d.post_id, h.term,
        {TITLE_WEIGHT} * h.tf_title / (1 - {B} + {B} * d.title_len / s.atl)
        + h.tf_body / (1 - {B} + {B} * d.body_len / s.abl) as tfw
    from hits h semi join cand using (doc) join {schema}.search_docs d using (doc) cross join stats s
),
ranked as (
    select w.doc, w.post_id, sum(ln(1 + (s.n - df.df + 0.5) / (df.df + 0.5)) * w.tfw / ({K1} + w.tfw)) as score
    from weighted w join df using (term) cross join stats s
    group by w.doc, w.post_id
)
{texts}select post_id, score from ranked {excl} {phrase_filter} order by score desc, post_id limit {limit}
"""


def _phrase_texts(text: str) -> list[str]:
    import re

    return [m for m in re.findall(r'(?<!-)"([^"]*)"', text) if len(words(m)) > 1]


def _phrase_re(phrase: str) -> str:
    ws = [w for w in __import__("re").findall(r"[a-z0-9]+", fold(phrase))]
    return r"\b" + r"[^a-z0-9]+".join(ws) + r"\b"


class Searcher:
    def __init__(self, wh: Path, snapshot: int | None = None):
        self.con = duck(memory_limit=None, threads=None)
        attach_lake(self.con, wh, snapshot=snapshot)

    def search(self, text: str, limit: int = 10) -> list[str]:
        return [r[0] for r in self.con.execute(query_sql(parse(text), limit)).fetchall()]


def index_bytes(wh: Path) -> int:
    from common import folder_bytes

    return sum(folder_bytes(wh / "data" / "main" / t) for t in TABLES)


assert terms  # analyzer shared with the other engines
