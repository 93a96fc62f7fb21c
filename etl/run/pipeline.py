"""One batch run: discover → extract → stage → validate → load → publish.

`run` reads as the sequence of its steps. Each step is a method of `_Run`, which holds
what the steps share: the warehouse, the run's DuckDB connection, its log and its timer.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from etl.core import relations as rel
from etl.core.children import local_cores
from etl.core.duck import connect
from etl.core.failpoints import failpoint
from etl.core.project import provenance
from etl.core.reference import Reference, load_reference
from etl.core.schemas import DATA_TABLES, INTERNAL_TABLES, sql, table_names
from etl.core.settings import (
    DEFAULT_MAX_BYTES,
    DEFAULT_RETENTION_DAYS,
    check_retention,
    default_expectations_dir,
    default_lists_dir,
)
from etl.core.summary import Documents, Failure, Places, Posts, Provenance, Rejection, RunSummary, Validation
from etl.extract import Rejected
from etl.run import rekey
from etl.run.executors import extract
from etl.run.inputs import Known, choose_inputs, find_inputs
from etl.run.load import merge
from etl.run.transform import corrupt, exclude_copies, exclude_documents, file_index, materialize, open_stage, stage
from etl.run.validate import ExpectationResult, preload, unique_keys, validate
from etl.run.workers import TaskOutcome, Tasks, WorkerContext, tasks
from etl.search import index as search_index
from etl.storage.warehouse import NoWarehouse, Warehouse

if TYPE_CHECKING:  # the storage types pipeline's functions return: it calls only Warehouse
    from etl.storage import history
    from etl.storage import upgrade as upgrading
    from etl.storage.migrate import Migrated

EXIT_OK, EXIT_REJECTED, EXIT_INVALID, EXIT_BUSY, EXIT_ERROR, EXIT_UNPUBLISHED = 0, 1, 3, 4, 5, 6

Log = Callable[..., None]
Progress = Callable[[Iterable, int], Iterable]


@dataclass
class RunResult:
    run_id: str
    exit_code: int
    status: str
    summary: RunSummary


@dataclass(frozen=True)
class RunOptions:
    max_bytes: int
    full_refresh: bool = False
    retry_rejected: bool = False
    expectations_dir: Path = field(default_factory=default_expectations_dir)
    lists_dir: Path = field(default_factory=default_lists_dir)
    config_file: Path | None = None  # the project config the run was started with (etl/core/project.py)
    jobs: int | None = None
    retention_days: float = DEFAULT_RETENTION_DAYS
    scheduler: str | None = None  # a Dask scheduler (tcp://HOST:PORT): the extract tasks run there
    search_index: bool = True  # keep the search index; False: skip it, and drop one the warehouse has

    def __post_init__(self) -> None:
        check_retention(self.retention_days)


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Timer:
    """Seconds spent in each stage of a run, in order."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(self.seconds.get(stage, 0) + now - self._last, 3)
        self._last = now


class AfterCommit(Exception):
    """The run failed after its DuckLake transaction committed: its data is in the warehouse."""

    def __init__(self, run_id: str, cause: Exception) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.run_id = run_id


class Invalid(Exception):
    """Validation failed in a way no single document explains."""

    def __init__(self, failed: list[ExpectationResult]) -> None:
        super().__init__(f"{len(failed)} expectations failed")
        self.failed = failed


@dataclass
class Batch:
    """What the extract step leaves for the steps after it. Nothing here grows with the files
    skipped: a run may be given hundreds of thousands, and only counts them."""

    rejected: list[Rejected]
    skipped: int = 0  # files not loaded: read before and unchanged, known by their bytes, or copies

    def add(self, done: TaskOutcome, seen: set[str]) -> None:
        """One task's outcome. A document rejected earlier in this run is skipped: the same
        bytes again (two empty files) give one row. (The workers skip the documents already
        in the warehouse; staging sets aside the copies among those parsed.)"""
        for r in done.rejected:
            if r.document_id in seen:
                self.skipped += 1
            else:
                seen.add(r.document_id)
                self.rejected.append(r)
        self.skipped += len(done.skipped)

    def settle(self, known: Known) -> None:
        """A file rejected by an earlier run (same bytes, or same unreadable path) is not new,
        unless the run retries the rejected (`known` leaves them out then) or it is rejected
        on every run (Rejected.every_run)."""
        again = [r.every_run or r.document_id not in known for r in self.rejected]
        self.skipped += again.count(False)
        self.rejected = [r for r, keep in zip(self.rejected, again, strict=True) if keep]


