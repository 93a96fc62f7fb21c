"""(a) DuckDB's fts extension (pip duckdb-extension-fts 1.5.5), loaded offline from the pip
package's file. Its index (schema fts_main_docs: dict, terms, docs, stats) lives in a DuckDB
file beside the copy of (post_id, title, body) it indexes, and is rebuilt by
PRAGMA create_fts_index: there is no incremental update."""

from __future__ import annotations

from pathlib import Path

from common import STOP_WORDS, TITLE_WEIGHT, WRITER_MEMORY, attach_lake, parse

FILE = "fts.duckdb"


def extension() -> Path:
    import duckdb_extension_fts

    return sorted(Path(duckdb_extension_fts.__file__).parent.glob("extensions/*/fts.duckdb_extension"))[-1]


def connect(folder: Path, memory_limit: str | None = WRITER_MEMORY, read_only: bool = False):
    from common import duck

    con = duck(memory_limit=memory_limit, threads=1 if memory_limit else None, path=str(folder / FILE)) \
        if not read_only else _read_only(folder)
    con.execute(f"load '{extension()}'")
    return con


def _read_only(folder: Path):
    import duckdb

    return duckdb.connect(str(folder / FILE), read_only=True,
                          config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})


def _index(con) -> None:
    con.execute("create or replace table sw as select unnest(?::varchar[]) as sw", [STOP_WORDS])
    con.execute("pragma create_fts_index('docs', 'post_id', 'title', 'body', stemmer = 'english', "
                "stopwords = 'sw', ignore = '(\\.|[^a-z0-9])+', strip_accents = 1, lower = 1, overwrite = 1)")
    con.execute("checkpoint")


def build(wh: Path, snapshot: int, folder: Path) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / FILE).unlink(missing_ok=True)
    con = connect(folder)
    con.execute("set preserve_insertion_order = false")
    attach_lake(con, wh, snapshot=snapshot)
    con.execute("create table docs as select post_id, title, body from lake.posts")
    con.execute("checkpoint")
    docs_bytes = (folder / FILE).stat().st_size
    _index(con)
    (n,), = con.execute("select count(*) from docs").fetchall()
    con.close()
    return {"docs": n, "docs_table_bytes": docs_bytes}


def update(wh: Path, old: int, new: int, folder: Path) -> dict:
    """The new and replaced posts into the copy, then the whole index again."""
    con = connect(folder)
    con.execute("set preserve_insertion_order = false")
    attach_lake(con, wh, snapshot=new)
    con.execute(f"create temp table changed as select distinct post_id from lake.table_changes('posts', {old + 1}, {new})")
    con.execute("delete from docs where post_id in (select post_id from changed)")
    con.execute("insert into docs select post_id, title, body from lake.posts semi join changed using (post_id)")
    _index(con)
    con.close()
    return {}


QUERY = f"""
select post_id, score from (
    select post_id, fts_main_docs.match_bm25(post_id, $q, conjunctive := 1)
        + {TITLE_WEIGHT - 1} * coalesce(fts_main_docs.match_bm25(post_id, $q, fields := 'title'), 0) as score
    from docs
) where score is not null order by score desc, post_id limit $limit
"""


class Searcher:
    """Plain words only: fts has no phrases, exclusions or OR (the words of a phrase are
    searched as words; `-word` and OR are dropped by its tokenizer)."""

    def __init__(self, folder: Path):
        self.con = connect(folder, memory_limit=None, read_only=True)

    def search(self, text: str, limit: int = 10) -> list[str]:
        parse(text)  # the same syntax errors as the others
        return [r[0] for r in self.con.execute(QUERY, {"q": positive_words(text), "limit": limit}).fetchall()]


def positive_words(text: str) -> str:
    """What fts can be given: the words, a phrase's words as words; an OR's alternatives after
    the first and the -excluded words left out (it has no operators)."""
    out, skip = [], False
    for tok in text.replace('"', " ").split():
        if tok == "OR":
            skip = True
        elif skip or tok.startswith("-"):
            skip = False
        else:
            out.append(tok)
    return " ".join(out)
