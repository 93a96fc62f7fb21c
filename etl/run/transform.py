"""Transform: parsed documents → normalized tables.

Two steps, so that a run never holds its whole input in memory:
- `document_rows` (pure Python, run in the extract workers): one document → raw rows,
  with every id computed; the workers write them as Parquet files (`write_raw`);
- `stage` (SQL in sql/stage/, run in DuckDB over all raw rows of the run): one kept copy
  of each post, and the authors, sources and tags of the kept copies, written once as Parquet
  files under the run's folder (the posts: a view of the raw rows) that the validation and
  the merge read.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from etl.core import relations as rel
from etl.core.reference import Reference, name_key
from etl.core.schemas import DATA_TABLES, RAW_INPUTS, RAW_TABLES, raw_schemas, sql
from etl.extract import Document, Page, Post, Rejected

# Every raw row's seq: the index of its input file among the run's files * SEQ_STRIDE + its
# position among the file's rows of its table. Orders rows as the inputs were given.
SEQ_STRIDE = 1 << 20


def file_index(seq: int) -> int:
    """The index among the run's input files of the file a raw row's `seq` came from."""
    return seq // SEQ_STRIDE


@dataclass(frozen=True)
class Parsed:
    """One document that was read and parsed."""

    document: Document
    page: Page


@lru_cache(maxsize=8192)  # authors, outlets and categories repeat on every page
def short_hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def key(name: str) -> str:
    """A name as ids hash it: name_key of its NFC form. The same text in any Unicode form (NFC,
    or NFD as macOS saves it) gives one id; text in NFC, the id every release gave it."""
    return name_key(nfc(name))


def post_id(post: Post) -> str:
    """Same post, same id: in any dump, any run. Title and byline, normalized."""
    return short_hash("post", key(post.title), key(post.byline or ""))


def author_id(name: str) -> str:
    return short_hash("author", key(name))


def source_id(name: str, ref: Reference) -> str:
    return short_hash("source", ref.source_key(nfc(name)))


def tag_id(name: str, kind: str = "category") -> str:
    return short_hash(kind, key(name))


def nfd_post_id(post: Post) -> str | None:
    """The id the releases before NFC keys gave this post in a dump saved in NFD (name_key
    drops a combining mark: é keyed as e), when it is not its post_id: a post they stored
    so is found by it (etl/run/rekey.py)."""
    title, byline = (unicodedata.normalize("NFD", t) for t in (post.title, post.byline or ""))
    old = short_hash("post", name_key(title), name_key(byline))
    return None if old == post_id(post) else old


def word_count(body: str) -> int:
    """Words of a parsed post's body, len(body.split()), counted without building the words: the
    parser writes a body as whitespace-collapsed lines (single spaces, no other whitespace) joined by
    blank lines ("\\n\\n"), so it has one word more than spaces and paragraph breaks."""
    return body.count(" ") + body.count("\n") // 2 + 1 if body else 0


# A task's raw rows: per raw table, its rows as tuples in the order of COLUMNS[table] (cheaper to
# build than dicts), turned into Arrow columns by write_raw.
Rows = dict[str, list[tuple]]


WRITTEN = (*RAW_TABLES, RAW_INPUTS)  # the raw tables a worker writes
COLUMNS = {  # the fields of each raw table's row tuples (write_raw checks them against raw_schemas)
    "documents": ("document_id", "path", "size_bytes", "encoding", "site_name", "page_kind", "post_count",
                  "warning_count", "status", "error", "run_id", "seq"),
    "document_warnings": ("document_id", "line_number", "code", "message", "run_id", "seq"),
    "posts": ("post_id", "title", "subtitle", "image_credit", "author_id", "source_id", "published_on",
              "published_on_guess", "posted_on", "body", "word_count", "tag_count", "is_complete", "document_id",
              "line_number", "run_id", "seq", "author", "source", "nfd_post_id"),
    "post_tags": ("post_id", "tag_id", "position", "run_id", "seq", "name", "kind", "document_id"),
    "comments": ("post_id", "document_id", "comment_count", "comments_open", "run_id", "seq"),
    "comment_entries": ("post_id", "position", "author", "commented_on", "body", "document_id", "run_id", "seq"),
    RAW_INPUTS: ("path", "size_bytes", "modified_ns", "inode", "document_id"),  # etl.run.inputs.Identity
}
# Long texts: encoded to UTF-8 by Python before Arrow reads them (about twice as fast as Arrow
# converting str objects of non-ASCII text).
ENCODED = frozenset({"body"})


def empty_rows() -> Rows:
    return {t: [] for t in WRITTEN}


def document_rows(item: Parsed, index: int, run_id: str, ref: Reference, rows: Rows) -> None:
    """Append the raw rows of one parsed document (the `index`-th input file) to `rows`."""
    doc, page = item.document, item.page
    first = index * SEQ_STRIDE
    rows["documents"].append((
        doc.document_id, doc.path, doc.size_bytes, doc.encoding, page.site_name, page.page_kind,
        len(page.posts), len(page.warnings), "loaded", None, run_id, first,
    ))
    rows["document_warnings"].extend(
        (doc.document_id, w.line, w.code, w.message, run_id, first + k) for k, w in enumerate(page.warnings)
    )
    met: set[str] = set()  # the posts met earlier in the document
    for i, post in enumerate(page.posts):
        _post_rows(post, doc.document_id, run_id, first + i, ref, rows, met)


def _post_rows(post: Post, document_id: str, run_id: str, seq: int, ref: Reference, rows: Rows,
               met: set[str]) -> None:
    """The raw rows of one post of a document: the post, its tags, its comment count (of its
    first copy in the document only: one row per post and document) and thread."""
    pid = post_id(post)
    rows["posts"].append((
        pid, post.title, post.subtitle, post.image_credit,
        author_id(post.author) if post.author else None,
        source_id(post.source, ref) if post.source else None,
        post.published_on, post.published_on_guess, post.posted_on, post.body, word_count(post.body),
        post.tag_count, post.is_complete, document_id, post.line, run_id, seq, post.author,
        ref.canonical_source(post.source) if post.source else None, nfd_post_id(post),
    ))
    rows["post_tags"].extend(
        (pid, tag_id(name), position, run_id, seq, name, "category", document_id)
        for position, name in enumerate(post.categories, 1)
    )
    if pid not in met:
        met.add(pid)
        rows["comments"].append((pid, document_id, post.comment_count, post.comments_open, run_id, seq))
    rows["comment_entries"].extend(
        (pid, c.position, c.author, c.commented_on, c.body, document_id, run_id, seq) for c in post.comments
    )


def rejected_row(r: Rejected, run_id: str) -> dict:
    """The `documents` row of a rejected document."""
    return {
        "document_id": r.document_id, "path": r.path, "size_bytes": r.size_bytes, "encoding": None,
        "site_name": None, "page_kind": None, "post_count": 0, "warning_count": 0,
        "status": "rejected", "error": r.reason, "run_id": run_id, "seq": None,
    }


def write_raw(rows: Rows, folder: Path, name: str) -> None:
    """Raw rows as <folder>/<table>/<name>.parquet, a file for every raw table (empty too): each
    column an Arrow array built from the rows' tuples."""
    schemas = raw_schemas()
    for table in WRITTEN:
        (folder / table).mkdir(parents=True, exist_ok=True)
        pq.write_table(arrow_rows(rows[table], table, schemas[table]), folder / table / f"{name}.parquet",
                       compression="none")