@dataclass
class RunTally:
    """What a run did so far, counted as its steps go: what its record (`record`) is built from."""

    run_id: str
    started: datetime
    full_refresh: bool
    batch: Batch
    parsed: int = 0
    posts_read: int = 0
    checked: list[ExpectationResult] = field(default_factory=list)
    posts_new: int = 0
    posts_updated: int = 0
    finished: datetime | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_REJECTED if self.batch.rejected else EXIT_OK

    @property
    def status(self) -> str:
        return "partial" if self.batch.rejected else "succeeded" if self.parsed else "noop"

    @property
    def failed_count(self) -> int:
        return sum(not o.success for o in self.checked)

    @property
    def validation(self) -> str:
        return "not-run" if not self.checked else "rejected-documents" if self.failed_count else "passed"

    def record(self, wh: Warehouse, rows: dict[str, int], made_by: Provenance) -> RunSummary:
        """The run's one record, built when it commits: its `runs` row, then (with the
        timings and the publish's outcome) its log and summary."""
        assert self.finished is not None
        b = self.batch
        return RunSummary(
            run_id=self.run_id, status=self.status, exit_code=self.exit_code,
            started_at=self.started.isoformat(), finished_at=self.finished.isoformat(),
            documents=Documents(self.parsed, b.skipped, len(b.rejected)),
            posts=Posts(self.posts_read, self.posts_new, self.posts_updated),
            rejected=[Rejection(r.path, r.reason) for r in b.rejected],
            validation=Validation(self.validation, len(self.checked), self.failed_count),
            table_rows=rows, warehouse=Places(str(wh.root), str(wh.published), str(wh.manifest)),
            full_refresh=self.full_refresh, made_by=made_by,
        )


def run(paths: list[Path], warehouse: Path | Warehouse, *, max_bytes: int, log: Log, wait: bool = False,
        progress: Progress | None = None, ref: Reference | None = None, **options) -> RunResult:
    """Load the documents in `paths` into the warehouse: one snapshot, published, or
    nothing at all. `options` are RunOptions' fields."""
    opts = RunOptions(max_bytes=max_bytes, **options)
    wh = warehouse if isinstance(warehouse, Warehouse) else Warehouse(warehouse)
    with wh.writer(wait, new_run_id) as run_id:
        wh.refuse_legacy()
        with _Run(wh, run_id, opts, ref or load_reference(opts.lists_dir), log, progress) as r:
            try:
                r.open()
                batch = r.read(paths)
                outcome = r.stage(batch)
                r.validate_rows(outcome)
                record = r.commit(outcome)
            except Invalid as invalid:
                return r.invalid(invalid.failed)
            try:
                return r.finish(record, r.publish())
            except Exception as e:
                raise AfterCommit(run_id, e) from e


