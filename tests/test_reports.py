"""Named reports (sql/reports/, `etl report`): every report in every format on the sample,
values checked by hand against the sample dump, parameters bound, never pasted."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from etl.present.report import ReportError, get_report, list_reports, parse_params, parse_report, query
from tests.accuracy import DEFAULT_FIXTURES
from tests.corpus import second_dump
from tests.utils import ROOT, connect, etl, etl_here, expectation_count, table_counts

REPORTS = sorted(p.stem for p in (ROOT / "sql" / "reports").glob("*.sql"))
FORMATS = ("table", "csv", "json", "markdown")
REQUIRED = {
    "posts_per_period", "posts_per_source", "top_categories",
    "categories_by_month", "category_co_occurrence", "most_commented_posts", "comment_growth",
    "authors_and_sources", "repost_lag_by_source", "word_count_by_source", "run_history",
    "rejected_documents", "data_quality_summary",
}


def report(wh: Path, name: str, *params: str) -> list[dict]:
    """`etl report NAME --format json` rows (run in this process: see the first test)."""
    args = [a for p in params for a in ("--param", p)]
    result = etl_here("report", name, "-w", wh, "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def two_dumps(sample_warehouse, tmp_path_factory) -> Path:
    """The sample warehouse, then a run of the next day's dump plus two files it must reject."""
    wh = tmp_path_factory.mktemp("two") / "warehouse"
    shutil.copytree(sample_warehouse, wh, symlinks=True)
    dumps = tmp_path_factory.mktemp("dumps")
    second_dump(dumps)
    (dumps / "empty.txt").write_bytes(b"")
    (dumps / "binary.txt").write_bytes(b"\x00\x01binary\x00" * 50)
    result = etl("run", "-w", wh, dumps)
    assert result.returncode == 1, result.stdout + result.stderr  # some documents rejected
    return wh


# ---------------------------------------------------------------- the catalog of reports


@pytest.mark.parametrize("args", [
    *(("report", "top_categories", "--format", fmt) for fmt in FORMATS),
    ("report", "posts_per_day", "--param", "since=2020-01-08"),
    ("report", "top_categories", "--param", "limit=1; DROP TABLE posts"),  # exit 2
    ("report", "no_such_report"),
])
def test_reports_run_in_this_process_give_what_etl_gives(sample_warehouse, args):
    """Most tests below run `etl report` in this process (tests.utils.etl_here): what a real
    `etl` process prints, on both streams, and its exit code."""
    args = (*args, "-w", sample_warehouse)
    here, there = etl_here(*args), etl(*args)
    assert (here.returncode, here.stdout, here.stderr) == (there.returncode, there.stdout, there.stderr)


@pytest.mark.quick
def test_the_required_reports_exist():
    assert set(REPORTS) >= REQUIRED


def test_etl_report_lists_every_report_with_its_description():
    result = etl("report")
    assert result.returncode == 0, result.stderr
    header, rule, *lines = result.stdout.splitlines()
    assert header.split() == ["report", "description", "parameters"] and set(rule) == {"─"}
    listed = {line.split()[0] for line in lines}
    assert listed == set(REPORTS)
    for r in list_reports():
        assert r.description, f"{r.name}: the first header line must say what it answers"
        assert r.description in result.stdout


