"""`etl dashboard` and `etl validation-report`: self-contained HTML pages (inline SVG charts,
inline CSS, no script, no external URL) built from the sample warehouse."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter

import pytest

from etl.present.dashboard import (
    DashboardData,
    Result,
    _int_ticks,
    build_dashboard,
    chart_svg,
    choose_grain,
    dashboard_charts,
)
from etl.present.htmlpage import external_references
from tests.corpus import second_dump
from tests.utils import etl, expectation_count, rows

CHARTS = ("posts-over-time", "top-sources", "top-categories", "co-occurrence", "most-commented", "repost-lag")
# Data marks each chart draws on the sample (counted by hand from the sample dump):
EXPECTED_MARKS = {
    "posts-over-time": 11,  # (day, source) pairs: 4 on Jan 7, 5 on Jan 8, 2 on Jan 9
    "top-sources": 10,  # 9 outlets and "(no source)"
    "top-categories": 7,
    "co-occurrence": 8,  # 4 category pairs, drawn both ways
    "most-commented": 10,  # the 10 posts with at least one comment
    "repost-lag": 10,  # (source, lag) pairs
}
DATA_MARK_RE = re.compile(r'aria-roledescription="(bar|circle|rect mark|point|square|line mark|area mark)"')


def chart_marks(html: str) -> dict[str, Counter]:
    """For each chart figure of a dashboard page (or its rendered DOM): its data marks by kind."""
    out = {}
    for part in html.split('<figure class="chart"')[1:]:
        key = re.search(r'data-chart="([^"]+)"', part).group(1)
        body = part.split("</figure>")[0]
        out[key] = Counter(DATA_MARK_RE.findall(body))
    return out


def check_dashboard(html: str) -> None:
    """What every rendering of the sample dashboard must show (used by the browser test too)."""
    assert external_references(html) == []
    assert "http://" not in html and "https://" not in html
    marks = chart_marks(html)
    assert list(marks) == list(CHARTS)
    for key, expected in EXPECTED_MARKS.items():
        assert sum(marks[key].values()) == expected, (key, marks[key])
    for title in ("Posts over time", "Top sources", "Top categories", "Category co-occurrence",
                  "Most-commented posts", "Repost lag"):
        assert f"<h3>{title}</h3>" in html


@pytest.fixture(scope="module")
def dashboard(sample_warehouse, tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("dash") / "dashboard.html"
    result = etl("dashboard", "-w", sample_warehouse, "--output", out)
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout
    return out.read_text(encoding="utf-8")


def _segment(html: str, key: str) -> str:
    return html.split(f'data-chart="{key}"', 1)[1].split("</figure>")[0]


def test_the_dashboard_is_self_contained(dashboard):
    assert external_references(dashboard) == []
    assert not re.search(r"https?://", dashboard)
    assert "<script" not in dashboard.lower() and "<link" not in dashboard.lower()
    assert "@import" not in dashboard and "@font-face" not in dashboard
    assert "Content-Security-Policy" in dashboard and "default-src 'none'" in dashboard
    assert len(dashboard.encode()) < 400_000


def test_the_dashboard_has_every_chart_with_the_sample_data(dashboard):
    check_dashboard(dashboard)
    assert dashboard.count("<svg") == len(CHARTS)
    assert "posts: 6; label: Illegal Occupation" in _segment(dashboard, "top-categories")
    assert "posts: 2; label: ZeroHedge" in _segment(dashboard, "top-sources")
    assert "comments: 5; label: 1. FM Zarif" in _segment(dashboard, "most-commented")
    assert "blog's: −1; source: Fars News Agency; posts: 1" in _segment(dashboard, "repost-lag")
    ids = re.findall(r'\bid="([^"]+)"', dashboard)
    assert len(ids) == len(set(ids)), "element ids must be unique across the inlined SVGs"


def test_the_dashboard_shows_totals_and_the_latest_run(dashboard, sample_warehouse):
    (run_id,) = [p.stem for p in (sample_warehouse / "logs").glob("*.json")]
    assert run_id in dashboard
    cards = re.findall(r'<div class="value">([^<]+)</div><div class="label">([^<]+)</div>', dashboard)
    assert {label: value for value, label in cards} == {
        "posts": "12", "sources": "9", "authors": "4", "categories": "7", "comments": "20",
        "documents loaded": "1", "documents rejected": "0"}
    assert f"{expectation_count()} expectations evaluated, 0 failed" in dashboard
    assert "no expectation failed" in dashboard
    assert f"etl validation-report {run_id}" in dashboard


def test_default_output_is_in_the_warehouse(sample_warehouse_copy):
    result = etl("dashboard", "-w", sample_warehouse_copy)
    assert result.returncode == 0, result.stderr
    out = sample_warehouse_copy / "dashboard.html"
    assert str(out) in result.stdout
    page = out.read_text(encoding="utf-8")
    check_dashboard(page)  # every chart, with the sample's data marks
    (run_id,) = [p.stem for p in (sample_warehouse_copy / "logs").glob("*.json")]
    assert run_id in page and f"{expectation_count()} expectations evaluated, 0 failed" in page


def test_no_warehouse_exits_1(tmp_path):
    result = etl("dashboard", "-w", tmp_path / "none", "-o", tmp_path / "d.html")
    assert result.returncode == 1 and "run `etl run` first" in result.stderr
    assert not (tmp_path / "d.html").exists()


# ---------------------------------------------------------------- pure parts


@pytest.mark.quick
def test_choose_grain():
    from datetime import date

    assert choose_grain(date(2020, 1, 1), date(2020, 3, 1)) == "day"
    assert choose_grain(date(2020, 1, 1), date(2021, 1, 1)) == "week"
    assert choose_grain(date(2018, 1, 1), date(2021, 1, 1)) == "month"
    assert choose_grain(None, None) == "day"


@pytest.mark.quick
def test_whole_number_ticks():
    assert _int_ticks(0, 6) == [0, 1, 2, 3, 4, 5, 6]
    assert _int_ticks(0, 745) == [0, 100, 200, 300, 400, 500, 600, 700, 800]
    assert _int_ticks(-2, 3) == [-2, -1, 0, 1, 2, 3]


@pytest.mark.quick
def test_chart_svg_is_inline_safe():
    spec = {"data": {"values": [{"a": "x", "b": 1}]}, "mark": "bar",
            "encoding": {"x": {"field": "b", "type": "quantitative"}, "y": {"field": "a", "type": "nominal"},
                         "color": {"field": "b", "type": "quantitative"}}}
    one, two = chart_svg(spec, "one"), chart_svg(spec, "two")
    assert "xmlns" not in one and "http" not in one
    ids_one, ids_two = set(re.findall(r'id="([^"]+)"', one)), set(re.findall(r'id="([^"]+)"', two))
    assert ids_one and not ids_one & ids_two
    assert all(i.startswith("one-") for i in ids_one)


@pytest.mark.quick
def test_an_empty_warehouse_gives_a_page_without_charts():
    empty = Result([], [])
    data = DashboardData(
        warehouse="wh", generated_at="now",
        totals={"posts": 0, "sources": 0, "authors": 0, "categories": 0, "documents": 0, "rejected": 0,
                "comments": 0, "first": None, "last": None},
        posts_over_time=empty, grain="day", top_sources=empty, top_categories=empty, co_occurrence=empty,
        most_commented=empty, repost_lag=empty, run_history=empty, quality=empty,
        latest_run=None, published_run=None,
    )
    charts = dashboard_charts(data)
    assert [c.key for c in charts] == list(CHARTS) and all(c.spec is None for c in charts)
    html = build_dashboard(data, {})
    assert "<svg" not in html and html.count('class="empty"') >= len(CHARTS)
    assert external_references(html) == []


# ---------------------------------------------------------------- validation reports


def test_validation_report_of_the_published_run(sample_warehouse_copy, tmp_path):
    (run_id,) = [p.stem for p in (sample_warehouse_copy / "logs").glob("*.json")]
    result = etl("validation-report", "-w", sample_warehouse_copy)
    assert result.returncode == 0, result.stderr
    page = (sample_warehouse_copy / "logs" / f"{run_id}.html").read_text(encoding="utf-8")
    assert external_references(page) == [] and not re.search(r"https?://", page)
    assert f"run {run_id}" in page
    assert f"Every expectation evaluated ({expectation_count()})" in page
    assert page.count('<span class="badge ok">passed</span>') >= expectation_count()
    assert "expect_column_values_to_match_regex" in page
    named = tmp_path / "v.html"
    assert etl("validation-report", run_id, "-w", sample_warehouse_copy, "-o", named).returncode == 0
    assert f"Every expectation evaluated ({expectation_count()})" in named.read_text(encoding="utf-8")


def test_unknown_run_exits_2(sample_warehouse):
    result = etl("validation-report", "20990101T000000000000Z-abcdef", "-w", sample_warehouse)
    assert result.returncode == 2 and "no run" in result.stderr
    assert etl("validation-report", "../../etc/passwd", "-w", sample_warehouse).returncode == 2


def test_validation_report_of_a_failed_run(failed_run, tmp_path):
    wh, run_id = failed_run.warehouse, failed_run.run_id
    out = tmp_path / "failed.html"
    result = etl("validation-report", "-w", wh, "-o", out)  # the latest run by default
    assert result.returncode == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert run_id in page and '<span class="badge fail">failed</span>' in page
    assert "Failed expectations (1)" in page
    row = re.search(r'<tr class="fail">(.*?)</tr>', page).group(1)
    assert "sources" in row and "name" in row and "expect_column_values_to_not_be_null" in row
    assert "<code>null</code>" in row  # the offending value
    assert "published nothing" in page
    assert external_references(page) == []


def test_the_dashboard_shows_a_failed_latest_run(failed_run, tmp_path):
    wh, run_id = failed_run.warehouse, failed_run.run_id
    out = tmp_path / "d.html"
    assert etl("dashboard", "-w", wh, "-o", out).returncode == 0
    page = out.read_text(encoding="utf-8")
    latest = page.split('id="latest-run"')[1].split("</section>")[0]
    assert run_id in latest and "badge fail" in latest and "expect_column_values_to_not_be_null" in latest
    (published,) = rows(wh, "select run_id from runs")[0]
    assert f"The charts show the last published run, <code>{published}</code>" in latest
    check_dashboard(page)  # the charts still show the published data


def test_validation_report_of_a_run_that_rejected_a_document(sample_warehouse, tmp_path):
    wh = tmp_path / "warehouse"
    shutil.copytree(sample_warehouse, wh, symlinks=True)
    dump = second_dump(tmp_path / "dumps")
    result = etl("run", "-w", wh, dump, env={"ETL_CORRUPT": "posts.title"})
    assert result.returncode == 1, result.stdout + result.stderr
    # The corrupted post's document is rejected, naming the expectation; the rest is published.
    ((error,),) = rows(wh, "select error from documents where path = ? and status = 'rejected'", [str(dump)])
    assert "failed expectation expect_column_values_to_not_be_null on posts.title" in error and "\n" not in error
    assert f"rejected {dump}: {error}" in result.stdout and f"reason={error}" in result.stderr
    assert rows(wh, "select status, exit_code, documents_new, documents_rejected from runs order by started_at") == \
        [("succeeded", 0, 1, 0), ("partial", 1, 0, 1)]
    assert rows(wh, "select count(*) from posts where title is null") == [(0,)]
    assert rows(wh, "select count(*) from posts") == [(12,)]
    out = tmp_path / "v.html"
    assert etl("validation-report", "-w", wh, "-o", out).returncode == 0
    page = out.read_text(encoding="utf-8")
    assert "Failed expectations (1)" in page and "Rejected documents (1)" in page
    assert str(dump) in page
    assert f"Every expectation evaluated ({expectation_count()})" in page
    log = json.loads(next(p for p in sorted((wh / "logs").glob("*.json"))[-1:]).read_text())
    assert log["run_id"] in page