class _Run:
    """The steps of one run, in the order `run` calls them."""

    def __init__(self, wh: Warehouse, run_id: str, opts: RunOptions, ref: Reference, log: Log,
                 progress: Progress | None) -> None:
        self.wh, self.run_id, self.opts, self.ref, self.log, self.progress = wh, run_id, opts, ref, log, progress
        self.timer = Timer()
        self.started = _now()
        self.tmp = wh.tmp / run_id
        self.known = Known()  # the documents in the warehouse the run does not read again
        self.staged = True  # False: the run read no file and rejected none, and stages nothing

    def __enter__(self) -> _Run:
        for stale in self.wh.clean_stale():
            self.log("cleaned", path=str(stale))
        self.log("run started", run_id=self.run_id, warehouse=str(self.wh.root), full_refresh=self.opts.full_refresh,
                 **({} if self.wh.catalog.in_folder else {"catalog": self.wh.catalog.display,
                                                            "data_path": str(self.wh.data)}))
        (self.tmp / "spill").mkdir(parents=True)
        self.con = connect(spill_to=self.tmp / "spill")
        return self

    def __exit__(self, *exc) -> None:
        # A transaction a failure left open is rolled back before the close: closing it open
        # after its catalog connection was lost aborts the process (DuckLake 1.5.5).
        with contextlib.suppress(Exception):
            self.con.rollback()
        self.con.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def open(self) -> None:
        """Attach the lake (created on the first run), bring its tables in step with the DDL,
        delete what a killed run left, and publish its latest snapshot if a killed run did not."""
        self.wh.open(self.con, self.log, evolve=not self.opts.full_refresh)
        self.wh.recover(self.con, self.log)

    def read(self, paths: list[Path]) -> Batch:
        """Find the input files, leave out those read before, and extract the others: the
        workers write their raw rows under the run's folder. GX starts importing at the first
        new document, in the background."""
        problems, unchanged, all_tasks = self._plan(paths)
        self.staged = bool(all_tasks or problems or self.opts.full_refresh)
        if self.staged and not self.opts.full_refresh:
            self.known = Known.read(self.con, self.opts.retry_rejected)
        batch = Batch(problems, unchanged)
        self.timer("discover")
        if not all_tasks:  # every file given was read before, unchanged: no worker starts
            batch.settle(self.known)
            self.timer("extract")
            return batch
        context = WorkerContext(self.known, self.opts.max_bytes, self.ref, self.run_id, self.tmp / "raw")
        seen: set[str] = set()
        outcomes = extract(all_tasks, context, self._jobs(), self.opts.scheduler, self.log)
        for i, done in enumerate(self.progress(outcomes, len(all_tasks)) if self.progress else outcomes):
            if i == len(all_tasks) // 2:
                failpoint("extract")
            batch.add(done, seen)
            if done.parsed:
                preload()
        batch.settle(self.known)
        self.timer("extract")
        return batch

    def _plan(self, paths: list[Path]) -> tuple[list[Rejected], int, Tasks]:
        """Find the input files, leave out those read before (unchanged, counted), and group
        the others into tasks. The files given are never in one Python list."""
        problems: list[Rejected] = []
        files = find_inputs(paths, self.wh.root, problems)
        chosen = choose_inputs(self.con, files, self.opts.retry_rejected, self.tmp,
                               everything=self.opts.full_refresh)
        return problems, chosen.unchanged, tasks(chosen.to_read, self._jobs())

    def stage(self, batch: Batch) -> RunTally:
        """The staged tables of the run's new rows (etl/run/transform.py). A run that read no file
        and rejected none (every file unchanged since a run read it) stages nothing: it has
        no rows to validate, merge, index or remember, only its `runs` row to write."""
        if not self.staged:
            outcome = RunTally(self.run_id, self.started, self.opts.full_refresh, batch)
            self.log("extracted", documents=0, rejected=0, skipped=batch.skipped, posts=0)
            self.timer("stage")
            return outcome
        open_stage(self.con, self.tmp / "raw")
        batch.skipped += exclude_copies(self.con)
        exclude_documents(self.con, [], batch.rejected, self.run_id)
        stage(self.con, self.tmp / "staged")
        corrupt(self.con)
        outcome = RunTally(self.run_id, self.started, self.opts.full_refresh, batch)
        outcome.parsed, outcome.posts_read = self._staged_counts()
        self.log("extracted", documents=outcome.parsed, rejected=len(batch.rejected), skipped=batch.skipped,
                 posts=outcome.posts_read)
        self.timer("stage")
        return outcome

    def _staged_counts(self) -> tuple[int, int]:
        (documents, posts), = self.con.execute(sql("run/staged_counts")).fetchall()
        return documents, posts

    def validate_rows(self, outcome: RunTally) -> None:
        """The row-by-row expectations on the run's new rows. Documents whose rows fail move
        to the rejected, their files are set aside, and the rest is staged and validated
        again; a failure no document explains raises Invalid."""
        if outcome.parsed:
            outcome.checked = validate(self.con, self.opts.expectations_dir, part="rows")
            failed = [o for o in outcome.checked if not o.success]
            if any(not o.documents for o in failed):
                raise Invalid(failed)
            if failed:
                self._reject(outcome, _document_failures(failed))
        self.timer("validate")
        for r in outcome.batch.rejected:
            self.log("rejected", path=r.path, reason=r.reason)

    def _reject(self, outcome: RunTally, reasons: dict[str, str]) -> None:
        documents = self.con.execute(sql("run/documents_of"), [sorted(reasons)]).fetchall()
        now = [Rejected(d, path, size, reasons[d]) for d, path, size, _ in documents]
        outcome.batch.rejected += now
        exclude_documents(self.con, [file_index(seq) for *_, seq in documents], now, self.run_id)
        stage(self.con, self.tmp / "staged")
        again = [o for o in validate(self.con, self.opts.expectations_dir, part="rows") if not o.success]
        if again:
            raise Invalid(again)
        outcome.parsed, outcome.posts_read = self._staged_counts()

    def commit(self, outcome: RunTally) -> RunSummary:
        """Everything the run writes, in one DuckLake transaction tagged with the run's id:
        the merged rows, validated as the tables will be published (Invalid if that fails:
        nothing is committed), the validation results, the input files read, the `runs` row.
        Returns the run's record."""
        con = self.con
        con.begin()
        try:
            if self.opts.full_refresh:
                _drop_tables(con)
                self.wh.evolve(con)
                rekey.mark(con, self.run_id)
            else:
                self._upgrade_keys()
            record = self._write(outcome)
        except Invalid:
            con.rollback()
            raise
        failpoint("load")
        self.wh.commit(con, self.run_id)
        failpoint("commit")
        self.timer("load")
        return record

    def _upgrade_keys(self) -> None:
        """Ids an earlier release made from text that was not NFC: the warehouse's, once
        (etl/run/rekey.py), and those of the posts left pending that the run brings a copy of."""
        done = rekey.upgrade(self.con, self.run_id, self.ref, self.opts.max_bytes)
        if done:
            self.log("upgraded keys", **done.fields())
        if self.staged and (rekeyed := rekey.pending(self.con)):
            self.log("re-keyed pending posts", posts=rekeyed)

    def _write(self, outcome: RunTally) -> RunSummary:
        con = self.con
        if self.staged:
            self._merge(outcome)
        else:
            self._index(merged=False)
        rows = self.wh.table_rows(con)
        rows["runs"] += 1
        outcome.finished = _now()
        made_by = provenance(self.opts.config_file, self.opts.lists_dir, self.opts.expectations_dir)
        record = outcome.record(self.wh, rows, made_by)
        self.wh.record_run(con, record)
        return record

    def _merge(self, outcome: RunTally) -> None:
        """The staged rows merged into the tables, indexed, checked as the tables will be
        published; the validation results and the input files read, recorded."""
        con = self.con
        outcome.posts_new, outcome.posts_updated = merge(con)
        self._index(merged=True)
        if outcome.checked:  # the row-level expectations ran: there were new documents
            outcome.checked = outcome.checked + _validated_tables(con, self.opts.expectations_dir, self.tmp / "staged")
        con.register(rel.STAGED_VALIDATION_RESULTS, _validation_rows(self.run_id, outcome.checked))
        con.execute(sql("load/insert_validation_results"))
        con.unregister(rel.STAGED_VALIDATION_RESULTS)
        con.execute(sql("load/input_files"))

    def _index(self, merged: bool) -> None:
        """The search index in step with what the run `merged` (with nothing new: an index from
        before this release built, or its docs located); with search_index off, dropped if
        the warehouse has one."""
        con = self.con
        if not self.opts.search_index:
            if search_index.drop(con):
                self.log("search index dropped", reason="search_index is off")
            return
        keep = search_index.update if merged else search_index.bring_up_to_date
        if indexed := keep(con, self.tmp / "search", self._analyzers()):
            self.log("search index", **indexed.fields())

    def _jobs(self) -> int:
        """The run's --jobs, by default this machine's cores."""
        return self.opts.jobs or local_cores()

    def _analyzers(self) -> int:
        """Processes that analyze the posts to index: the run's jobs, at most this machine's
        cores (a run on a cluster indexes here)."""
        return min(self._jobs(), local_cores())

    def publish(self) -> str | None:
        """Compaction and expiry, then the BI file and the manifest of the new snapshot. The
        run's data is committed by then: a failed maintenance is logged (the next run retries);
        a failed publish too, and returned (why), and the next run publishes."""
        try:
            done = self.wh.maintain(self.con, self.opts.retention_days)
        except Exception as e:
            self.log("maintenance failed", error=f"{type(e).__name__}: {str(e).strip().splitlines()[0]}",
                     note="the run is committed; the next run retries")
        else:
            if done.compacted or done.deleted_files:
                self.log("maintained", compacted=",".join(done.compacted), expired=done.expired_snapshots,
                         deleted_files=done.deleted_files)
        failed = self.wh.publish(self.con)
        if failed:
            self.log("publish failed", error=failed,
                     note="the run is committed; readers keep the previous snapshot until a run publishes")
        self.timer("publish")
        return failed

    def invalid(self, failed: list[ExpectationResult]) -> RunResult:
        """A failure that is not one document's: publish nothing, exit 3."""
        for o in failed:
            self.log("expectation failed", table=o.table, expectation=o.expectation, column=o.column,
                     unexpected=o.unexpected_count, examples=o.examples[:5])
        failures = [Failure(o.table, o.expectation, o.column, o.unexpected_count, o.examples[:5]) for o in failed]
        summary = RunSummary(self.run_id, "failed", EXIT_INVALID, self.started.isoformat(),
                             Validation("failed", failed=len(failures), failures=failures))
        return self._result(summary)

    def finish(self, record: RunSummary, publish_error: str | None = None) -> RunResult:
        """The record completed with what came after the commit: the timings, the publish."""
        summary = replace(record, timings=dict(self.timer.seconds), publish_error=publish_error,
                          exit_code=EXIT_UNPUBLISHED if publish_error else record.exit_code)
        self.log("run finished", run_id=self.run_id, status=summary.status, exit_code=summary.exit_code,
                 seconds=round(sum(self.timer.seconds.values()), 2))
        return self._result(summary)

    def _result(self, summary: RunSummary) -> RunResult:
        try:
            path = self.wh.write_log(self.run_id, summary.to_dict())
        except OSError as e:  # e.g. a full disk: the run's outcome stands, the log says so
            self.log("run log not written", error=f"{type(e).__name__}: {e}")
        else:
            summary = replace(summary, log=str(path))
        return RunResult(self.run_id, summary.exit_code, summary.status, summary)


