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
from etl.schemas import DATA_TABLES, sql
from etl.settings import EXPECTATIONS_DIR, Reference, load_reference
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
) -> RunResult:
    ref = ref or load_reference()
    wh = load.Warehouse(warehouse)
    with load.writer_lock(wh, wait, new_run_id) as run_id:
        timer = Timer()
        started = datetime.now(UTC).replace(tzinfo=None)
        for stale in load.clean_stale(wh):
            log("cleaned", path=str(stale))
        log("run started", run_id=run_id, warehouse=str(warehouse), full_refresh=full_refresh)

        known: dict[str, str] = {}
        previous = wh.current_version()
        if previous and not full_refresh:
            with load.connect(previous / load.DB_NAME, read_only=True) as con:
                known = {d: s for d, s, _ in con.execute(sql("load/known_documents")).fetchall()}
        files, rejected = discover(paths, skip=warehouse)
        fresh, unchanged = _unchanged(files, load.read_inputs(None if full_refresh else previous), known,
                                      retry_rejected)
        timer("discover")

        tmp = load.begin_snapshot(wh, run_id)
        raw = tmp / "raw"
        settings = Settings(known, retry_rejected, max_bytes, ref, run_id, raw)
        try:
            rejected, skipped, excluded, identities = _extract(  # GX imports from the first new document on
                fresh, unchanged, rejected, settings, jobs or default_jobs(), progress, preload)
            timer("extract")
            database = load.copy_current(wh, tmp, full_refresh)
            con = load.connect(database, spill_to=tmp / "spill")
            load.create_schema(con)
            open_stage(con, raw)
            set_aside(con, excluded, rejected, run_id)
            stage(con)
            corrupt(con)
            parsed, posts_read = _loaded(con)
            log("extracted", documents=parsed, rejected=len(rejected), skipped=len(skipped), posts=posts_read)
            timer("stage")
            validating = parsed > 0  # then the table-level expectations run too, after the merge
            outcomes, rejected = _validated(con, rejected, run_id, expectations_dir)
        except Invalid as invalid:
            con.close()
            shutil.rmtree(tmp, ignore_errors=True)
            return _invalid(wh, run_id, started, invalid.failed, log)
        parsed, posts_read = _loaded(con)
        timer("validate")
        for r in rejected:
            log("rejected", path=r.path, reason=r.reason)

        exit_code = EXIT_REJECTED if rejected else EXIT_OK
        status = "partial" if rejected else "succeeded" if parsed else "noop"
        with con:
            # No one else sees this copy until it is published: each statement commits on its
            # own, so DuckDB writes large inserts straight to the file and keeps to its memory limit.
            con.execute(sql("load/insert_run"), [run_id, started, full_refresh])
            posts_new, posts_updated, touched = load.merge(con)
            timer("load")
            try:
                outcomes += _validated_tables(con, expectations_dir) if validating else []
            except Invalid as invalid:
                con.close()
                shutil.rmtree(tmp, ignore_errors=True)
                return _invalid(wh, run_id, started, invalid.failed, log)
            timer("validate")
            con.register("staged_validation_results", _validation_rows(run_id, outcomes))
            con.execute(sql("load/insert_validation_results"))
            con.unregister("staged_validation_results")
            failpoint("load")
            rows = load.table_rows(con)
            finished = datetime.now(UTC).replace(tzinfo=None)
            failed_count = sum(not o.success for o in outcomes)
            validation = "not-run" if not outcomes else "rejected-documents" if failed_count else "passed"
            con.execute(sql("load/finish_run"), [
                finished, status, exit_code, parsed, len(skipped), len(rejected),
                posts_new, posts_updated, validation, len(outcomes), failed_count,
                json.dumps(rows), run_id,
            ])
            con.execute("checkpoint")
            shutil.rmtree(raw)
            load.write_inputs(tmp, identities)
            timer("load")
            load.export_parquet(con, tmp, None if full_refresh else previous, run_id, touched)
            timer("parquet")
        shutil.rmtree(tmp / "spill", ignore_errors=True)
        load.commit_snapshot(wh, database, run_id)
        timer("publish")
        summary = {
            "run_id": run_id, "status": status, "exit_code": exit_code,
            "started_at": started.isoformat(), "finished_at": finished.isoformat(),
            "documents": {"new": parsed, "skipped": len(skipped), "rejected": len(rejected)},
            "posts": {"in_new_documents": posts_read, "new": posts_new, "updated": posts_updated},
            "rejected": [{"path": r.path, "reason": r.reason} for r in rejected],
            "validation": {"status": validation, "evaluated": len(outcomes), "failed": failed_count},
            "table_rows": rows,
            "timings": timer.seconds,
            "warehouse": {"database": str(wh.database), "published": str(wh.published),
                          "parquet": str(wh.parquet)},
        }
        summary["log"] = str(load.write_log(wh, run_id, summary))
        log("run finished", run_id=run_id, status=status, exit_code=exit_code,
            seconds=round(sum(timer.seconds.values()), 2))
        return RunResult(run_id, exit_code, status, summary)


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
    chunks = extract(all_tasks, settings, jobs)
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
    merged tables of the run's private copy); any failure raises Invalid: it is the table's,
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
