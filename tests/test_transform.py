"""Transform alone: parsed documents in, Arrow tables out."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from etl.core.reference import load_reference
from etl.core.schemas import arrow_schemas
from etl.extract import Document, parse_page
from etl.extract.reader import Rejected
from etl.run.transform import Parsed, post_id
from tests.staging import build_tables
from tests.utils import SAMPLE

pytestmark = pytest.mark.quick  # pure functions

REF = load_reference()


def _parsed(text: str, doc_id: str, path: str = "x.txt") -> Parsed:
    return Parsed(Document(doc_id, path, len(text), "utf-8", text), parse_page(text, REF))


def test_sample_tables_and_schemas():
    tables = build_tables([_parsed(SAMPLE.read_text(encoding="utf-8"), "a" * 64)], [], "r1", REF)
    assert {t: tables[t].num_rows for t in tables} == {
        "documents": 1, "sources": 9, "authors": 4, "tags": 7, "posts": 12, "post_tags": 16,
        "comments": 12, "comment_entries": 0, "document_warnings": 2,
    }
    for name, table in tables.items():
        assert table.schema.equals(arrow_schemas()[name])
    sources = sorted(tables["sources"].column("name").to_pylist())
    assert sources == ["Al-Manar", "Fars News Agency", "Gold, Goats, & Guns", "MEMO", "Press TV",
                       "RT", "Ron Paul Institute", "Strategic Culture Foundation", "ZeroHedge"]
    assert set(tables["posts"].column("run_id").to_pylist()) == {"r1"}


def test_same_post_in_two_documents_is_one_post_with_two_observations():
    text = SAMPLE.read_text(encoding="utf-8")
    later = text.replace("| , , , | 2 Comments", "| , , , | 4 Comments")
    tables = build_tables([_parsed(text, "a" * 64), _parsed(later, "b" * 64)], [], "r1", REF)
    assert tables["posts"].num_rows == 12
    assert tables["comments"].num_rows == 24
    counts = {(r["document_id"][0], r["comment_count"]) for r in tables["comments"].to_pylist()
              if r["post_id"] == tables["posts"].column("post_id")[7].as_py()}
    assert counts == {("a", 2), ("b", 4)}


def test_complete_copy_beats_excerpt():
    text = SAMPLE.read_text(encoding="utf-8")
    full = _parsed(text, "a" * 64)
    first = full.page.posts[0]
    excerpt_page = replace(full.page, posts=[replace(first, is_complete=False, body="Just like that", posted_on=None)])
    excerpt = Parsed(Document("b" * 64, "home.txt", 1, "utf-8", ""), excerpt_page)
    tables = build_tables([excerpt, full], [], "r1", REF)
    row = next(r for r in tables["posts"].to_pylist() if r["post_id"] == post_id(first))
    assert row["is_complete"] is True and row["document_id"] == "a" * 64 and row["word_count"] == 2047


def test_rejected_documents_get_rows():
    tables = build_tables([], [Rejected("c" * 64, "bad.txt", 0, "empty file")], "r1", REF)
    assert tables["documents"].to_pylist() == [{
        "document_id": "c" * 64, "path": "bad.txt", "size_bytes": 0, "encoding": None, "site_name": None,
        "page_kind": None, "post_count": 0, "warning_count": 0, "status": "rejected", "error": "empty file",
        "run_id": "r1"}]
    assert tables["posts"].num_rows == 0


def test_comment_thread_comes_from_the_posts_own_page():
    """The listing copy comes first and is kept; its page shows no thread, the single page does."""
    from tests.render import PageShape, render_page
    from tests.utils import ROOT

    single_text = (ROOT / "tests" / "fixtures" / "dumps" / "single-2022-08-18.txt").read_text(encoding="utf-8")
    single = _parsed(single_text, "s" * 64, "single.txt")
    post = single.page.posts[0]
    assert len(post.comments) == 3
    listing = _parsed(render_page([replace(post, comments=())], PageShape(kind="listing")), "l" * 64, "listing.txt")
    assert post_id(listing.page.posts[0]) == post_id(post) and not listing.page.posts[0].comments
    tables = build_tables([listing, single], [], "r1", REF)
    assert tables["posts"].column("document_id").to_pylist() == ["l" * 64]
    entries = tables["comment_entries"].to_pylist()
    assert [(e["position"], e["author"], e["document_id"]) for e in entries] == \
        [(c.position, c.author, "s" * 64) for c in post.comments]


def _assert_word_counts(dumps: list[Path], at_least: int) -> None:
    from etl.run.transform import word_count

    bodies = [p.body for d in dumps for p in parse_page(d.read_text(encoding="utf-8"), REF).posts]
    assert len(bodies) >= at_least
    assert [word_count(b) for b in bodies] == [len(b.split()) for b in bodies]


def test_word_count_of_parsed_bodies_is_whitespace_split(tmp_path):
    """transform.word_count counts spaces and paragraph breaks: right for the bodies the parser writes."""
    from tests.accuracy import DEFAULT_FIXTURES

    messy = tmp_path / "messy.txt"
    messy.write_text("Aletho News\n\nA  Title\n\nBy\tA. Writer | RT | May 1, 2020\n\n"
                     " Some\u00a0text  here. \r\n\n\vMore\u2003words.\n", encoding="utf-8")
    _assert_word_counts([SAMPLE, *sorted((DEFAULT_FIXTURES / "dumps").glob("*.txt")), messy], at_least=75)


def test_word_count_of_real_bodies_is_whitespace_split():
    from tests.accuracy import REAL_PAGES

    if not REAL_PAGES.is_dir():
        pytest.skip(f"real pages absent: {REAL_PAGES} (../shared/data/real-pages relative to the repository root)")
    _assert_word_counts(sorted(REAL_PAGES.glob("*.txt")), at_least=60)


def test_raw_row_tuples_have_every_column_of_the_raw_schemas():
    """write_raw builds each column from the row tuples by COLUMNS' names: every raw table's
    columns, each once; the input files' rows are etl.run.inputs.Identity tuples."""
    from etl.core.schemas import RAW_INPUTS, raw_schemas
    from etl.run.inputs import Identity
    from etl.run.transform import COLUMNS, WRITTEN

    for table in WRITTEN:
        assert sorted(COLUMNS[table]) == sorted(raw_schemas()[table].names), table
    assert COLUMNS[RAW_INPUTS] == Identity._fields


def test_a_column_the_ddl_adds_is_null_in_the_raw_rows():
    """A project's DDL may add a nullable column (lake.evolve): the raw rows have none for it."""
    import pyarrow as pa

    from etl.core.schemas import raw_schemas
    from etl.run.transform import arrow_rows

    schema = raw_schemas()["comments"].append(pa.field("note", pa.string()))
    table = arrow_rows([("p1", "d1", 3, True, "r", 7), ("p2", "d1", None, None, "r", 8)], "comments", schema)
    assert table.schema == schema
    assert table.to_pylist() == [
        {"post_id": "p1", "document_id": "d1", "comment_count": 3, "comments_open": True, "run_id": "r", "seq": 7,
         "note": None},
        {"post_id": "p2", "document_id": "d1", "comment_count": None, "comments_open": None, "run_id": "r", "seq": 8,
         "note": None},
    ]
