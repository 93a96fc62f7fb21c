"""The BI layer (sql/bi/): stable, documented views with one row grain each, and the
Parquet tables other engines read directly."""

from __future__ import annotations

import json
import re
from datetime import date

import duckdb
import pandas as pd
import pytest

from tests.utils import ROOT, connect, expectation_count, rows

pytestmark = pytest.mark.quick  # queries of the session's sample warehouse

BI_VIEWS = {  # view → its grain (the columns that identify a row)
    "bi_posts": ("post_id",),
    "bi_post_categories": ("post_id", "category"),
    "bi_daily_activity": ("activity_date",),
    "bi_sources": ("source_id",),
    "bi_runs": ("run_id",),
}


def test_one_file_per_view_in_sql_bi():
    # and search.sql, the search(q) table macro (tests/test_search.py)
    assert {p.stem for p in (ROOT / "sql" / "bi").glob("*.sql")} == {*BI_VIEWS, "search"}


def test_the_views_exist_in_the_published_database(sample_warehouse):
    views = {v for (v,) in rows(sample_warehouse, "select view_name from duckdb_views() where not internal")}
    assert set(BI_VIEWS) | {"post_details"} <= views


@pytest.mark.parametrize(("view", "grain"), BI_VIEWS.items())
def test_one_row_per_grain(sample_warehouse, view, grain):
    cols = ", ".join(grain)
    (total, distinct, nulls), = rows(sample_warehouse, f"""
        select count(*), count(distinct ({cols})), count(*) filter (where {' or '.join(f'{c} is null' for c in grain)})
        from {view}""")
    assert total > 0 and total == distinct and nulls == 0


@pytest.mark.parametrize("view", BI_VIEWS)
def test_friendly_columns_for_bi_tools(sample_warehouse, view):
    with connect(sample_warehouse) as con:
        columns = con.execute(
            "select column_name, data_type, comment from duckdb_columns() where table_name = ?", [view]).fetchall()
        (view_comment,), = con.execute("select comment from duckdb_views() where view_name = ?", [view]).fetchall()
    assert view_comment and "one row per" in view_comment.lower()
    for name, data_type, comment in columns:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name  # no quoting needed anywhere
        assert not data_type.endswith("]") and not data_type.startswith(("STRUCT", "MAP")), (name, data_type)
        assert comment, f"{view}.{name} is undocumented"
    for key in BI_VIEWS[view]:
        comment = next(c for n, _, c in columns if n == key)
        assert comment.startswith("Key"), f"{view}.{key}: the grain key is marked `Key.` / `Key part.`"


def test_bi_posts(sample_warehouse):
    assert rows(sample_warehouse, "select count(*), count(distinct source), sum(comment_count) from bi_posts") == [
        (12, 10, 20)]
    (zarif,) = rows(sample_warehouse, """
        select source, author, published_date, posted_date, posted_week, posted_month, primary_category,
               comment_count, repost_lag_days
        from bi_posts where title like 'FM Zarif%'""")
    assert zarif == ("Fars News Agency", "(no author)", date(2020, 1, 8), date(2020, 1, 7), date(2020, 1, 6),
                     date(2020, 1, 1), "Illegal Occupation", 5, -1)
    (kerfuffle,) = rows(sample_warehouse, """
        select categories, category_count, primary_category, word_count
        from bi_posts where title like 'The Kerfuffle%'""")
    assert kerfuffle == ("Ethnic Cleansing, Racism, Zionism | Timeless or most popular | Wars for Israel", 3,
                         "Ethnic Cleansing, Racism, Zionism", 2047)


def test_bi_post_categories(sample_warehouse):
    assert rows(sample_warehouse, """
        select count(*), count(distinct post_id), count(*) filter (where is_primary_category)
        from bi_post_categories""") == [(16, 12, 12)]
    assert rows(sample_warehouse, """
        select category, count(distinct post_id) from bi_post_categories group by 1 order by 2 desc, 1 limit 2""") == [
        ("Illegal Occupation", 6), ("Wars for Israel", 3)]


def test_bi_daily_activity(sample_warehouse):
    assert rows(sample_warehouse, """
        select activity_date, weekday, posts, sources, comments, cumulative_posts
        from bi_daily_activity order by activity_date""") == [
        (date(2020, 1, 7), "Tuesday", 4, 4, 9, 4),  # comments 5 + 2 + 1 + 1
        (date(2020, 1, 8), "Wednesday", 6, 5, 10, 10),
        (date(2020, 1, 9), "Thursday", 2, 1, 1, 12),
    ]


def test_bi_sources(sample_warehouse):
    assert rows(sample_warehouse, "select count(*), sum(posts) from bi_sources") == [(9, 11)]  # 1 post has none
    assert rows(sample_warehouse, """
        select posts, authors, words, avg_word_count, comments, avg_repost_lag_days
        from bi_sources where source = 'ZeroHedge'""") == [(2, 1, 855, 427.5, 1, 1.0)]


def test_bi_runs(sample_warehouse):
    assert rows(sample_warehouse, """
        select status, documents_new, posts_new, validation_status, expectations_evaluated, expectations_passed,
               expectations_failed
        from bi_runs""") == [("succeeded", 1, 12, "passed", expectation_count(), expectation_count(), 0)]


def test_parquet_tables_read_directly_with_pandas_and_duckdb(sample_warehouse):
    """The documented way for Parquet readers: the files snapshot.json lists (no deletes yet here)."""
    manifest = json.loads((sample_warehouse / "snapshot.json").read_text(encoding="utf-8"))
    posts = pd.read_parquet(manifest["tables"]["posts"]["files"])
    assert len(posts) == 12 and "title" in posts.columns
    con = duckdb.connect()
    files = manifest["tables"]["post_tags"]["files"]
    assert con.execute("select count(*) from read_parquet(?)", [files]).fetchone() == (16,)


def test_bi_tools_can_open_the_published_file_read_only(sample_warehouse):
    with connect(sample_warehouse) as con:
        assert con.execute("select count(*) from bi_posts").fetchone() == (12,)
        with pytest.raises(duckdb.Error):
            con.execute("create table scratch (x int)")


def test_docs_describe_every_bi_view():
    docs = (ROOT / "docs" / "bi.md").read_text(encoding="utf-8")
    for view in BI_VIEWS:
        assert f"| `{view}` |" in docs, f"docs/bi.md does not describe {view}"
