"""Validation alone: the real Great Expectations suites on staged tables."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from etl.core.reference import load_reference
from etl.extract import Document, parse_page
from etl.run.transform import Parsed
from tests.staging import build_tables, stage_tables
from tests.utils import ROOT, SAMPLE

REF = load_reference()
EXPECTATIONS_DIR = ROOT / "expectations"


@pytest.fixture(scope="module")
def staged():
    text = SAMPLE.read_text(encoding="utf-8")
    doc = Document("a" * 64, "s.txt", len(text), "utf-8", text)
    return build_tables([Parsed(doc, parse_page(text, REF))], [], "r1", REF)


def test_sample_passes_every_suite(staged):
    from etl.run.validate import validate

    outcomes = validate(stage_tables(staged), EXPECTATIONS_DIR)
    assert len(outcomes) == sum(len(json.loads(p.read_text())["expectations"])
                                for p in EXPECTATIONS_DIR.glob("*.json"))
    assert [o for o in outcomes if not o.success] == []
    assert {o.table for o in outcomes} == {p.stem for p in EXPECTATIONS_DIR.glob("*.json")}


def test_failures_name_expectation_values_and_documents(staged):
    from etl.run.validate import validate

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
    from etl.run.validate import validate

    sources = staged["sources"]
    i = sources.schema.get_field_index("name")
    names = sources.column("name").to_pylist()
    names[0] = ""
    bad = {**staged, "sources": sources.set_column(i, sources.schema.field(i), pa.array(names))}
    (o,) = [o for o in validate(stage_tables(bad), EXPECTATIONS_DIR) if not o.success]
    assert (o.table, o.expectation, o.examples, o.documents) == \
        ("sources", "expect_column_value_lengths_to_be_between", [""], {})


def test_uniqueness_sees_every_row(staged):
    """A duplicate key fails uniqueness wherever its rows are, with both rows and their documents."""
    from etl.run.validate import validate

    posts = staged["posts"].to_pylist()
    posts[11]["post_id"] = posts[0]["post_id"]
    posts[7]["word_count"] = posts[9]["word_count"] = -1
    bad = {**staged, "posts": pa.Table.from_pylist(posts, schema=staged["posts"].schema)}
    failed = {(o.expectation, o.column): o for o in validate(stage_tables(bad), EXPECTATIONS_DIR) if not o.success}
    assert set(failed) == {("expect_column_values_to_be_unique", "post_id"),
                           ("expect_column_values_to_be_between", "word_count")}
    unique = failed["expect_column_values_to_be_unique", "post_id"]
    assert (unique.unexpected_count, unique.documents) == (2, {"a" * 64: [posts[0]["post_id"]] * 2})
    between = failed["expect_column_values_to_be_between", "word_count"]
    assert (between.unexpected_count, between.examples, between.documents) == (2, [-1, -1], {"a" * 64: [-1, -1]})


def test_suite_splits_into_rows_and_table(tmp_path):
    """Row-by-row expectations are "rows", uniqueness "keys", whole-table aggregates "table"."""
    from etl.run.validate import load_suite

    path = tmp_path / "posts.json"
    path.write_text(json.dumps({"name": "posts", "expectations": [
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "post_id"}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "title"}},
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["post_id", "tag_id"]}},
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}},
        {"type": "expect_column_value_lengths_to_be_between", "kwargs": {"column": "title", "min_value": 1}},
        {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "word_count", "min_value": 1}},
        {"type": "expect_column_distinct_values_to_be_in_set", "kwargs": {"column": "kind", "value_set": ["a"]}},
        {"type": "expect_column_pair_values_a_to_be_greater_than_b",
         "kwargs": {"column_A": "posted_on", "column_B": "published_on"}},
    ]}))
    ids = lambda part: [int(e.id.partition("#")[2]) for e in load_suite(path, part).expectations]  # noqa: E731
    assert ids("rows") == [1, 4, 7]
    assert ids("keys") == [0, 2]
    assert ids("table") == [3, 5, 6]
    assert ids(None) == list(range(8))


def test_table_expectations_on_a_named_relation(staged, tmp_path):
    """Table-level expectations (row count, mean) on the relation the caller names; a failing
    aggregate reports the value it found."""
    from etl.run.validate import validate

    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "posts.json").write_text(json.dumps({"name": "posts", "expectations": [
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1, "max_value": 12}},
        {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "word_count", "min_value": 1,
                                                               "max_value": 10}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "title"}},
    ]}))
    con = stage_tables(staged)
    con.execute("create temp view published_posts as select * from staged_posts union all "
                "select * from staged_posts limit 13")
    assert [o.expectation for o in validate(con, suites, part="rows")] == ["expect_column_values_to_not_be_null"]
    staged_outcomes = validate(con, suites, part="table")
    assert [o.success for o in staged_outcomes] == [True, False]
    mean = staged_outcomes[1]
    assert mean.examples and mean.examples[0] > 10 and mean.documents == {}
    (count, _) = validate(con, suites, {"posts": "published_posts"}, part="table")
    assert (count.success, count.examples) == (False, [13])


def test_missing_relation_is_an_error(staged, tmp_path):
    from etl.run.validate import validate

    with pytest.raises(ValueError, match=r"cannot validate staged_authors: .*does not exist"):
        validate(stage_tables({"tags": staged["tags"]}), EXPECTATIONS_DIR)


def test_unknown_expectation_type_is_an_error(tmp_path):
    from etl.run.validate import load_suite

    path = tmp_path / "posts.json"
    path.write_text(json.dumps({"name": "posts", "expectations": [
        {"type": "expect_column_values_to_be_purple", "kwargs": {"column": "title"}, "meta": {}}]}))
    with pytest.raises(ValueError, match="invalid expectations"):
        load_suite(path)


def test_relation_in_an_attached_catalog(staged, tmp_path):
    """The relation may be any name the connection resolves, e.g. a table of an attached catalog."""
    from etl.run.validate import validate

    con = stage_tables(staged)
    con.execute("attach ':memory:' as lake")
    con.execute("create table lake.main.tags as from staged_tags")
    con.execute("insert into lake.main.tags from staged_tags limit 1")
    outcomes = validate(con, EXPECTATIONS_DIR, {"tags": "lake.main.tags"}, part="keys")
    (unique,) = [o for o in outcomes if o.table == "tags"]
    assert (unique.expectation, unique.success, unique.unexpected_count) == \
        ("expect_column_values_to_be_unique", False, 2)