def test_the_report_list_renders_in_other_formats():
    result = etl("report", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert [r["report"] for r in json.loads(result.stdout)] == REPORTS


@pytest.mark.quick
@pytest.mark.parametrize("name", REPORTS)
def test_header_declares_exactly_the_parameters_the_sql_uses(name):
    rep = get_report(name)
    body = "\n".join(line for line in rep.sql.splitlines() if not line.startswith("--"))
    used = set(re.findall(r"\$([a-z_][a-z0-9_]*)", body))
    assert used == {p.name for p in rep.params}
    assert body.rstrip().endswith("select * from final;"), "jaffle_shop style: named CTEs, then final"


# ---------------------------------------------------------------- every report, every format


@pytest.mark.quick
@pytest.mark.parametrize("name", REPORTS)
def test_every_report_runs_in_every_format(sample_warehouse, name):
    outputs = {}
    for fmt in FORMATS:
        result = etl_here("report", name, "-w", sample_warehouse, "--format", fmt)
        assert result.returncode == 0, f"{name} --format {fmt}: {result.stderr}"
        assert result.stderr == ""
        outputs[fmt] = result.stdout.rstrip("\n")
    rows = json.loads(outputs["json"])
    parsed = list(csv.reader(io.StringIO(outputs["csv"])))
    header = parsed[0]
    assert len(parsed) - 1 == len(rows)
    assert all(list(r) == header for r in rows)
    md = outputs["markdown"].splitlines()
    assert md[0] == "| " + " | ".join(header) + " |" and len(md) == len(rows) + 2
    table = outputs["table"].splitlines()
    assert table[0].split() == header
    assert table[-1] == f"({len(rows)} row{'s' if len(rows) != 1 else ''})"


def test_output_writes_the_same_text_to_a_file(sample_warehouse, tmp_path):
    out = tmp_path / "sub" / "top.csv"
    result = etl("report", "top_categories", "-w", sample_warehouse, "-f", "csv", "--output", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "wrote 7 rows" in result.stderr
    printed = etl_here("report", "top_categories", "-w", sample_warehouse, "-f", "csv").stdout
    assert out.read_text(encoding="utf-8") == printed


# ---------------------------------------------------------------- values checked by hand on the sample


@pytest.mark.quick
def test_posts_per_period(sample_warehouse):
    # Footer dates in the sample: 4 posts on January 7, 6 on January 8, 2 on January 9, 2020.
    assert [(r["period_start"], r["posts"]) for r in report(sample_warehouse, "posts_per_period")] == [
        ("2020-01-07", 4), ("2020-01-08", 6), ("2020-01-09", 2)]
    assert report(sample_warehouse, "posts_per_period", "grain=week") == [
        {"period_start": "2020-01-06", "source": None, "posts": 12, "sources": 9, "days_with_posts": 3}]
    assert report(sample_warehouse, "posts_per_period", "grain=month") == [
        {"period_start": "2020-01-01", "source": None, "posts": 12, "sources": 9, "days_with_posts": 3}]
    by_source = report(sample_warehouse, "posts_per_period", "grain=month", "split=source")
    assert len(by_source) == 10 and sum(r["posts"] for r in by_source) == 12
    assert {r["source"]: r["posts"] for r in by_source}["Press TV"] == 2


def test_the_earlier_period_reports_keep_their_names_and_columns(sample_warehouse):
    result = etl("report", "posts_per_week", "-w", sample_warehouse, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "now `posts_per_period --param grain=week`" in result.stderr
    assert etl("report", "posts_per_day", "-w", sample_warehouse, "--param", "grain=week").returncode == 2
    assert [(r["posted_on"], r["posts"]) for r in report(sample_warehouse, "posts_per_day")] == [
        ("2020-01-07", 4), ("2020-01-08", 6), ("2020-01-09", 2)]
    assert report(sample_warehouse, "posts_per_week") == [
        {"week_starting": "2020-01-06", "posts": 12, "sources": 9, "days_with_posts": 3}]
    assert report(sample_warehouse, "posts_per_month") == [
        {"month": "2020-01", "posts": 12, "sources": 9, "days_with_posts": 3}]


@pytest.mark.quick
def test_date_parameters_filter(sample_warehouse):
    rows = report(sample_warehouse, "posts_per_day", "since=2020-01-08")
    assert [(r["posted_on"], r["posts"]) for r in rows] == [("2020-01-08", 6), ("2020-01-09", 2)]
    rows = report(sample_warehouse, "posts_per_day", "since=2020-01-08", "until=2020-01-08")
    assert [(r["posted_on"], r["posts"]) for r in rows] == [("2020-01-08", 6)]
    assert report(sample_warehouse, "posts_per_month", "since=2020-02-01") == []


@pytest.mark.quick
def test_posts_per_source(sample_warehouse):
    rows = report(sample_warehouse, "posts_per_source")
    by_source = {r["source"]: r["posts"] for r in rows}
    # Nine outlets; Press TV and ZeroHedge twice each; one post's byline names no outlet.
    assert len(by_source) == 10 and by_source.pop("(no source)") == 1
    assert len(by_source) == 9
    assert by_source["ZeroHedge"] == 2 and by_source["Press TV"] == 2
    assert sorted(by_source.values()) == [1] * 7 + [2, 2]
    assert [r["source"] for r in rows[:2]] == ["Press TV", "ZeroHedge"]
    assert rows[0]["first_posted_on"] == "2020-01-07" and rows[0]["last_posted_on"] == "2020-01-08"
    assert len(report(sample_warehouse, "posts_per_source", "limit=3")) == 3


@pytest.mark.quick
def test_top_categories(sample_warehouse):
    rows = report(sample_warehouse, "top_categories")
    assert [(r["category"], r["posts"]) for r in rows] == [
        ("Illegal Occupation", 6), ("Wars for Israel", 3), ("Militarism", 2), ("Timeless or most popular", 2),
        ("Aletho News", 1), ("Ethnic Cleansing, Racism, Zionism", 1), ("Video", 1)]
    # Illegal Occupation: 210 + 552 + 579 + 888 + 269 + 386 words.
    assert rows[0]["words"] == 2884
    assert [r["category"] for r in report(sample_warehouse, "top_categories", "limit=1")] == ["Illegal Occupation"]


@pytest.mark.quick
def test_categories_by_month(sample_warehouse):
    rows = report(sample_warehouse, "categories_by_month")
    assert len(rows) == 7 and {r["month"] for r in rows} == {"2020-01"}
    assert rows[0] == {"month": "2020-01", "category": "Illegal Occupation", "posts": 6}
    assert sum(r["posts"] for r in rows) == 16  # one per post_tags row
    assert report(sample_warehouse, "categories_by_month", "category=Militarism") == [
        {"month": "2020-01", "category": "Militarism", "posts": 2}]


@pytest.mark.quick
def test_category_co_occurrence(sample_warehouse):
    # Three posts have several categories: {Timeless, Wars for Israel}, {Illegal Occupation, Wars for
    # Israel} and {Ethnic Cleansing…, Timeless, Wars for Israel}: four pairs.
    rows = report(sample_warehouse, "category_co_occurrence")
    assert [(r["category_a"], r["category_b"], r["posts_together"]) for r in rows] == [
        ("Timeless or most popular", "Wars for Israel", 2),
        ("Ethnic Cleansing, Racism, Zionism", "Timeless or most popular", 1),
        ("Ethnic Cleansing, Racism, Zionism", "Wars for Israel", 1),
        ("Illegal Occupation", "Wars for Israel", 1),
    ]
    assert rows[0]["jaccard"] == pytest.approx(2 / 3, abs=1e-3)  # 2 together / (2 + 3 - 2)
    assert len(report(sample_warehouse, "category_co_occurrence", "min_posts=2")) == 1


@pytest.mark.quick
def test_most_commented_posts(sample_warehouse):
    rows = report(sample_warehouse, "most_commented_posts", "limit=3")
    assert [(r["title"], r["comment_count"]) for r in rows] == [
        ("FM Zarif: Iran’s Reprisal Attack in Compliance with UN Charter", 5),
        ("After Soleimani Killing Suddenly the US is Alone", 3),
        ("Zarif: Iran informed Iraqi govt. of missile attack on US bases", 3),
    ]
    assert rows[0]["source"] == "Fars News Agency"
    assert sum(r["comment_count"] for r in report(sample_warehouse, "most_commented_posts")) == 20


@pytest.mark.quick
def test_authors_and_sources(sample_warehouse):
    rows = report(sample_warehouse, "authors_and_sources")
    assert [(r["author"], r["posts"], r["source_names"]) for r in rows] == [
        ("Tyler Durden", 2, "ZeroHedge"),
        ("Joaquin Flores", 1, "Strategic Culture Foundation"),
        ("Paul Antonopoulos", 1, "(no source)"),
        ("Tom Luongo", 1, "Gold, Goats, & Guns"),
    ]
    assert [r["author"] for r in report(sample_warehouse, "authors_and_sources", "author=Tom Luongo")] == [
        "Tom Luongo"]


@pytest.mark.quick
def test_repost_lag_by_source(sample_warehouse):
    rows = {r["source"]: r for r in report(sample_warehouse, "repost_lag_by_source")}
    # Byline January 6, footer January 8; ZeroHedge: January 7 → 8 twice; Fars: January 8 → 7.
    assert rows["Gold, Goats, & Guns"]["avg_lag_days"] == 2
    assert rows["ZeroHedge"]["avg_lag_days"] == 1 and rows["ZeroHedge"]["posts"] == 2
    assert rows["Fars News Agency"]["min_lag_days"] == -1
    assert rows["Press TV"]["same_day_posts"] == 2
    assert sum(r["posts"] for r in rows.values()) == 12
    assert next(iter(rows)) == "Gold, Goats, & Guns"  # longest lag first


@pytest.mark.quick
def test_word_count_by_source(sample_warehouse):
    rows = {r["source"]: r for r in report(sample_warehouse, "word_count_by_source")}
    zh = rows["ZeroHedge"]  # 276 and 579 words
    assert (zh["posts"], zh["min_words"], zh["max_words"], zh["median_words"]) == (2, 276, 579, 427.5)
    assert rows["Strategic Culture Foundation"]["median_words"] == 2047
    assert sum(r["posts"] for r in rows.values()) == 12


@pytest.mark.quick
def test_run_history_and_data_quality_on_the_sample(sample_warehouse):
    (run,) = report(sample_warehouse, "run_history")
    assert (run["status"], run["exit_code"], run["documents_new"], run["posts_new"]) == ("succeeded", 0, 1, 12)
    n = expectation_count()
    assert (run["validation_status"], run["expectations_evaluated"], run["expectations_failed"]) == ("passed", n, 0)
    (dq,) = report(sample_warehouse, "data_quality_summary")
    assert dq["run_id"] == run["run_id"]
    assert (dq["evaluated"], dq["passed"], dq["failed"], dq["failed_expectations"]) == (n, n, 0, None)


@pytest.mark.quick
def test_extraction_warnings(sample_warehouse):
    # Two bylines carry the ambiguous date 01/07/2020, read month-first.
    assert report(sample_warehouse, "extraction_warnings") == [{
        "code": "ambiguous-date", "warnings": 2, "documents": 1,
        "example": "byline date '01/07/2020' read month-first"}]


def test_extraction_warnings_list_unread_bylines_undated_posts_and_cut_footers(tmp_path):
    """Three fixture dumps (tests/fixtures/dumps): a byline read in part and a video without
    any date on the home page; a byline read in part, a dump cut inside its last footer, a
    slash date read day-first and an archive heading on the category page; a dump cut inside
    the comment field of its last footer on the fragment."""
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    for name in ("home-2026-01-28", "listing-category-2024-03-05", "fragment-2023-09-14"):
        shutil.copy(DEFAULT_FIXTURES / "dumps" / f"{name}.txt", dumps)
    wh = tmp_path / "warehouse"
    result = etl("run", "-w", wh, dumps)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = report(wh, "extraction_warnings")
    assert [(r["code"], r["warnings"], r["documents"]) for r in rows] == [
        ("byline-unread", 2, 2), ("footer-cut-off", 2, 2), ("ambiguous-date", 1, 1), ("ignored-line", 1, 1),
        ("undated-post", 1, 1)]
    example = {r["code"]: r["example"] for r in rows}
    assert "'By Hanna Lindqvist · 23 Jan 2026 · 6 min read'" in example["byline-unread"]
    assert "'March 5, 2024 Post'" in example["footer-cut-off"]


@pytest.mark.quick
def test_sample_alone_has_no_comment_growth_and_no_rejected_documents(sample_warehouse):
    assert report(sample_warehouse, "comment_growth") == []
    assert report(sample_warehouse, "rejected_documents") == []


# ---------------------------------------------------------------- several dumps and runs


def test_comment_growth_across_dumps(two_dumps):
    rows = report(two_dumps, "comment_growth")
    assert len(rows) == 12 and {r["dumps"] for r in rows} == {2}
    top = [(r["title"], r["first_count"], r["latest_count"], r["growth"]) for r in rows[:3]]
    assert top == [
        ("FM Zarif: Iran’s Reprisal Attack in Compliance with UN Charter", 5, 8, 3),
        ("Iran Strikes Back! Daniel McAdams talks to RT", 2, 4, 2),
        ("The Kerfuffle War – Trump’s Iran De-escalation Succeeds", 0, 1, 1),
    ]
    assert rows[0]["first_dump"].endswith("aletho-news-2020-01-09.txt")
    assert rows[0]["latest_dump"].endswith("aletho-news-2020-01-10.txt")
    assert all(r["growth"] == 0 for r in rows[3:])
    assert report(two_dumps, "comment_growth", "min_dumps=3") == []
    # most_commented_posts uses the latest count.
    assert report(two_dumps, "most_commented_posts", "limit=1")[0]["comment_count"] == 8


def test_rejected_documents_and_run_history_across_runs(two_dumps):
    rows = report(two_dumps, "rejected_documents")
    assert [(Path(r["path"]).name, r["error"]) for r in rows] == [
        ("binary.txt", "contains NUL bytes: a binary file, not a text dump"),
        ("empty.txt", "empty file"),
    ]
    runs = report(two_dumps, "run_history")
    assert [(r["status"], r["documents_new"], r["documents_rejected"]) for r in runs] == [
        ("partial", 1, 2), ("succeeded", 1, 0)]
    assert {r["run_id"] for r in rows} == {runs[0]["run_id"]}
    assert len(report(two_dumps, "run_history", "limit=1")) == 1
    dq = report(two_dumps, "data_quality_summary")
    assert [(r["evaluated"], r["failed"]) for r in dq] == [(expectation_count(), 0)] * 2


# ---------------------------------------------------------------- parameters: bound, validated, exit 2


@pytest.mark.quick
@pytest.mark.parametrize(("name", "param", "message"), [
    ("top_categories", "limit=1; DROP TABLE posts", "is not a whole number"),
    ("top_categories", "limit=-1", "is not a whole number"),
    ("top_categories", "limit=2.5", "is not a whole number"),
    ("top_categories", "limit=", "is not a whole number"),
    ("posts_per_day", "since=2020-13-01", "is not a date"),
    ("posts_per_day", "since=20200101", "is not a date"),
    ("posts_per_day", "since=2020-01-01' or '1'='1", "is not a date"),
    ("posts_per_period", "grain=year", "is not one of day, week, month"),
    ("top_categories", "nope=1", "has no parameter 'nope'"),
    ("top_categories", "limit", "malformed parameter"),
    ("top_categories", "Limit=2", "malformed parameter"),
    ("no_such_report", "limit=1", "no report named"),
])
def test_bad_parameters_exit_2_with_a_clear_message(sample_warehouse, name, param, message):
    result = etl_here("report", name, "-w", sample_warehouse, "--param", param)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and message in result.stderr


@pytest.mark.quick
def test_a_parameter_given_twice_is_an_error():
    with pytest.raises(ReportError, match="given twice"):
        parse_params(["limit=1", "limit=2"])


@pytest.mark.quick
def test_sql_in_a_parameter_is_rejected_and_the_tables_are_intact(sample_warehouse):
    before = table_counts(sample_warehouse)
    for attack in ("limit=1; DROP TABLE posts", "limit=1 union select 1", "since=1900-01-01; delete from posts"):
        name = "top_categories" if attack.startswith("limit") else "posts_per_day"
        assert etl_here("report", name, "-w", sample_warehouse, "--param", attack).returncode == 2
    # Text parameters are bound as values: SQL in them is just a string that matches nothing.
    assert report(sample_warehouse, "authors_and_sources", "author=x'; DROP TABLE posts; --") == []
    assert report(sample_warehouse, "categories_by_month", "category=' or 1=1 --") == []
    assert table_counts(sample_warehouse) == before
    assert len(report(sample_warehouse, "most_commented_posts")) == 12


@pytest.mark.quick
def test_values_are_converted_to_the_declared_types():
    rep = get_report("posts_per_period")
    assert rep.bind({"since": "2020-01-08"}) == {
        "grain": "day", "since": date(2020, 1, 8), "until": date(2999, 12, 31), "split": "none"}
    assert get_report("posts_per_month").bind({})["grain"] == "month"  # an alias fixes it
    assert get_report("top_categories").bind({"limit": "007"})["limit"] == 7
    assert get_report("authors_and_sources").bind({})["author"] == ""


def test_no_warehouse_exits_1(tmp_path):
    result = etl("report", "posts_per_day", "-w", tmp_path / "none")
    assert result.returncode == 1
    assert "run `etl run` first" in result.stderr


# ---------------------------------------------------------------- the docs


def test_docs_list_every_report_and_their_example_report_runs(sample_warehouse, tmp_path):
    docs = (ROOT / "docs" / "bi.md").read_text(encoding="utf-8")
    for name in REPORTS:
        assert f"| `{name}` |" in docs, f"docs/bi.md does not list report {name}"
    example = docs.split("```sql\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "posts_per_weekday.sql"
    path.write_text(example, encoding="utf-8")
    rep = parse_report(path)
    assert rep.description.startswith("Posts per weekday") and [p.name for p in rep.params] == ["since"]
    with connect(sample_warehouse) as con:
        columns, rows = query(con, rep.sql, rep.bind({}))
    assert columns == ["weekday", "posts"] and rows[0] == ("Wednesday", 6)
