"""Validate: run the Great Expectations suites in expectations/ on the staged tables.

GX 1.x cannot validate a DuckDB table directly, so the staged tables are read out of
DuckDB in bounded chunks and validated as pandas DataFrames, in an ephemeral context:
nothing is written, no network is used.

GX runs in a process of its own (`Validator`), which the run starts as soon as it meets
a new document: its ~3 s import then overlaps the extraction, and its memory is returned
when it exits. Only that process imports great_expectations.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import queue
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyarrow as pa

from etl.values import plain

ID_COLUMN = "document_id"  # failing rows of tables that have it are traced to their documents
# Validated on the key columns only, with all rows of a key in one chunk:
KEY_EXPECTATIONS = {"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"}
# Hold row by row, so any chunk of rows will do:
ROW_EXPECTATION_PREFIXES = ("expect_column_values_to_", "expect_column_value_lengths_to_")
CHUNK_ROWS = 100_000  # rows of one DataFrame handed to GX
CHUNK_BYTES = 16 * 1024 * 1024  # text in one DataFrame
BATCH_ROWS = 2048  # rows DuckDB hands over at a time


@dataclass(frozen=True)
class Outcome:
    """One expectation evaluated on one staged table."""

    table: str
    expectation: str
    column: str | None
    kwargs: dict
    success: bool
    unexpected_count: int
    examples: list = field(default_factory=list)
    documents: dict[str, list] = field(default_factory=dict)  # document → its failing values, if traceable
    error: str | None = None
    position: int = 0  # in its suite's file


def _gx():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    return gx


def load_suite(path: Path, part: str | None = None):
    """A suite from its JSON file, or the expectations of one part of it ("keys", "rows");
    each expectation's id is <table>#<position in the file>. An unknown expectation type is
    an error, not skipped."""
    gx = _gx()
    data = json.loads(path.read_text(encoding="utf-8"))
    expectations = [{**e, "id": f"{path.stem}#{i}"} for i, e in enumerate(data.get("expectations", []))
                    if part is None or _part(e["type"]) == part]
    suite = gx.ExpectationSuite(**{**data, "expectations": expectations})
    if len(suite.expectations) != len(expectations):
        kept = {e.id for e in suite.expectations}
        bad = [e.get("type") for e in expectations if e["id"] not in kept]
        raise ValueError(f"{path}: invalid expectations {bad}")
    return suite


def _part(expectation: str) -> str:
    """"keys" for an expectation that needs every row of a key in one chunk, "rows" for one
    that holds row by row; any other (a table aggregate) cannot be checked in chunks."""
    if expectation in KEY_EXPECTATIONS:
        return "keys"
    if expectation.startswith(ROW_EXPECTATION_PREFIXES):
        return "rows"
    raise ValueError(f"{expectation} needs the whole table at once: the staged tables are validated in chunks")


def _split(suite_json: dict) -> dict[str, list[str]]:
    """The columns each part ("keys", "rows") of a suite reads; parts without expectations left out."""
    parts: dict[str, list[str]] = {}
    for e in suite_json.get("expectations", []):
        kwargs = e.get("kwargs", {})
        names = [kwargs["column"]] if "column" in kwargs else kwargs.get("column_list", [])
        parts.setdefault(_part(e["type"]), []).extend(names)
    return {part: list(dict.fromkeys(names)) for part, names in parts.items()}


def _key_chunks(con, table: str, key: str, columns: list[str]) -> Iterator[pa.Table]:
    """staged_<table> split by a hash of its key: all rows of one key in the same chunk."""
    texts = " + ".join(f"coalesce(strlen({c}::varchar), 0)" for c in columns)
    (rows, size), = con.execute(f"select count(*), coalesce(sum({texts}), 0) from staged_{table}").fetchall()
    n = max(1, -(-rows // CHUNK_ROWS), -(-int(size) // CHUNK_BYTES))
    for i in range(n):
        where = f"where hash({key}) % {n} = {i}" if n > 1 else ""
        yield con.sql(f"select {', '.join(columns)} from staged_{table} {where}").to_arrow_table()


def _row_chunks(con, table: str, columns: list[str]) -> Iterator[pa.Table]:
    """staged_<table> in one pass, cut into chunks of at most about CHUNK_ROWS rows or CHUNK_BYTES."""
    reader = con.sql(f"select {', '.join(columns)} from staged_{table}").to_arrow_reader(BATCH_ROWS)
    batches: list[pa.RecordBatch] = []
    rows = size = chunks = 0
    for batch in reader:
        batches.append(batch)
        rows, size = rows + batch.num_rows, size + batch.nbytes
        if rows >= CHUNK_ROWS or size >= CHUNK_BYTES:
            yield pa.Table.from_batches(batches)
            batches, rows, size, chunks = [], 0, 0, chunks + 1
    if batches or not chunks:  # an empty table is validated too
        yield pa.Table.from_batches(batches, schema=reader.schema)


def validate(con, suites_dir: Path, validator: Validator | None = None) -> list[Outcome]:
    """Evaluate every suite in `suites_dir` (<table>.json) on the view staged_<table> of the
    DuckDB connection `con`, in bounded chunks. Row-by-row expectations see the table in one
    streamed pass; uniqueness expectations see only the key columns, split by a hash of the
    table's first key, so that a key is unique in the whole table exactly when it is in its
    chunk. The chunks go to `validator` (one is started and stopped here if none is given),
    which validates one chunk while the next is read."""
    from etl.failpoints import failpoint

    own = validator is None
    validator = validator or Validator(suites_dir)
    validator.start()
    try:
        paths = sorted(suites_dir.glob("*.json"))
        parts = {p.stem: _split(json.loads(p.read_text(encoding="utf-8"))) for p in paths}
        staged = {name.removeprefix("staged_") for name, in con.execute("show tables").fetchall()}
        failpoint("validate")
        outcomes: list[Outcome] = []
        for table, table_parts in parts.items():
            if table not in staged:
                raise ValueError(f"expectation suite {table}.json names no staged table")
            table_columns = [c for c, in con.execute(f"select column_name from (describe staged_{table})").fetchall()]
            traceable = ID_COLUMN in table_columns
            merged: dict[int, Outcome] = {}
            for part, columns in table_parts.items():
                wanted = list(dict.fromkeys([*columns, *([ID_COLUMN] if traceable else [])]))
                chunks = (_key_chunks(con, table, table_columns[0], wanted) if part == "keys"
                          else _row_chunks(con, table, wanted))
                for results in validator.evaluate_all(table, part, chunks, traceable):
                    for o in results:
                        merged[o.position] = _combine(merged[o.position], o) if o.position in merged else o
            outcomes += [merged[k] for k in sorted(merged)]
        return outcomes
    finally:
        if own:
            validator.close()


class Validator:
    """Great Expectations in a child process, started by `start` or the first chunk:
    chunks of staged rows in, outcomes out, through two queues (a put never blocks)."""

    def __init__(self, suites_dir: Path) -> None:
        self.suites_dir = suites_dir
        self._process = None

    def start(self) -> None:
        if self._process:
            return
        # Forked: no new interpreter to start, and the child inherits the run's settings.
        # The run has no DuckDB connection open while extracting; the child never uses DuckDB.
        ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        self._tasks, self._results = ctx.Queue(), ctx.Queue()
        self._process = ctx.Process(target=_serve, args=(self._tasks, self._results, self.suites_dir),
                                    name="etl-validate", daemon=True)
        self._process.start()

    def evaluate_all(self, table: str, part: str, chunks: Iterable[pa.Table],
                     traceable: bool) -> Iterator[list[Outcome]]:
        """Each chunk's outcomes, in order; the next chunk is read while one is validated."""
        self.start()
        pending = 0
        for chunk in chunks:
            self._tasks.put((table, part, chunk, traceable))
            pending += 1
            if pending == 2:
                yield self._result()
                pending -= 1
        for _ in range(pending):
            yield self._result()

    def _result(self) -> list[Outcome]:
        while True:
            try:
                ok, answer = self._results.get(timeout=5)
                break
            except queue.Empty:
                if not self._process.is_alive():
                    raise RuntimeError(f"the validation process died (exit code {self._process.exitcode})") from None
        if not ok:
            raise answer
        return answer

    def close(self) -> None:
        if not self._process:
            return
        if self._process.is_alive():
            self._tasks.put(None)
            self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()
        self._process = None