def _document_failures(failed: list[ExpectationResult]) -> dict[str, str]:
    """Why each document failed validation: every expectation it failed, with its own values."""
    reasons: dict[str, list[str]] = {}
    for o in failed:
        where = f"{o.table}.{o.column}" if o.column else o.table
        for document_id, values in o.documents.items():
            shown = ", ".join(repr(v) for v in values[:3])
            reasons.setdefault(document_id, []).append(
                f"failed expectation {o.expectation} on {where} (values: {shown})")
    return {d: "; ".join(r) for d, r in reasons.items()}


def _drop_tables(con) -> None:
    """--full-refresh: the run rebuilds every table (earlier snapshots keep the old rows)."""
    for table in (*table_names(), *INTERNAL_TABLES):
        con.execute(f'drop table if exists "{table}"')


def _validated_tables(con, expectations_dir: Path, folder: Path) -> list[ExpectationResult]:
    """The table-level expectations on the tables as they will be published (the merged
    tables, in the run's open DuckLake transaction): uniqueness a table at a time, on the
    relation `_keys_to_check` names; whole-table aggregates on the whole tables. Any failure
    raises Invalid: it is the table's, not one document's."""
    outcomes = validate(con, expectations_dir, {t: t for t in DATA_TABLES}, part="table")
    for table, keys in unique_keys(expectations_dir).items():
        relation = _keys_to_check(con, table, keys, folder)
        outcomes += validate(con, expectations_dir, {table: relation}, part="keys", only=table)
    failed = [o for o in outcomes if not o.success]
    if failed:
        raise Invalid(failed)
    return outcomes