def arrow_rows(rows: list[tuple], table: str, schema: pa.Schema) -> pa.Table:
    """A raw table's row tuples (COLUMNS[table]) as an Arrow table of `schema`. A column of the
    schema the rows do not hold is null (a column a project's DDL adds: etl/storage/lake.py
    evolve), as Table.from_pylist made it."""
    by_name = dict(zip(COLUMNS[table], zip(*rows, strict=True) if rows else [()] * len(COLUMNS[table]),
                       strict=True))
    return pa.Table.from_arrays([_column(by_name.get(f.name), f, len(rows)) for f in schema], schema=schema)


def _column(values: tuple | None, f: pa.Field, n: int) -> pa.Array:
    if values is None:
        return pa.nulls(n, type=f.type)
    if f.name in ENCODED:
        return pa.array([v if v is None else v.encode() for v in values], type=f.type)
    return pa.array(values, type=f.type)


def open_stage(con, folder: Path) -> None:
    """In `con`, as temporary objects: raw_<table> views over the Parquet files in `folder`
    (raw_input_files: the files the workers read), the input files set aside (excluded_files)
    and the rejected documents' rows."""
    write_raw(empty_rows(), folder, "empty")  # every view has a file, even when no file was read
    con.execute(f"create or replace temp table {rel.EXCLUDED_FILES} (file_index bigint)")
    con.execute(f"create or replace temp table {rel.REJECTED_DOCUMENTS} as from read_parquet(?) limit 0",
                [(folder / "documents" / "*.parquet").as_posix()])
    for table in WRITTEN:
        # The files, a bound value: a view cannot hold a parameter, so it reads a variable.
        con.execute(f"set variable raw_{table}_files = ?", [(folder / table / "*.parquet").as_posix()])
        view = sql("stage/raw_view").format(table=table, stride=SEQ_STRIDE) if table in RAW_TABLES \
            else f"from read_parquet(getvariable('raw_{table}_files'))"  # every file read, set aside or not
        con.execute(f"create or replace temp view {rel.raw(table)} as {view}")


