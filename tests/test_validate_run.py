"""Validation in a whole run: table-level expectations, and no GX for a run with nothing new."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from etl.core.settings import DEFAULT_MAX_BYTES
from etl.core.summary import Validation
from etl.run import pipeline
from tests.utils import ROOT, SAMPLE, etl_in, expectation_count, lake_rows, other_day, project_copy, rows, table_counts


def _suites(tmp_path: Path, mean_max: float) -> Path:
    """The project's suites, with a row count and a mean of word counts added to posts.json."""
    folder = tmp_path / "expectations"
    shutil.copytree(ROOT / "expectations", folder)
    posts = json.loads((folder / "posts.json").read_text())
    posts["expectations"] += [
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1, "max_value": 1000}},
        {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "word_count", "min_value": 1,
                                                               "max_value": mean_max}},
    ]
    (folder / "posts.json").write_text(json.dumps(posts))
    return folder


def _run(wh: Path, suites: Path) -> pipeline.RunResult:
    return pipeline.run([SAMPLE], wh, max_bytes=DEFAULT_MAX_BYTES, log=lambda *a, **k: None, jobs=1,
                        expectations_dir=suites)


def test_table_expectations_that_hold(tmp_path):
    wh = tmp_path / "wh"
    suites = _suites(tmp_path, mean_max=100_000)
    result = _run(wh, suites)
    assert expectation_count(suites) == expectation_count() + 2
    assert (result.exit_code, result.summary.validation) == \
        (0, Validation("passed", evaluated=expectation_count(suites), failed=0))
    assert rows(wh, "select expectation, success, unexpected_count from validation_results "
                    "where table_name = 'posts' and column_name is distinct from 'post_id' "
                    "and expectation in ('expect_table_row_count_to_be_between', "
                    "'expect_column_mean_to_be_between') order by 1") == \
        [("expect_column_mean_to_be_between", True, 0), ("expect_table_row_count_to_be_between", True, 0)]


def test_failing_table_expectation_exits_3_and_publishes_nothing(tmp_path):
    wh = tmp_path / "wh"
    result = _run(wh, _suites(tmp_path, mean_max=2))
    assert (result.exit_code, result.status) == (pipeline.EXIT_INVALID, "failed")
    (failed,) = result.summary.validation.failures
    assert (failed.table, failed.expectation, failed.column) == \
        ("posts", "expect_column_mean_to_be_between", "word_count")
    assert failed.examples and failed.examples[0] > 2  # the mean it found
    assert result.summary.to_dict()["published"] is False
    assert not (wh / "published.duckdb").exists() and not list((wh / ".tmp").iterdir())
    assert lake_rows(wh, "posts") == [] and lake_rows(wh, "runs") == []  # the transaction was rolled back


def test_a_duplicate_key_the_run_brings_is_caught(tmp_path):
    """Uniqueness runs on the rows that share a key with the run's new rows (touched_<table>),
    not on the whole warehouse: a merge that inserts a post the warehouse has (here, a copy of
    the project whose merge forgets to leave out known posts) fails the run with exit 3 and the
    old row and the new one as the failing values; nothing is published."""
    project = project_copy(tmp_path / "project")
    merge = project / "sql" / "load" / "merge.sql"
    merge.write_text(merge.read_text().replace("semi join merge_new_posts as n on r.seq = n.seq",
                                               "semi join chosen_posts as n on r.seq = n.seq"))
    wh = tmp_path / "wh"
    first = etl_in(project, "run", SAMPLE, "-w", wh)
    assert first.returncode == 0, first.stdout + first.stderr  # nothing to duplicate yet
    second = etl_in(project, "run", other_day(tmp_path / "dumps"), "-w", wh, "--log-format", "json")
    assert second.returncode == pipeline.EXIT_INVALID, second.stdout + second.stderr
    (failed,) = [json.loads(line) for line in second.stderr.splitlines() if '"expectation failed"' in line]
    assert (failed["table"], failed["expectation"], failed["column"], failed["unexpected"]) == \
        ("posts", "expect_column_values_to_be_unique", "post_id", 2 * 12)  # the sample's 12 posts, twice
    assert table_counts(wh)["posts"] == 12 and table_counts(wh)["runs"] == 1


def test_run_with_nothing_new_does_not_import_gx(sample_warehouse_copy):
    code = (
        "import sys\n"
        "from etl.cli import app\n"
        "sys.argv = ['etl', 'run', '--warehouse', sys.argv[1]]\n"
        "try:\n"
        "    app()\n"
        "finally:\n"
        "    print('GX imported:', 'great_expectations' in sys.modules, 'sqlalchemy' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(sample_warehouse_copy)], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "documents: 0 loaded, 1 skipped" in result.stdout
    assert "GX imported: False False" in result.stdout
