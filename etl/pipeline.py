"""One batch run: discover → extract → transform → validate → load → publish."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from etl import load
from etl.extract import Rejected
from etl.extract.reader import path_id
from etl.failpoints import corrupt, failpoint
from etl.schemas import DATA_TABLES, INTERNAL_TABLES, TABLES, sql
from etl.settings import EXPECTATIONS_DIR, Reference, load_reference
from etl.storage import history, lake
from etl.storage import upgrade as upgrading
from etl.storage.maintain import DEFAULT_RETENTION_DAYS, maintain
from etl.storage.publish import publish, published_snapshot
from etl.transform import POST_SEQ_STRIDE, open_stage, set_aside, stage
from etl.validate import preload, validate
from etl.workers import Settings, default_jobs, extract, tasks

EXIT_OK, EXIT_REJECTED, EXIT_INVALID, EXIT_BUSY, EXIT_ERROR = 0, 1, 3, 4, 5

Log = Callable[..., None]


@dataclass
class RunResult:
    run_id: str
    exit_code: int
    status: str
    summary: dict = field(default_factory=dict)


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


def discover(paths: Iterable[Path], skip: Path | None = None) -> tuple[list[Path], list[Rejected]]:
    """Every file given, and every *.txt below every folder given, in a stable order;
    never below `skip` (the warehouse, when it sits in an input folder).

    Unreadable folders, dangling links and symlink loops are reported, not raised."""
    files: list[Path] = []
    problems: list[Rejected] = []
    skip_key = _key(skip) if skip else None

    def problem(p: Path, reason: str) -> None:
        problems.append(Rejected(path_id(str(p)), str(p), None, reason))

    for root in paths:
        if root.is_dir():
            seen: set[tuple[int, int]] = set()
            for dirpath, dirnames, filenames in os.walk(
                root, followlinks=True, onerror=lambda e: problem(Path(e.filename), f"cannot read folder: {e.strerror}")
            ):
                st = os.stat(dirpath)
                if (st.st_dev, st.st_ino) in seen:
                    problem(Path(dirpath), "symlink loop: folder already visited")
                    dirnames[:] = []
                    continue
                seen.add((st.st_dev, st.st_ino))
                dirnames[:] = sorted(d for d in dirnames if _key(os.path.join(dirpath, d)) != skip_key)
                for name in sorted(filenames):
                    if name.endswith(".txt"):
                        files.append(Path(dirpath) / name)
        elif root.exists() or root.is_symlink():
            files.append(root)
        else:
            problem(root, "no such file or folder")
    return files, problems


def _key(path: Path | str) -> tuple[int, int] | None:
    """What identifies a folder however it is reached (links included); None if gone."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _document_failures(failed: list) -> dict[str, str]:
    """Why each document failed validation: every expectation it failed, with its own values."""
    reasons: dict[str, list[str]] = {}
    for o in failed:
        where = f"{o.table}.{o.column}" if o.column else o.table
        for document_id, values in o.documents.items():
            shown = ", ".join(repr(v) for v in values[:3])
            reasons.setdefault(document_id, []).append(
                f"failed expectation {o.expectation} on {where} (values: {shown})")
    return {d: "; ".join(r) for d, r in reasons.items()}