def _serve(tasks, results, suites_dir: Path) -> None:
    """The validation process: import GX, load the suites, then validate chunks until None."""
    from etl.load import die_with_parent

    die_with_parent()
    try:
        gx = _gx()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        suites = {(p.stem, part): load_suite(p, part) for p in sorted(suites_dir.glob("*.json"))
                  for part in ("keys", "rows")}
        error = None
    except Exception as e:  # answered to the first chunk
        error = e
    count = 0
    while (message := tasks.get()) is not None:
        table, part, chunk, traceable = message
        count += 1
        try:
            if error:
                raise error
            answer = (True, _validate_frame(context, f"{table}-{count}", table, chunk.to_pandas(),
                                            suites[table, part], traceable))
        except Exception as e:
            answer = (False, e if _picklable(e) else RuntimeError(f"{type(e).__name__}: {e}"))
        results.put(answer)
        _release_memory()


def _release_memory() -> None:
    """Give the freed memory of a chunk back to the system (glibc keeps it otherwise, and the
    process would grow with every chunk of long texts)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)


def _picklable(e: Exception) -> bool:
    import pickle

    try:
        pickle.dumps(e)
    except Exception:
        return False
    return True


def _combine(a: Outcome, b: Outcome) -> Outcome:
    """One expectation's outcome on two chunks of a table."""
    documents = dict(a.documents)
    for d, values in b.documents.items():
        documents[d] = documents.get(d, []) + values
    return replace(a, success=a.success and b.success, unexpected_count=a.unexpected_count + b.unexpected_count,
                   examples=(a.examples + b.examples)[:5], documents=documents, error=a.error or b.error)