def _keys_to_check(con, table: str, keys: list[list[str]], folder: Path) -> str:
    """Where `table`'s uniqueness is checked: the key of each row that shares it with the
    run's new rows (touched_<table>, written to `folder`: only those can have become
    duplicates, every earlier snapshot passed), so that the check costs the run's rows, not
    the warehouse's. The whole table when it has several keys (a row may be touched through
    any), or when the run brings half of it or more (DuckDB needs less memory there)."""
    counts = f'select (select count(*) from {rel.staged(table)}), count(*) from "{table}"'
    (new, stored), = con.execute(counts).fetchall()
    if len(keys) > 1 or 2 * new > stored:
        return table
    (key,) = keys
    materialize(con, rel.touched(table), sql("run/touched_rows").format(
        table=table, key=", ".join(f"t.{c}" for c in key), on=" and ".join(f"t.{c} = s.{c}" for c in key)), folder)
    return rel.touched(table)


def _validation_rows(run_id: str, outcomes: list[ExpectationResult]) -> pa.Table:
    from etl.core.schemas import arrow_schemas

    rows = [{
        "run_id": run_id, "table_name": o.table, "expectation": o.expectation,
        "column_name": o.column, "success": o.success, "unexpected_count": o.unexpected_count,
        "examples": json.dumps(o.examples[:5], default=str) if o.examples else None,
        "rejected_documents": len(o.documents),
    } for o in outcomes]
    return pa.Table.from_pylist(rows, schema=arrow_schemas()["validation_results"])


