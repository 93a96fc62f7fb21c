"""The data dictionary: one source (COMMENT ON in the DDL), read off DuckDB's catalog,
rendered by `etl schema` into docs/data-dictionary.md, which cannot drift."""

from __future__ import annotations

import pytest

from etl.core.schemas import connect_memory, table_names
from etl.present.dictionary import GENERATE_COMMAND, render
from etl.storage.described import collect, ddl_catalog, undocumented
from tests.utils import ROOT, connect, etl

DOCS = ROOT / "docs" / "data-dictionary.md"


@pytest.fixture(scope="module")
def relations():
    with ddl_catalog() as con:
        return collect(con)


def test_committed_docs_match_what_the_ddl_renders(relations):
    assert DOCS.read_text(encoding="utf-8") == render(relations, "markdown"), (
        f"docs/data-dictionary.md is stale: run `{GENERATE_COMMAND}`")


def test_every_table_view_and_column_of_the_warehouse_is_documented(sample_warehouse):
    """Read the real published database (not the DDL): what BI tools see has comments too."""
    with connect(sample_warehouse) as con:
        found = collect(con)
        catalog = {
            (t, c) for t, c in con.execute("""
                select c.table_name, c.column_name from duckdb_columns() as c
                where c.schema_name = 'main' and c.table_name in (
                    select table_name from duckdb_tables() union all
                    select view_name from duckdb_views() where not internal)""").fetchall()
        }
    assert undocumented(found) == []
    assert {(r.name, c.name) for r in found for c in r.columns} == catalog
    names = {r.name for r in found}
    assert set(table_names()) <= names
    assert {"post_details", "bi_posts", "bi_post_categories", "bi_daily_activity"} <= names


def test_an_undocumented_column_is_caught():
    con = connect_memory()
    con.execute("create table t (a integer primary key, b varchar)")
    con.execute("comment on table t is 'A table.'")
    con.execute("comment on column t.a is 'Key. Documented.'")
    con.execute("create view v as select a from t")
    assert undocumented(collect(con)) == ["t.b", "v", "v.a"]


def test_keys_types_and_meanings(relations):
    by_name = {r.name: r for r in relations}
    posts = {c.name: c for c in by_name["posts"].columns}
    assert (posts["post_id"].key, posts["post_id"].type, posts["post_id"].not_null) == ("PK", "varchar", True)
    assert posts["source_id"].key == "FK → sources.source_id"
    assert posts["posted_on"].type == "date" and "footer" in posts["posted_on"].comment
    post_tags = {c.name: c for c in by_name["post_tags"].columns}
    assert post_tags["post_id"].key == "PK part, FK → posts.post_id"
    bi_posts = {c.name: c for c in by_name["bi_posts"].columns}
    assert bi_posts["post_id"].key == "key" and bi_posts["title"].key == ""
    assert by_name["bi_posts"].kind == "view"
    n = len(table_names())
    assert [r.kind for r in relations] == ["table"] * n + ["view"] * (len(relations) - n)


def test_etl_schema_prints_the_dictionary(relations):
    text = etl("schema")
    assert text.returncode == 0, text.stderr
    for r in relations:
        assert f"{r.name} ({r.kind}): " in text.stdout
    markdown = etl("schema", "--format", "markdown")
    assert markdown.returncode == 0, markdown.stderr
    assert markdown.stdout == DOCS.read_text(encoding="utf-8")


def test_etl_schema_output_writes_the_docs_file(tmp_path):
    out = tmp_path / "dd.md"
    result = etl("schema", "--format", "markdown", "--output", out)
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8") == DOCS.read_text(encoding="utf-8")
    assert etl("schema", "--format", "yaml").returncode == 2