def _validate_frame(context, asset: str, table: str, df, suite, traceable: bool) -> list[Outcome]:
    # A data source per chunk, deleted after: its execution engine keeps every batch it
    # loaded, and with it the DataFrame.
    datasource = context.data_sources.add_pandas(asset)
    batch = datasource.read_dataframe(df, asset_name=asset)
    result_format: dict[str, Any] = {"result_format": "COMPLETE"}
    if traceable:
        result_format["unexpected_index_column_names"] = [ID_COLUMN]
    result = batch.validate(suite, result_format=result_format)
    context.data_sources.delete(asset)
    order = {e.id: i for i, e in enumerate(suite.expectations)}
    outcomes = []
    for r in sorted(result.results, key=lambda r: order[r.expectation_config.id]):
        config, res = r.expectation_config, r.result
        kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
        documents: dict[str, list] = {}
        if traceable and not r.success:
            for row in res.get("unexpected_index_list") or []:
                values = [v for k, v in row.items() if k != ID_COLUMN] or [row[ID_COLUMN]]
                documents.setdefault(row[ID_COLUMN], []).append(plain(values[0] if len(values) == 1 else values))
        error = None
        if r.exception_info.get("raised_exception"):
            error = r.exception_info.get("exception_message")
        outcomes.append(Outcome(
            position=int(config.id.rpartition("#")[2]),
            table=table,
            expectation=config.type,
            column=kwargs.get("column"),
            kwargs=plain(kwargs),
            success=bool(r.success),
            unexpected_count=int(res.get("unexpected_count") or 0),
            examples=plain(list(res.get("partial_unexpected_list") or [])[:5]),
            documents=documents,
            error=error,
        ))
    return outcomes


def stage_tables(tables: dict[str, pa.Table]):
    """An in-memory DuckDB holding `tables` as staged_<table>, to validate them."""
    from etl.schemas import connect_memory

    con = connect_memory()
    for table, data in tables.items():
        con.register(f"arrow_{table}", data)
        con.execute(f"create table staged_{table} as select * from arrow_{table}")
        con.unregister(f"arrow_{table}")
    return con
