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
    from etl.validate import validate

    outcomes = validate(staged, EXPECTATIONS_DIR)
    assert len(outcomes) == sum(len(json.loads(p.read_text())["expectations"])
                                for p in EXPECTATIONS_DIR.glob("*.json"))
    assert [o for o in outcomes if not o.success] == []
    assert {o.table for o in outcomes} == {p.stem for p in EXPECTATIONS_DIR.glob("*.json")}


def test_failures_name_expectation_values_and_documents(staged):
    from etl.validate import validate

    posts = staged["posts"]
    i = posts.schema.get_field_index("word_count")
    counts = posts.column("word_count").to_pylist()
    counts[3] = -5
    bad = {**staged, "posts": posts.set_column(i, posts.schema.field(i), pa.array(counts, pa.int32()))}
    failed = [o for o in validate(bad, EXPECTATIONS_DIR) if not o.success]
    assert len(failed) == 1
    (o,) = failed
    assert (o.table, o.expectation, o.column, o.unexpected_count, o.examples) == \
        ("posts", "expect_column_values_to_be_between", "word_count", 1, [-5])
    assert o.documents == {"a" * 64: [-5]}


def test_failure_in_table_without_documents_is_not_traceable(staged):
    from etl.validate import validate

    sources = staged["sources"]
    i = sources.schema.get_field_index("name")
    names = sources.column("name").to_pylist()
    names[0] = ""
    bad = {**staged, "sources": sources.set_column(i, sources.schema.field(i), pa.array(names))}
    (o,) = [o for o in validate(bad, EXPECTATIONS_DIR) if not o.success]
    assert (o.table, o.expectation, o.examples, o.documents) == \
        ("sources", "expect_column_value_lengths_to_be_between", [""], {})


def test_unknown_expectation_type_is_an_error(tmp_path):
    from etl.validate import load_suite

    path = tmp_path / "posts.json"
    path.write_text(json.dumps({"name": "posts", "expectations": [
        {"type": "expect_column_values_to_be_purple", "kwargs": {"column": "title"}, "meta": {}}]}))
    with pytest.raises(ValueError, match="invalid expectations"):
        load_suite(path)