def rollback(warehouse: Path | Warehouse, target_run: str, *, wait: bool, log: Log) -> history.Rollback:
    """Make the state `target_run` left current again, as a new snapshot; publish it."""
    wh = warehouse if isinstance(warehouse, Warehouse) else Warehouse(warehouse)
    if not wh.exists():
        raise NoWarehouse(f"no warehouse at {wh.root}: run `etl run` first")
    with wh.writer(wait, new_run_id) as rollback_id, connect() as con:
        wh.refuse_legacy()
        wh.open(con, log, configure=False)  # evolved as a run would: the restored tables are the DDL's
        done = wh.rollback(con, target_run, rollback_id)
        failed = wh.publish(con)
        log("rolled back", run_id=rollback_id, to=target_run, snapshot=done.target.snapshot_id,
            **({"publish_failed": failed} if failed else {}))
        return replace(done, publish_error=failed)


def upgrade_keys(warehouse: Path, *, wait: bool, log: Log, lists_dir: Path | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> rekey.Rekeyed | None:
    """`etl upgrade` of a DuckLake warehouse: the key upgrade of etl/run/rekey.py, or, done, its
    pending posts' dumps read again (with the reference lists in `lists_dir`); published
    (None: no DuckLake, or nothing to do)."""
    wh = Warehouse(warehouse)
    if wh.is_legacy() or not wh.exists():
        return None
    with wh.writer(wait, new_run_id) as upgrade_id, connect() as con:
        wh.open(con, lambda *a, **k: None)
        con.begin()
        done = rekey.upgrade(con, upgrade_id, load_reference(lists_dir), max_bytes, retry=True)
        con.commit()
        if done is not None and wh.known_runs(con) and (failed := wh.publish(con)):
            log("publish failed", error=failed, note="the key upgrade is committed; the next run publishes it")
        if done:
            log("upgraded keys", warehouse=str(wh.root), **done.fields())
        return done


def upgrade(warehouse: Path, *, wait: bool, log: Log) -> upgrading.Upgraded | None:
    """Convert a warehouse of an earlier release into the DuckLake, or finish such an upgrade
    that was interrupted (None: nothing to do)."""
    wh = Warehouse(warehouse)
    if not wh.is_legacy() and not wh.upgrade_half_done():
        return None
    with wh.writer(wait, new_run_id), connect(spill_to=wh.tmp / "upgrade") as con:
        done = wh.upgrade_legacy(con)
        if done is not None:
            log("upgraded", warehouse=str(wh.root), run_id=done.run_id, legacy=str(done.moved_to),
                finished=done.finished, **({"publish_failed": done.publish_error} if done.publish_error else {}))
        return done


def migrate_catalog(warehouse: Path, url: str, data_path: Path | None, *, wait: bool, log: Log) -> Migrated:
    """`etl catalog migrate`: move the SQLite catalog of the warehouse at `warehouse` into the
    PostgreSQL database `url` (etl/storage/migrate.py) under the folder's lock and the
    database's, then publish from the new catalog."""
    wh = Warehouse(warehouse)
    with wh.migration(url, data_path, wait, new_run_id) as (moved, con):
        wh.refuse_legacy()
        done = wh.move_catalog(con, moved, log)
    with moved.writer(wait, new_run_id), connect() as con:
        moved.open(con, log)
        if failed := moved.publish(con):
            log("publish failed", error=failed, note="the next run publishes")
    return done
