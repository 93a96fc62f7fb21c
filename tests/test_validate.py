"""Validation alone: the real Great Expectations suites on staged tables."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from etl.extract import Document, parse_page
from etl.settings import EXPECTATIONS_DIR, load_reference
from etl.transform import Parsed, build_tables
from tests.utils import SAMPLE

REF = load_reference()


@pytest.fixture(scope="module")
def staged():
    text = SAMPLE.read_text(encoding="utf-8")
    doc = Document("a" * 64, "s.txt", len(text), "utf-8", text)
    return build_tables([Parsed(doc, parse_page(text, REF))], [], "r1", REF)


def test_sample_passes_every_suite(staged):
    from etl.validate import stage_tables, validate

    outcomes = validate(stage_tables(staged), EXPECTATIONS_DIR)
    assert len(outcomes) == sum(len(json.loads(p.read_text())["expectations"])
                                for p in EXPECTATIONS_DIR.glob("*.json"))
    assert [o for o in outcomes if not o.success] == []
    assert {o.table for o in outcomes} == {p.stem for p in EXPECTATIONS_DIR.glob("*.json")}


def test_failures_name_expectation_values_and_documents(staged):
    from etl.validate import stage_tables, validate

    posts = staged["posts"]
    i = posts.schema.get_field_index("word_count")
    counts = posts.column("word_count").to_pylist()
    counts[3] = -5
    bad = {**staged, "posts": posts.set_column(i, posts.schema.field(i), pa.array(counts, pa.int32()))}
    failed = [o for o in validate(stage_tables(bad), EXPECTATIONS_DIR) if not o.success]
    assert len(failed) == 1
    (o,) = failed
    assert (o.table, o.expectation, o.column, o.unexpected_count, o.examples) == \
        ("posts", "expect_column_values_to_be_between", "word_count", 1, [-5])
    assert o.documents == {"a" * 64: [-5]}


def test_failure_in_table_without_documents_is_not_traceable(staged):
    from etl.validate import stage_tables, validate

    sources = staged["sources"]
    i = sources.schema.get_field_index("name")
    names = sources.column("name").to_pylist()
    names[0] = ""
    bad = {**staged, "sources": sources.set_column(i, sources.schema.field(i), pa.array(names))}
    (o,) = [o for o in validate(stage_tables(bad), EXPECTATIONS_DIR) if not o.success]
    assert (o.table, o.expectation, o.examples, o.documents) == \
        ("sources", "expect_column_value_lengths_to_be_between", [""], {})


def test_chunks_find_what_one_frame_finds(staged, monkeypatch):
    """Key columns are split by a hash of the key: a duplicate key lands in one chunk and still
    fails uniqueness; row-by-row expectations see chunks of rows; counts, examples and
    documents add up over the chunks."""
    from etl import validate as v

    posts = staged["posts"].to_pylist()
    posts[5]["post_id"] = posts[2]["post_id"]
    posts[7]["word_count"] = posts[9]["word_count"] = -1
    bad = {**staged, "posts": pa.Table.from_pylist(posts, schema=staged["posts"].schema)}
    monkeypatch.setattr(v, "CHUNK_ROWS", 3)
    monkeypatch.setattr(v, "BATCH_ROWS", 2)
    con = v.stage_tables(bad)
    assert [c.num_rows for c in v._row_chunks(con, "posts", ["word_count"])] == [4, 4, 4]
    keys = list(v._key_chunks(con, "posts", "post_id", ["post_id"]))
    assert len(keys) == 4 and sum(c.num_rows for c in keys) == 12
    assert any(c.column("post_id").to_pylist().count(posts[2]["post_id"]) == 2 for c in keys)
    failed = {(o.expectation, o.column): o for o in v.validate(con, EXPECTATIONS_DIR) if not o.success}
    assert set(failed) == {("expect_column_values_to_be_unique", "post_id"),
                           ("expect_column_values_to_be_between", "word_count")}
    assert failed["expect_column_values_to_be_unique", "post_id"].unexpected_count == 2
    between = failed["expect_column_values_to_be_between", "word_count"]
    assert (between.unexpected_count, between.examples, between.documents) == (2, [-1, -1], {"a" * 64: [-1, -1]})


def test_table_aggregates_cannot_be_validated_in_chunks(tmp_path):
    from etl.validate import _split

    assert _split({"expectations": [
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "post_id"}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "title"}},
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["post_id", "tag_id"]}},
    ]}) == {"keys": ["post_id", "tag_id"], "rows": ["title"]}
    with pytest.raises(ValueError, match="expect_table_row_count_to_be_between needs the whole table"):
        _split({"expectations": [{"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}}]})


def test_unknown_expectation_type_is_an_error(tmp_path):
    from etl.validate import load_suite

    path = tmp_path / "posts.json"
    path.write_text(json.dumps({"name": "posts", "expectations": [
        {"type": "expect_column_values_to_be_purple", "kwargs": {"column": "title"}, "meta": {}}]}))
    with pytest.raises(ValueError, match="invalid expectations"):
        load_suite(path)