def exclude_copies(con) -> int:
    """Leave out the rows of every input file that is a copy of one read earlier in the run
    (sql/stage/copies.sql); returns how many. Found in DuckDB: the run's process keeps no set
    of the ids of the documents it read."""
    copies_of = sql("stage/copies").format(stride=SEQ_STRIDE)
    (copies,), = con.execute(f"insert into {rel.EXCLUDED_FILES} {copies_of}").fetchall()
    return copies


def exclude_documents(con, file_indexes: list[int], rejected: list[Rejected], run_id: str) -> None:
    """Leave out the rows of these input files; add rows for these rejected documents."""
    if file_indexes:
        con.execute(f"insert into {rel.EXCLUDED_FILES} select unnest(?)", [file_indexes])
    if rejected:
        con.register("rejected_batch", pa.Table.from_pylist([rejected_row(r, run_id) for r in rejected],
                                                            schema=raw_schemas()["documents"]))
        con.execute(f"insert into {rel.REJECTED_DOCUMENTS} select * from rejected_batch")
        con.unregister("rejected_batch")


# Staged as a view: the posts' bodies stay in the raw files, read once more by the merge.
STAGED_AS_VIEWS = frozenset({"posts"})
STAGED_ROW_GROUP = 16_384  # rows: a reader's buffers stay small on tables of long texts (comment bodies)


def stage(con, folder: Path) -> None:
    """staged_<table> of every data table over the raw rows (sql/stage/<table>.sql), and the
    narrow chosen_posts they share: each computed once, written to a Parquet file in `folder`
    (the validation's queries and the merge read them, each several times), and read through a
    temporary view; STAGED_AS_VIEWS are views over the raw rows. On files, the staged rows take
    no room in DuckDB's memory, whatever the size of the run (docs/storage.md, "Memory")."""
    folder.mkdir(parents=True, exist_ok=True)
    materialize(con, rel.CHOSEN_POSTS, sql("stage/chosen_posts"), folder)
    for table in DATA_TABLES:
        if table in STAGED_AS_VIEWS:
            create_temp(con, rel.staged(table), "view", sql(f"stage/{table}"))
        else:
            materialize(con, rel.staged(table), sql(f"stage/{table}"), folder)


def materialize(con, name: str, query: str, folder: Path) -> None:
    """`query`'s rows in a Parquet file <folder>/<name>-<random>.parquet, and the temporary view
    `name` over them: computed once, they take no room in DuckDB's memory. The file is written
    under a new name, then the view points at it: a query of a stage that reads an earlier
    stage's file of the same name never reads a half-written file."""
    path = folder / f"{name}-{secrets.token_hex(4)}.parquet"
    con.execute(f"copy ({query}) to ? (format parquet, compression snappy, row_group_size {STAGED_ROW_GROUP})",
                [path.as_posix()])
    con.execute(f"set variable {name}_file = ?", [path.as_posix()])
    create_temp(con, name, "view", f"from read_parquet(getvariable('{name}_file'))")



def create_temp(con, name: str, kind: str, query: str) -> None:
    """The temporary `kind` ("table" or "view") `name` as `query`, replacing a temporary view
    or table of that name."""
    for (existing,) in con.execute("select table_type from information_schema.tables "
                                   "where table_catalog = 'temp' and table_name = ?", [name]).fetchall():
        con.execute(f"drop {'view' if existing == 'VIEW' else 'table'} {name}")
    con.execute(f"create temp {kind} {name} as {query}")


def corrupt(con) -> None:
    """A test hook (as etl/core/failpoints.py): ETL_CORRUPT=<table>.<column> empties that
    column's first staged value (sets it to NULL) in staged_<table> of `con`, so a test can make
    an expectation fail on real staged data."""
    target = os.environ.get("ETL_CORRUPT")
    if target:
        table, column = target.split(".")
        # staged_<table> (a view or a table): its rows are copied to a table, updated, and
        # staged_<table> becomes a view of the copy (until the run stages again, after rejecting the document).
        con.execute(f"create or replace temp table corrupted_{table} as from {rel.staged(table)}")
        con.execute(f"update corrupted_{table} set {column} = null "
                    f"where rowid = (select min(rowid) from corrupted_{table})")
        create_temp(con, rel.staged(table), "view", f"from corrupted_{table}")
