"""(b) tantivy (pip `tantivy`): a folder of segments beside the lake. Each commit adds a segment
(a background merge policy merges them); a replaced post is deleted by its post_id term."""

from __future__ import annotations

from pathlib import Path

from common import STOP_WORDS, TITLE_WEIGHT, attach_lake, duck, reset_dir

HEAP = 64_000_000  # the writer's indexing heap (one thread)
BATCH = 10_000


def _analyzer():
    import tantivy

    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.ascii_fold())
            .filter(tantivy.Filter.custom_stopword(STOP_WORDS))
            .filter(tantivy.Filter.stemmer("english"))
            .build())


def _schema():
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("post_id", stored=True, tokenizer_name="raw")
    sb.add_text_field("title", stored=False, tokenizer_name="en_fold", index_option="position")
    sb.add_text_field("body", stored=False, tokenizer_name="en_fold", index_option="position")
    return sb.build()


def open_index(folder: Path, create: bool = False):
    import tantivy

    if create:
        reset_dir(folder)
        index = tantivy.Index(_schema(), path=str(folder))
    else:
        index = tantivy.Index.open(str(folder))
    index.register_tokenizer("en_fold", _analyzer())
    return index


def _add(writer, con, select: str) -> int:
    import tantivy

    n = 0
    for batch in con.cursor().execute(select).to_arrow_reader(BATCH):
        for pid, title, body in zip(*(batch.column(k).to_pylist() for k in ("post_id", "title", "body"))):
            writer.add_document(tantivy.Document(post_id=pid, title=title, body=body or ""))
            n += 1
    return n


def build(wh: Path, snapshot: int, folder: Path) -> dict:
    index = open_index(folder, create=True)
    con = duck()
    attach_lake(con, wh, snapshot=snapshot)
    writer = index.writer(HEAP, 1)
    n = _add(writer, con, "select post_id, title, body from lake.posts")
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return {"docs": n, "segments": index.searcher().num_segments}


def update(wh: Path, old: int, new: int, folder: Path) -> dict:
    index = open_index(folder)
    con = duck()
    attach_lake(con, wh, snapshot=new)
    con.execute(f"create or replace table changed as select distinct post_id from lake.table_changes('posts', {old + 1}, {new})")
    writer = index.writer(HEAP, 1)
    for (pid,) in con.execute("select post_id from changed").fetchall():
        writer.delete_documents_by_term("post_id", pid)
    n = _add(writer, con, "select post_id, title, body from lake.posts semi join changed using (post_id)")
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return {"docs": n, "segments": index.searcher().num_segments}


class Searcher:
    def __init__(self, folder: Path):
        self.index = open_index(folder)
        self.searcher = self.index.searcher()

    def search(self, text: str, limit: int = 10) -> list[str]:
        query = self.index.parse_query(text, ["title", "body"], field_boosts={"title": TITLE_WEIGHT},
                                       conjunction_by_default=True)
        hits = self.searcher.search(query, limit).hits
        return [self.searcher.doc(addr)["post_id"][0] for _, addr in hits]
