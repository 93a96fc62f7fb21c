"""Extract in parallel: input files → raw rows, in worker processes.

Documents are independent, so each worker reads, hashes, decodes and parses a task of a
few files, and writes their raw rows as Parquet files of its own (etl/run/transform.py
write_raw); it hands back only what the run must count and report, in input order. At
most WINDOW tasks per worker are in flight, so memory stays flat however large the input.

The tasks run in this process, in worker processes on this machine, or on a Dask cluster
(etl/run/executors.py): the same function, `work`, in every case.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from etl.core.children import die_with_parent
from etl.core.failpoints import failpoint
from etl.core.paths import os_path
from etl.core.reference import Reference
from etl.core.schemas import RAW_INPUTS
from etl.extract import Rejected, parse_page
from etl.extract.reader import path_id, read_bytes, to_document
from etl.run.inputs import Known, identity
from etl.run.transform import Parsed, document_rows, empty_rows, write_raw

# A file modified less than this long ago may change again within the same timestamp tick:
# it is not remembered by its size and time, and will be read again.
SETTLED_NS = 2_000_000_000
# Input per task: large enough to amortize the hand-over (bench/dask_speed.py measures it).
# The environment variable ETL_TASK_BYTES, read when a run makes its tasks, overrides it.
TASK_BYTES = 4 * 1024 * 1024
TASK_FILES = 256
# The last tasks of a run on several workers: each at most this share of what is left per worker, not
# below MIN_TASK_BYTES (bench/README.md, "Both cores busy").
TAIL_SHARE = 2
MIN_TASK_BYTES = 256 * 1024
WINDOW = 3  # tasks in flight per worker

Task = list[tuple[int, str]]  # (index in the run's inputs, path) of each file of a task


@dataclass(frozen=True)
class WorkerContext:
    """What every worker needs, set once per run."""

    known: Known  # the documents in the warehouse not to read again
    max_bytes: int
    ref: Reference
    run_id: str
    raw_dir: Path  # where the workers write the raw rows
    base: Path | None = None  # the folder relative input paths are read from (on a cluster: the run's)


@dataclass
class TaskOutcome:
    """The outcome of one task."""

    parsed: list[tuple[str, str, int]] = field(default_factory=list)  # (document_id, path, file index)
    skipped: list[str] = field(default_factory=list)  # paths of documents the warehouse (or the task) has
    rejected: list[Rejected] = field(default_factory=list)

    def __reduce__(self):
        # A Rejected is an exception: it travels as its fields, so a reducer installed for every
        # exception class (importing distributed installs tblib's) cannot break its unpickling.
        rejected = [(r.document_id, r.path, r.size_bytes, r.reason) for r in self.rejected]
        return _task_outcome, (self.parsed, self.skipped, rejected)


def _task_outcome(parsed: list, skipped: list, rejected: list) -> TaskOutcome:
    return TaskOutcome(parsed, skipped, [Rejected(*r) for r in rejected])


_settings: WorkerContext | None = None


def _init(settings: WorkerContext, child: bool = False) -> None:
    """In a worker process of this machine: the settings of every task it runs."""
    global _settings
    _settings = settings
    if child:
        die_with_parent()


def work(task: Task, settings: WorkerContext | None = None) -> TaskOutcome:
    """Read and parse the files of one task ((index in the run's inputs, path) pairs), with
    `settings` or else those its process was given (`_init`).

    Running a task again (a cluster retries the tasks of a worker that died) writes the same
    files: each appears whole, by rename, or not at all."""
    s = settings or _settings
    assert s is not None, "workers.work called without settings"
    outcome, rows = TaskOutcome(), empty_rows()
    seen: set[str] = set()
    for index, name in task:
        path = Path(name)
        try:
            document_id, raw, st = _read(path, s)
            if time.time_ns() - st.st_mtime_ns > SETTLED_NS:
                rows[RAW_INPUTS].append(identity(path, st, document_id))  # a tuple in COLUMNS' order
            if document_id in seen or document_id in s.known:
                outcome.skipped.append(str(path))  # known by its bytes: not decoded again
                continue
            seen.add(document_id)
            doc = to_document(str(path), document_id, raw)
        except Rejected as r:
            outcome.rejected.append(r)
            continue
        page = parse_page(doc.text, s.ref)
        if not page.posts:
            outcome.rejected.append(Rejected(doc.document_id, doc.path, doc.size_bytes,
                                           "no recognizable post (no byline, no post footer)"))
            continue
        document_rows(Parsed(doc, page), index, s.run_id, s.ref, rows)
        outcome.parsed.append((doc.document_id, doc.path, index))
    if task:
        _write(rows, s.raw_dir, f"{task[0][0]:09d}")
    return outcome


def _write(rows, raw_dir: Path, name: str) -> None:
    """The task's raw rows as <raw_dir>/<table>/<name>.parquet, each file moved into place whole."""
    attempt = raw_dir / ".attempts" / uuid.uuid4().hex
    try:
        write_raw(rows, attempt, name)
        failpoint("extract-task")  # written, not yet in place: a worker killed here leaves no file in place
        for part in sorted(attempt.iterdir()):
            (raw_dir / part.name).mkdir(parents=True, exist_ok=True)
            os.replace(part / f"{name}.parquet", raw_dir / part.name / f"{name}.parquet")
    finally:
        shutil.rmtree(attempt, ignore_errors=True)


def _read(path: Path, s: WorkerContext) -> tuple[str, bytes, os.stat_result]:
    """read_bytes of the file `path` (a stored path: etl/core/paths.py) names, relative to s.base if
    it is relative; rejected under its own name."""
    name = Path(os_path(str(path)))
    if not s.base or path.is_absolute():
        return read_bytes(name, s.max_bytes)
    try:
        return read_bytes(s.base / name, s.max_bytes)
    except Rejected as r:
        document_id = path_id(str(path)) if r.document_id == path_id(r.path) else r.document_id
        raise Rejected(document_id, str(path), r.size_bytes, r.reason) from None


class Tasks(Sequence[Task]):
    """The run's tasks: consecutive files, about TASK_BYTES or TASK_FILES a task. A task's list
    is made from the table of files to read when it is handed out: a list of every file of a
    large run would hold a few hundred bytes of Python objects per file until the run ends."""

    def __init__(self, files: pa.Table, starts: list[int]) -> None:
        self.files, self.starts = files, starts

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __getitem__(self, i):  # an index; no slices
        if not 0 <= i < len(self):
            raise IndexError(i)
        part = self.files.slice(self.starts[i], self.starts[i + 1] - self.starts[i])
        return list(zip(part["file_index"].to_pylist(), part["path"].to_pylist(), strict=True))


def tasks(files: pa.Table, jobs: int = 1) -> Tasks:
    """The files to read (file_index, path, size_bytes, in input order: inputs.choose_inputs) grouped
    into tasks of consecutive files, about TASK_BYTES each. With more than one job, the tasks
    shrink toward the end (at most 1/(TAIL_SHARE * jobs) of the bytes still to hand out, at
    least MIN_TASK_BYTES): the largest go first, and the workers finish together instead of
    one working alone through the last large task."""
    sizes = [size or 0 for size in files["size_bytes"].to_pylist()]
    task_bytes = int(os.environ.get("ETL_TASK_BYTES", TASK_BYTES))
    remaining = sum(sizes)
    starts: list[int] = []
    size = limit = 0
    for row, file_bytes in enumerate(sizes):
        if not starts or size >= limit or row - starts[-1] >= TASK_FILES:
            starts.append(row)
            limit = task_bytes if jobs <= 1 else min(task_bytes, max(MIN_TASK_BYTES, remaining // (TAIL_SHARE * jobs)))
            size = 0
        size += file_bytes
        remaining -= file_bytes
    return Tasks(files, [*starts, files.num_rows])
