"""Extraction in worker processes: the same warehouse as in one process, whatever the
number of workers and however the files are grouped into tasks."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from etl.core.reference import load_reference
from etl.core.settings import DEFAULT_MAX_BYTES
from etl.core.summary import Documents, Posts
from etl.run import executors, pipeline, workers
from etl.run.inputs import Known, file_stats
from tests.corpus import home_page, nightly_dumps, sample_posts, write
from tests.utils import SAMPLE, parquet_matches_database, rows, snapshot


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("parallel")
    dumps = nightly_dumps(root / "dumps")  # three overlapping nights
    home = write(root / "home" / "aletho-news-home-2020-01-09.txt", home_page(sample_posts()[:3]))
    empty = write(root / "bad" / "empty.txt", "")
    again = write(root / "bad" / "copy-of-the-sample.txt", SAMPLE.read_bytes())
    return [home, *dumps, empty, again]  # excerpts first: the complete copies come later


def _tasks(inputs: list[Path]) -> list[list[tuple[int, str]]]:
    """The tasks of a run that reads `inputs`."""
    return list(workers.tasks(file_stats([str(p) for p in inputs])))


def _build(warehouse: Path, inputs: list[Path], jobs: int) -> pipeline.RunResult:
    return pipeline.run(inputs, warehouse, max_bytes=DEFAULT_MAX_BYTES, log=lambda *a, **k: None, jobs=jobs)


def test_workers_give_the_same_warehouse_as_one_process(inputs, tmp_path, monkeypatch):
    one = _build(tmp_path / "one", inputs, jobs=1)
    monkeypatch.setattr(workers, "TASK_BYTES", 1)  # a task per file (the empty one joins the next)
    assert [[i for i, _ in t] for t in _tasks(inputs)] == [[0], [1], [2], [3], [4, 5]]
    two = _build(tmp_path / "two", inputs, jobs=2)
    assert one.summary.documents == two.summary.documents == Documents(new=4, skipped=1, rejected=1)
    assert one.summary.posts == two.summary.posts == Posts(in_new_documents=29, new=12, updated=0)
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")
    # The excerpts came first, yet every post keeps its complete copy, from the dump it is in.
    assert rows(tmp_path / "two", "select count(*) from posts where not is_complete") == [(0,)]
    assert rows(tmp_path / "two", "select count(*) from posts p join documents d using (document_id) "
                "where d.page_kind = 'home'") == [(0,)]
    parquet_matches_database(tmp_path / "two")


def test_tasks_keep_input_order_and_group_small_files(inputs, monkeypatch):
    assert _tasks(inputs) == [[(i, str(p)) for i, p in enumerate(inputs)]]  # 6 small files: one task
    monkeypatch.setattr(workers, "TASK_FILES", 4)
    assert [[i for i, _ in t] for t in _tasks(inputs)] == [[0, 1, 2, 3], [4, 5]]


def test_tasks_shrink_toward_the_end_on_several_workers(monkeypatch):
    """100 files of 1 MB: 4 MB tasks while a quarter of what is left is larger, then smaller ones,
    never below MIN_TASK_BYTES; every file once, in input order. One worker: 4 MB tasks to the end."""
    monkeypatch.setattr(workers, "MIN_TASK_BYTES", 1_500_000)
    files = pa.table({"file_index": range(100), "path": [f"f{i}" for i in range(100)], "size_bytes": [2**20] * 100})
    two = [[i for i, _ in t] for t in workers.tasks(files, jobs=2)]
    assert [i for t in two for i in t] == list(range(100))
    # 4 files (TASK_BYTES) a task while a quarter of what is left is 4 MiB or more (22 tasks, 12 files
    # left); then a quarter of what is left, reached file by file: 12 -> 3 MiB (3 files), 9 -> 2.25 MiB
    # (3 files), 6 -> 1.5 MiB (2 files), 4 -> 1 MiB, raised to the floor of 1.5 MB (2 files), 2 -> 2 files.
    assert [len(t) for t in two] == [4] * 22 + [3, 3, 2, 2, 2]
    assert [len(t) for t in workers.tasks(files, jobs=1)] == [4] * 25


def test_worker_outcomes_arrive_in_task_order(inputs, tmp_path):
    settings = workers.WorkerContext(Known(), DEFAULT_MAX_BYTES, load_reference(), "r1", tmp_path)
    tasks = [[(i, str(p))] for i, p in enumerate(inputs)]
    outcomes = list(executors.extract(tasks, settings, jobs=2))
    assert [c.parsed[0][1:] if c.parsed else None for c in outcomes] == \
        [(str(p), i) for i, p in enumerate(inputs[:4])] + [None, (str(inputs[5]), 5)]
    assert [r.reason for r in outcomes[4].rejected] == ["empty file"]
    # Each task wrote its raw rows: a file per table, named by its first input file.
    posts = {p.name: pq.read_metadata(p).num_rows for p in (tmp_path / "posts").iterdir()}
    assert posts == {f"{i:09d}.parquet": n for i, n in enumerate([3, 4, 10, 12, 0, 12])}
