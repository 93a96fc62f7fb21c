"""Scheduled runs are incremental and idempotent: the real CLI over nightly front-page
dumps that overlap (a post stays on the front page for days, its comment count growing).

The independent histories (a one-shot build, night-by-night runs, an excerpt then its full
post, a rejected file run again) are played in parallel by one fixture; tests read them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from tests.corpus import (
    day_name,
    front_page,
    home_page,
    nightly_dumps,
    page,
    run_many,
    sample_posts,
    write,
)
from tests.pg import CATALOGS, new_warehouse
from tests.utils import (
    SAMPLE,
    etl,
    expectation_count,
    parquet_counts,
    parquet_matches_database,
    rows,
    snapshot,
    table_counts,
)

NIGHTS = (date(2020, 1, 7), date(2020, 1, 8), date(2020, 1, 9))
ZARIF = "FM Zarif: Iran’s Reprisal Attack in Compliance with UN Charter"  # posted Jan 7, 5 comments by Jan 9


@dataclass
class History:
    """A warehouse and the runs that built it, with what it held between runs."""

    warehouse: Path
    results: list = field(default_factory=list)
    snapshots: list = field(default_factory=list)
    counts: list = field(default_factory=list)
    post_ids: list = field(default_factory=list)

    def run(self, *args, **kw) -> None:
        self.results.append(etl("run", *args, "--warehouse", self.warehouse, **kw))
        self.snapshots.append(snapshot(self.warehouse))
        self.counts.append(table_counts(self.warehouse))
        self.post_ids.append(rows(self.warehouse, "select post_id from posts order by 1"))


@pytest.fixture(scope="module", params=CATALOGS)
def catalog(request) -> str:
    """Every history runs on each catalog: the SQLite file, a PostgreSQL database."""
    return request.param


@pytest.fixture(scope="module")
def corpus(catalog, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp(f"incremental-{catalog}")
    nightly_dumps(root / "dumps", NIGHTS)
    write(root / "home" / "aletho-news-home-2020-01-09.txt", home_page(sample_posts()[:2]))
    (root / "retry-dumps").mkdir()
    (root / "retry-dumps" / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    write(root / "retry-dumps" / "aletho-news-2020-01-10.txt", "<!DOCTYPE html>\n<html><head><title>Aletho News</title>"
          "</head>\n<body><p>Error establishing a database connection</p></body>\n</html>\n")
    return root


@pytest.fixture(scope="module")
def histories(corpus, catalog, request) -> dict[str, History]:
    dumps = corpus / "dumps"
    names = ("nightly", "refresh", "once", "excerpt", "retry", "inside")
    h = {name: History(new_warehouse(catalog, corpus / name / "warehouse", request)) for name in names}

    def once():  # everything in one run, logs as JSON, then the same run again
        h["once"].run(dumps, "--log-format", "json", "--summary-json", corpus / "summary.json")
        h["once"].run(dumps)

    def nightly():  # what cron does: each night's new dump
        for night in NIGHTS:
            h["nightly"].run(dumps / day_name(night))

    def refresh():  # a copy saved on Windows (CRLF: other bytes) is loaded; the rebuild drops it
        write(corpus / "windows" / day_name(NIGHTS[1]), front_page(NIGHTS[1]), newline="\r\n")
        h["refresh"].run(dumps, corpus / "windows")
        h["refresh"].run(dumps, "--full-refresh")

    def excerpt():  # the home page (excerpts) first, the full listing the next night
        h["excerpt"].run(corpus / "home")
        h["excerpt"].run(SAMPLE)

    def retry():  # a rejected file is not read again, unless asked
        h["retry"].run(corpus / "retry-dumps")
        h["retry"].run(corpus / "retry-dumps")
        h["retry"].run(corpus / "retry-dumps", "--retry-rejected")

    def inside():  # the warehouse kept in the folder of dumps it loads
        write(corpus / "inside" / SAMPLE.name, SAMPLE.read_bytes())
        h["inside"].run(corpus / "inside")
        h["inside"].run(corpus / "inside")

    chains = (nightly, refresh, once, excerpt, retry, inside)
    run_many({chain.__name__: chain for chain in chains}, workers=len(chains))
    return h


def test_the_corpus_is_cut_from_the_real_sample():
    posts = sample_posts()
    assert page(posts) == SAMPLE.read_text(encoding="utf-8")
    assert [len([p for p in posts if p.posted_on == night]) for night in NIGHTS] == [4, 6, 2]
    assert front_page(NIGHTS[-1]) == page(posts)
    assert ZARIF in {p.title for p in posts}


def ok(result, code: int = 0) -> None:
    assert result.returncode == code, result.stdout + result.stderr


def run_id_of(result) -> str:
    return result.stdout.split()[1].rstrip(":")


def test_second_run_over_the_same_folder_changes_nothing(histories):
    h = histories["once"]
    first, second = h.results
    ok(first)
    ok(second)
    assert h.snapshots[1] == h.snapshots[0]
    assert h.post_ids[1] == h.post_ids[0] and len(h.post_ids[0]) == 12
    assert h.counts[1] == {**h.counts[0], "runs": h.counts[0]["runs"] + 1}
    assert "documents: 0 loaded, 3 skipped (seen before), 0 rejected" in second.stdout
    assert "nothing new: the warehouse is unchanged" in second.stdout
    assert rows(h.warehouse, """
        select status, exit_code, documents_new, documents_skipped, documents_rejected, posts_new, validation_status
        from runs order by started_at""") == [
        ("succeeded", 0, 3, 0, 0, 12, "passed"),
        ("noop", 0, 0, 3, 0, 0, "not-run"),
    ]
    # The data rows still carry the run that loaded them, not the no-op one.
    assert rows(h.warehouse, "select distinct run_id from posts union select distinct run_id from comments") == \
        [(run_id_of(first),)]
    assert parquet_counts(h.warehouse) == table_counts(h.warehouse)
    parquet_matches_database(h.warehouse)


def test_overlapping_nightly_dumps_keep_one_post_and_every_comment_count(histories):
    h = histories["nightly"]
    for r in h.results:
        ok(r)
    runs = [run_id_of(r) for r in h.results]
    wh = h.warehouse
    assert rows(wh, "select run_id, posts_new, documents_new from runs order by started_at") == \
        [(runs[0], 4, 1), (runs[1], 6, 1), (runs[2], 2, 1)]
    assert [c["posts"] for c in h.counts] == [4, 10, 12]
    assert [c["comments"] for c in h.counts] == [4, 14, 26]  # one observation per post per dump
    assert rows(wh, "select count(*), count(distinct post_id) from posts") == [(12, 12)]
    # A post of Jan 7 was on three nights' front pages: one post row, three counts.
    assert rows(wh, """
        select d.path, c.comment_count, c.run_id
        from comments c join posts p using (post_id) join documents d on d.document_id = c.document_id
        where p.title = ? order by d.path""", [ZARIF]) == [
        (str(h.warehouse.parent.parent / "dumps" / day_name(n)), count, run)
        for n, count, run in zip(NIGHTS, (3, 4, 5), runs, strict=True)
    ]
    assert rows(wh, "select comment_count, comment_observations from post_details where title = ?", [ZARIF]) == \
        [(5, 3)]
    assert rows(wh, "select run_id from posts where title = ?", [ZARIF]) == [(runs[0],)]
    # Every row carries a run that is recorded in `runs`.
    for table in ("documents", "sources", "authors", "tags", "posts", "post_tags", "comments", "document_warnings"):
        assert rows(wh, f"select count(*) from {table} where run_id is null or run_id not in "
                        "(select run_id from runs)") == [(0,)], table
    # Night by night reaches the same data as one run over all the dumps.
    assert h.snapshots[-1] == histories["once"].snapshots[0]


def test_full_refresh_equals_a_fresh_build(histories):
    h = histories["refresh"]
    ok(h.results[0])
    ok(h.results[1])
    assert h.counts[0]["documents"] == 4  # the Windows copy was loaded before the refresh
    assert h.snapshots[1] == histories["once"].snapshots[0]
    assert rows(h.warehouse, "select full_refresh, documents_new, posts_new from runs") == [(True, 3, 12)]
    assert parquet_counts(h.warehouse) == table_counts(h.warehouse)


def test_excerpt_is_completed_by_the_full_post(histories):
    h = histories["excerpt"]
    ok(h.results[0])
    ok(h.results[1])
    first, second = (run_id_of(r) for r in h.results)
    wh = h.warehouse
    titles = [p.title for p in sample_posts()[:2]]
    assert [row[12] for row in h.snapshots[0]["posts"]] == [False, False]  # is_complete, after the home page
    assert rows(wh, "select status, posts_new, posts_updated from runs order by started_at") == \
        [("succeeded", 2, 0), ("succeeded", 10, 2)]
    got = rows(wh, """
        select title, is_complete, word_count, posted_on, categories, comment_count, comment_observations
        from post_details where title in (?, ?) order by title desc""", titles)
    assert got == [
        (titles[0], True, 2047, date(2020, 1, 9),
         ["Ethnic Cleansing, Racism, Zionism", "Timeless or most popular", "Wars for Israel"], 0, 2),
        (titles[1], True, 891, date(2020, 1, 9), ["Militarism"], 1, 2),
    ]
    assert rows(wh, "select count(*) from posts where not is_complete") == [(0,)]
    # Every other column is the complete copy's, as when the sample is loaded in one run: a
    # column the merge forgets keeps the excerpt's value.
    kept = "select * exclude (document_id, line_number, run_id) from posts where title in (?, ?) order by title"
    assert rows(wh, kept, titles) == rows(histories["inside"].warehouse, kept, titles)
    # The completed posts keep the run and document that first brought them.
    assert rows(wh, "select distinct run_id from posts where title in (?, ?)", titles) == [(first,)]
    assert rows(wh, "select count(*) from post_tags where run_id = ?", [second]) == [(16,)]
    # The upgrade replaced rows the first run wrote; the first run's snapshot still has them.
    parquet_matches_database(wh)
    before = etl("sql", "select count(*) as n from posts where not is_complete", "-w", wh, "-f", "csv",
                 "--as-of", first)
    assert before.stdout.split() == ["n", "2"], before.stderr


def test_each_run_writes_only_its_own_rows(histories):
    h = histories["nightly"]
    wh = h.warehouse
    first, second, third = (run_id_of(r) for r in h.results)
    parquet_matches_database(wh)
    # One documents file per run, each holding that run's rows only: a later run did not
    # write an earlier run's rows again.
    files = json.loads((wh / "snapshot.json").read_text())["tables"]["documents"]["files"]
    runs = [rows(wh, "select distinct run_id from read_parquet(?)", [f]) for f in files]
    assert sorted(runs) == [[(first,)], [(second,)], [(third,)]]


def test_rejected_document_is_skipped_unless_retried(histories, corpus):
    h = histories["retry"]
    bad = str(corpus / "retry-dumps" / "aletho-news-2020-01-10.txt")
    ok(h.results[0], 1)
    assert f"rejected {bad}: an HTML page, not a text dump" in h.results[0].stdout
    ok(h.results[1], 0)
    assert "documents: 0 loaded, 2 skipped" in h.results[1].stdout
    assert h.snapshots[1] == h.snapshots[0]
    ok(h.results[2], 1)
    assert f"rejected {bad}: an HTML page, not a text dump" in h.results[2].stdout
    assert rows(h.warehouse, "select status, documents_skipped, documents_rejected from runs order by started_at") \
        == [("partial", 0, 1), ("noop", 2, 0), ("partial", 1, 1)]
    assert rows(h.warehouse, "select status, run_id from documents where path = ?", [bad]) == \
        [("rejected", run_id_of(h.results[2]))]
    parquet_matches_database(h.warehouse)  # the replaced row left the first run's file


def test_summary_json_and_json_logs(histories, corpus):
    h = histories["once"]
    result = h.results[0]
    summary = json.loads((corpus / "summary.json").read_text())
    assert summary["run_id"] == run_id_of(result)
    assert (summary["status"], summary["exit_code"]) == ("succeeded", 0)
    assert summary["documents"] == {"new": 3, "skipped": 0, "rejected": 0}
    assert summary["posts"] == {"in_new_documents": 26, "new": 12, "updated": 0}
    assert summary["validation"] == {"status": "passed", "evaluated": expectation_count(), "failed": 0}
    assert summary["table_rows"] == h.counts[0]
    assert summary["rejected"] == []
    assert summary["warehouse"]["published"] == str(h.warehouse / "published.duckdb")
    assert json.loads(Path(summary["log"]).read_text()) == {k: v for k, v in summary.items() if k != "log"}
    events = [json.loads(line) for line in result.stderr.splitlines()]  # every line is JSON
    assert [e["event"] for e in events] == ["run started", "warehouse created", "extracted", "search index",
                                               "run finished"]
    assert all(e["ts"].endswith("Z") for e in events)
    assert events[-1] == {**events[-1], "run_id": summary["run_id"], "status": "succeeded", "exit_code": 0}


def test_status_shows_recent_runs_and_holdings(histories):
    h = histories["nightly"]
    result = etl("status", "--warehouse", h.warehouse)
    ok(result)
    out = result.stdout
    assert "recent runs:" in out and "warehouse holds:" in out
    lines = out.splitlines()
    run_lines = [line for line in lines if line.split()[:1] and line.split()[0] in {run_id_of(r) for r in h.results}]
    assert [line.split()[0] for line in run_lines] == [run_id_of(r) for r in reversed(h.results)]  # newest first
    assert any(line.split()[:2] == ["posts", "12"] for line in lines)
    assert any(line.split()[:3] == ["comment", "observations", "26"] for line in lines)


def test_no_progress_bar_outside_a_terminal(histories):
    for r in histories["once"].results:
        assert "\r" not in r.stderr and "\x1b[" not in r.stderr and "reading" not in r.stderr


def test_warehouse_inside_the_input_folder_is_not_read(histories):
    h = histories["inside"]
    ok(h.results[0])
    ok(h.results[1])
    assert "documents: 1 loaded, 0 skipped (seen before), 0 rejected" in h.results[0].stdout
    assert "documents: 0 loaded, 1 skipped" in h.results[1].stdout
    assert rows(h.warehouse, "select status, count(*) from documents group by 1") == [("loaded", 1)]