class Timer:
    """Seconds spent in each stage of a run, in order."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(self.seconds.get(stage, 0) + now - self._last, 3)
        self._last = now


def run(
    paths: list[Path],
    warehouse: Path,
    *,
    full_refresh: bool = False,
    retry_rejected: bool = False,
    wait: bool = False,
    max_bytes: int,
    log: Log,
    progress: Callable[[Iterable, int], Iterable] | None = None,
    expectations_dir: Path = EXPECTATIONS_DIR,
    ref: Reference | None = None,
    jobs: int | None = None,
    retention_days: float = DEFAULT_RETENTION_DAYS,
    scheduler: str | None = None,  # a Dask scheduler (tcp://HOST:PORT): the extract tasks run there
) -> RunResult:
    ref = ref or load_reference()
    wh = load.Warehouse(warehouse)
    with load.writer_lock(wh, wait, new_run_id) as run_id:
        wh.refuse_legacy()
        timer = Timer()
        started = datetime.now(UTC).replace(tzinfo=None)
        for stale in load.clean_stale(wh):
            log("cleaned", path=str(stale))
        log("run started", run_id=run_id, warehouse=str(warehouse), full_refresh=full_refresh)
        tmp = wh.tmp / run_id
        (tmp / "spill").mkdir(parents=True)
        con = lake.connect(spill_to=tmp / "spill")
        try:
            _open(con, wh, full_refresh, log)
            known: dict[str, str] = {}
            inputs: dict[str, load.Identity] = {}
            if not full_refresh:
                known = {d: s for d, s, _ in con.execute(sql("load/known_documents")).fetchall()}
                inputs = load.read_inputs(con)
            files, rejected = discover(paths, skip=warehouse)
            fresh, unchanged = _unchanged(files, inputs, known, retry_rejected)
            timer("discover")
            raw = tmp / "raw"
            settings = Settings(known, retry_rejected, max_bytes, ref, run_id, raw)
            try:
                rejected, skipped, excluded, identities = _extract(  # GX imports from the first new document on
                    fresh, unchanged, rejected, settings, jobs or default_jobs(), progress, preload,
                    scheduler, log)
                timer("extract")
                open_stage(con, raw)
                set_aside(con, excluded, rejected, run_id)
                stage(con)
                corrupt(con)
                parsed, posts_read = _loaded(con)
                log("extracted", documents=parsed, rejected=len(rejected), skipped=len(skipped), posts=posts_read)
                timer("stage")
                outcomes, rejected = _validated(con, rejected, run_id, expectations_dir)
            except Invalid as invalid:
                return _invalid(wh, run_id, started, invalid.failed, log)
            parsed, posts_read = _loaded(con)
            timer("validate")
            for r in rejected:
                log("rejected", path=r.path, reason=r.reason)
            outcome = Outcome(run_id, started, full_refresh, parsed, posts_read, skipped, rejected, outcomes)
            con.begin()
            if full_refresh:
                _drop_tables(con)
                lake.evolve(con)
            try:
                rows = _merge(con, outcome, [i for i in identities if inputs.get(i.path) != i], expectations_dir)
            except Invalid as invalid:
                con.rollback()
                return _invalid(wh, run_id, started, invalid.failed, log)
            failpoint("load")
            lake.tag(con, run_id)
            con.commit()
            failpoint("commit")
            timer("load")
            _maintain(con, retention_days, log)
            _publish(con, wh)
            timer("publish")
        finally:
            con.close()
            shutil.rmtree(tmp, ignore_errors=True)
        summary = outcome.summary(wh, rows, timer.seconds)
        summary["log"] = str(load.write_log(wh, run_id, summary))
        log("run finished", run_id=run_id, status=outcome.status, exit_code=outcome.exit_code,
            seconds=round(sum(timer.seconds.values()), 2))
        return RunResult(run_id, outcome.exit_code, outcome.status, summary)


@dataclass
class Outcome:
    """What a run did, for its `runs` row and its summary."""

    run_id: str
    started: datetime
    full_refresh: bool
    parsed: int
    posts_read: int
    skipped: list[str]
    rejected: list[Rejected]
    outcomes: list
    posts_new: int = 0
    posts_updated: int = 0
    finished: datetime | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_REJECTED if self.rejected else EXIT_OK

    @property
    def status(self) -> str:
        return "partial" if self.rejected else "succeeded" if self.parsed else "noop"

    @property
    def failed_count(self) -> int:
        return sum(not o.success for o in self.outcomes)

    @property
    def validation(self) -> str:
        return "not-run" if not self.outcomes else "rejected-documents" if self.failed_count else "passed"

    def runs_row(self, rows: dict[str, int]) -> list:
        return [self.run_id, self.started, self.finished, self.status, self.exit_code, self.full_refresh,
                self.parsed, len(self.skipped), len(self.rejected), self.posts_new, self.posts_updated,
                self.validation, len(self.outcomes), self.failed_count, json.dumps(rows)]

    def summary(self, wh: load.Warehouse, rows: dict[str, int], timings: dict[str, float]) -> dict:
        assert self.finished is not None
        return {
            "run_id": self.run_id, "status": self.status, "exit_code": self.exit_code,
            "started_at": self.started.isoformat(), "finished_at": self.finished.isoformat(),
            "documents": {"new": self.parsed, "skipped": len(self.skipped), "rejected": len(self.rejected)},
            "posts": {"in_new_documents": self.posts_read, "new": self.posts_new, "updated": self.posts_updated},
            "rejected": [{"path": r.path, "reason": r.reason} for r in self.rejected],
            "validation": {"status": self.validation, "evaluated": len(self.outcomes), "failed": self.failed_count},
            "table_rows": rows,
            "timings": timings,
            "warehouse": {"root": str(wh.root), "published": str(wh.published), "manifest": str(wh.manifest)},
        }


def _open(con, wh: load.Warehouse, full_refresh: bool, log: Log) -> None:
    """Attach the lake (created on the first run), bring its tables in step with the DDL,
    delete what a killed run left, and publish its latest snapshot if a killed run did not."""
    new = not lake.exists(wh.root)
    lake.attach(con, wh.root)
    con.execute(f"use {lake.ALIAS}")
    lake.configure(con)
    if new:
        log("warehouse created", tables=len(lake.evolve(con)))
    elif not full_refresh:
        for change in lake.evolve(con):
            log("schema", change=change)
    con.execute(f"call ducklake_delete_orphaned_files('{lake.ALIAS}', cleanup_all => true)")
    if lake.latest(con) and published_snapshot(wh.root) != _current_snapshot(con):
        _publish(con, wh)
        log("published", snapshot=published_snapshot(wh.root),
            reason="a killed run had not published it, or the folder moved")


def _maintain(con, retention_days: float, log: Log) -> None:
    """Compaction and expiry after the commit. The run's data is committed by then: a failure
    here is logged, and the next run tries again."""
    import duckdb

    try:
        done = maintain(con, retention_days)
    except duckdb.Error as e:
        log("maintenance failed", error=str(e).splitlines()[0], note="the run is committed; the next run retries")
        return
    if done.compacted or done.deleted_files:
        log("maintained", compacted=",".join(done.compacted), expired=done.expired_snapshots,
            deleted_files=done.deleted_files)


def _current_snapshot(con) -> int:
    return con.execute(f"select max(snapshot_id) from {lake.ALIAS}.snapshots()").fetchall()[0][0]


def _publish(con, wh: load.Warehouse) -> None:
    run = lake.latest(con)
    assert run is not None
    publish(con, wh.root, lake.Snapshot(_current_snapshot(con), run.run_id))


def _drop_tables(con) -> None:
    """--full-refresh: the run rebuilds every table (earlier snapshots keep the old rows)."""
    for table in (*TABLES, *INTERNAL_TABLES):
        con.execute(f'drop table if exists "{table}"')


def _merge(con, outcome: Outcome, identities: list[load.Identity], expectations_dir: Path) -> dict[str, int]:
    """Everything the run writes, in its open transaction: the staged rows (validated as the
    tables will be published: Invalid if that fails), the validation results, the input files
    read, and the run's own row. Returns each table's rows."""
    outcome.posts_new, outcome.posts_updated = load.merge(con)
    if outcome.outcomes:  # the row-level expectations ran: there were new documents
        outcome.outcomes = outcome.outcomes + _validated_tables(con, expectations_dir)
    con.register("staged_validation_results", _validation_rows(outcome.run_id, outcome.outcomes))
    con.execute(sql("load/insert_validation_results"))
    con.unregister("staged_validation_results")
    load.write_inputs(con, identities)
    rows = load.table_rows(con)
    rows["runs"] += 1
    outcome.finished = datetime.now(UTC).replace(tzinfo=None)
    con.execute(sql("load/insert_run"), outcome.runs_row(rows))
    return rows


class Invalid(Exception):
    """Validation failed in a way no single document explains."""

    def __init__(self, failed: list) -> None:
        super().__init__(f"{len(failed)} expectations failed")
        self.failed = failed


def _unchanged(
    files: list[Path], inputs: dict[str, load.Identity], known: dict[str, str], retry_rejected: bool,
) -> tuple[list[tuple[int, Path]], list[load.Identity]]:
    """(index, path) of the files to read, and the identities of those to skip unread: files
    an earlier run read, with the same size, time and inode, whose document needs no reading."""
    fresh: list[tuple[int, Path]] = []
    unchanged: list[load.Identity] = []
    for index, path in enumerate(files):
        was = inputs.get(str(path))
        try:
            now = load.identity(path, path.stat(), was.document_id) if was else None
        except OSError:
            now = None
        status = known.get(was.document_id) if was else None
        if now == was and (status == "loaded" or (status and not retry_rejected)):
            unchanged.append(was)
        else:
            fresh.append((index, path))
    return fresh, unchanged


def _extract(
    files: list[tuple[int, Path]], unchanged: list[load.Identity], rejected: list[Rejected], settings: Settings,
    jobs: int, progress: Callable[[Iterable, int], Iterable] | None, on_new: Callable[[], None],
    scheduler: str | None = None, log: Log | None = None,
) -> tuple[list[Rejected], list[str], list[int], list[load.Identity]]:
    """Read and parse the new `files` ((index, path) pairs), the workers writing their raw rows
    under settings.raw_dir: (rejected, skipped paths, indexes of the files to leave out, the
    identities of the files read or skipped unread). A document already in the warehouse, or
    met earlier in this run, is skipped; `on_new` is called for each task that brought a new one."""
    rejected = list(rejected)
    skipped = [i.path for i in unchanged]
    identities = list(unchanged)
    excluded: list[int] = []
    seen: set[str] = {i.document_id for i in unchanged}
    all_tasks = tasks(files)
    chunks = extract(all_tasks, settings, jobs, scheduler, log)
    for i, chunk in enumerate(progress(chunks, len(all_tasks)) if progress else chunks):
        if i == len(all_tasks) // 2:
            failpoint("extract")
        for r in chunk.rejected:
            if r.document_id in seen:  # the same bytes again (two empty files): one row
                skipped.append(r.path)
            else:
                seen.add(r.document_id)
                rejected.append(r)
        for document_id, path, index in chunk.parsed:
            if document_id in seen:  # a copy of a document another task read first
                skipped.append(path)
                excluded.append(index)
            seen.add(document_id)
        skipped += chunk.skipped
        identities += chunk.identities
        if chunk.parsed:
            on_new()
    # A file rejected by an earlier run (same bytes, or same unreadable path) is not new.
    if not settings.retry_rejected:
        skipped += [r.path for r in rejected if r.document_id in settings.known]
        rejected = [r for r in rejected if r.document_id not in settings.known]
    return rejected, skipped, excluded, identities


def _loaded(con) -> tuple[int, int]:
    """(documents, posts in them) staged to load."""
    return con.execute("select (select count(*) from staged_documents where status = 'loaded'), "
                       "(select count(*) from raw_posts)").fetchall()[0]


def _validated(
    con, rejected: list[Rejected], run_id: str, expectations_dir: Path,
) -> tuple[list, list[Rejected]]:
    """Validate the run's new rows (the row-by-row expectations, on the staged tables):
    (outcomes, rejected). Documents whose rows fail an expectation move to `rejected`, their
    files are set aside, and the rest is staged and validated again; a failure no document
    explains raises Invalid."""
    if not _loaded(con)[0]:
        return [], rejected
    outcomes = validate(con, expectations_dir, part="rows")
    failed = [o for o in outcomes if not o.success]
    if any(not o.documents for o in failed):
        raise Invalid(failed)
    bad = _document_failures(failed)
    if bad:
        documents = con.execute("select document_id, path, size_bytes, seq from raw_documents "
                                "where list_contains(?, document_id)", [sorted(bad)]).fetchall()
        now = [Rejected(d, path, size, bad[d]) for d, path, size, _ in documents]
        rejected = rejected + now
        set_aside(con, [seq // POST_SEQ_STRIDE for *_, seq in documents], now, run_id)
        stage(con)
        again = [o for o in validate(con, expectations_dir, part="rows") if not o.success]
        if again:
            raise Invalid(again)
    return outcomes, rejected


def _validated_tables(con, expectations_dir: Path) -> list:
    """Uniqueness and whole-table expectations on the tables as they will be published (the
    merged tables, in the run's open DuckLake transaction); any failure raises Invalid: it is the table's,
    not one document's."""
    outcomes = validate(con, expectations_dir, {t: t for t in DATA_TABLES}, part="table")
    failed = [o for o in outcomes if not o.success]
    if failed:
        raise Invalid(failed)
    return outcomes


def _invalid(wh: load.Warehouse, run_id: str, started: datetime, failed: list, log: Log) -> RunResult:
    """A failure that is not one document's: publish nothing, exit 3."""
    for o in failed:
        log("expectation failed", table=o.table, expectation=o.expectation, column=o.column,
            unexpected=o.unexpected_count, examples=o.examples[:5])
    summary = {
        "run_id": run_id, "status": "failed", "exit_code": EXIT_INVALID, "started_at": started.isoformat(),
        "validation": {"status": "failed", "failed": [
            {"table": o.table, "expectation": o.expectation, "column": o.column,
             "unexpected_count": o.unexpected_count, "examples": o.examples[:5]} for o in failed]},
        "published": False,
    }
    summary["log"] = str(load.write_log(wh, run_id, summary))
    return RunResult(run_id, EXIT_INVALID, "failed", summary)


def _validation_rows(run_id: str, outcomes: list) -> pa.Table:
    from etl.schemas import arrow_schemas

    rows = [{
        "run_id": run_id, "table_name": o.table, "expectation": o.expectation,
        "column_name": o.column, "success": o.success, "unexpected_count": o.unexpected_count,
        "examples": json.dumps(o.examples[:5], default=str) if o.examples else None,
        "rejected_documents": len(o.documents),
    } for o in outcomes]
    return pa.Table.from_pylist(rows, schema=arrow_schemas()["validation_results"])


def rollback(warehouse: Path, target_run: str, *, wait: bool, log: Log) -> history.Rollback:
    """Make the state `target_run` left current again, as a new snapshot; publish it."""
    wh = load.Warehouse(warehouse)
    if not lake.exists(wh.root):
        raise load.NoWarehouse(f"no warehouse at {wh.root}: run `etl run` first")
    with load.writer_lock(wh, wait, new_run_id) as rollback_id, lake.connect() as con:
        wh.refuse_legacy()
        lake.attach(con, wh.root)
        con.execute(f"use {lake.ALIAS}")
        done = history.rollback(con, target_run, rollback_id)
        _publish(con, wh)
        log("rolled back", run_id=rollback_id, to=target_run, snapshot=done.target.snapshot_id)
        return done


def upgrade(warehouse: Path, *, wait: bool, log: Log) -> upgrading.Upgraded | None:
    """Convert a warehouse of an earlier release into the DuckLake (None: nothing to do)."""
    wh = load.Warehouse(warehouse)
    if not wh.is_legacy():
        return None
    with load.writer_lock(wh, wait, new_run_id), lake.connect(spill_to=wh.tmp / "upgrade") as con:
        lake.attach(con, wh.root)
        con.execute(f"use {lake.ALIAS}")
        lake.configure(con)
        lake.evolve(con)
        if lake.latest(con) is None:  # not converted yet (an upgrade killed after its commit was)
            upgrading.convert(con, wh.root)
        moved = upgrading.set_aside(wh.root)
        _publish(con, wh)
        rows = load.table_rows(con)
        run = lake.latest(con)
        assert run is not None
        log("upgraded", warehouse=str(wh.root), run_id=run.run_id, legacy=str(moved))
        return upgrading.Upgraded(run.run_id, rows, moved)
