"""Validate: run the Great Expectations suites in expectations/ on the staged tables.

GX 1.x cannot validate a DuckDB table directly, so the staged tables are read out of
DuckDB in bounded chunks and validated as pandas DataFrames, in an ephemeral context:
nothing is written, no network is used.
Importing this module imports great_expectations (~3 s): only `etl run` does.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyarrow as pa

from etl.values import plain

ID_COLUMN = "document_id"  # failing rows of tables that have it are traced to their documents
CHUNK_ROWS = 100_000  # rows of one DataFrame handed to GX
CHUNK_BYTES = 32 * 1024 * 1024  # text in one DataFrame

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
import great_expectations as gx  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402

logging.getLogger("great_expectations").setLevel(logging.ERROR)


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


def load_suite(path: Path) -> gx.ExpectationSuite:
    """A suite from its JSON file; an unknown expectation type is an error, not skipped."""
    data = json.loads(path.read_text(encoding="utf-8"))
    expectations = data.get("expectations", [])
    data["expectations"] = [{**e, "id": f"{path.stem}#{i}"} for i, e in enumerate(expectations)]
    suite = gx.ExpectationSuite(**data)
    if len(suite.expectations) != len(expectations):
        kept = {e.id for e in suite.expectations}
        bad = [e.get("type") for i, e in enumerate(expectations) if f"{path.stem}#{i}" not in kept]
        raise ValueError(f"{path}: invalid expectations {bad}")
    return suite


def _columns(suite_json: dict) -> list[str]:
    """The columns a suite reads, in first-mention order."""
    names: list[str] = []
    for e in suite_json.get("expectations", []):
        kwargs = e.get("kwargs", {})
        names += [kwargs["column"]] if "column" in kwargs else kwargs.get("column_list", [])
    return list(dict.fromkeys(names))


def _chunks(con, table: str, columns: list[str]) -> int:
    """How many chunks keep one DataFrame of `columns` of staged_<table> small."""
    texts = " + ".join(f"coalesce(strlen({c}::varchar), 0)" for c in columns)
    (rows, size), = con.execute(f"select count(*), coalesce(sum({texts}), 0) from staged_{table}").fetchall()
    return max(1, -(-rows // CHUNK_ROWS), -(-int(size) // CHUNK_BYTES))


def validate(con, suites_dir: Path) -> list[Outcome]:
    """Evaluate every suite in `suites_dir` (<table>.json) on the table staged_<table> of the
    DuckDB connection `con`, in chunks that split rows by a hash of the table's first key,
    so that uniqueness holds in the whole table exactly when it holds in every chunk."""
    from etl.failpoints import failpoint

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    outcomes: list[Outcome] = []
    paths = sorted(suites_dir.glob("*.json"))
    suites = {p.stem: load_suite(p) for p in paths}
    columns = {p.stem: _columns(json.loads(p.read_text(encoding="utf-8"))) for p in paths}
    staged = {name.removeprefix("staged_") for name, in con.execute("show tables").fetchall()}
    failpoint("validate")
    for table, suite in suites.items():
        if table not in staged:
            raise ValueError(f"expectation suite {table}.json names no staged table")
        table_columns = [c for c, in con.execute(f"select column_name from (describe staged_{table})").fetchall()]
        traceable = ID_COLUMN in table_columns
        wanted = list(dict.fromkeys([*columns[table], *([ID_COLUMN] if traceable else [])]))
        n = _chunks(con, table, wanted)
        merged: dict[str, Outcome] = {}
        for i in range(n):
            where = f"where hash({table_columns[0]}) % {n} = {i}" if n > 1 else ""
            df = con.sql(f"select {', '.join(wanted)} from staged_{table} {where}").to_arrow_table().to_pandas()
            for outcome in _validate_frame(context, f"{table}-{i}", table, df, suite, traceable):
                key = f"{outcome.expectation}:{json.dumps(outcome.kwargs, sort_keys=True)}"
                merged[key] = _combine(merged[key], outcome) if key in merged else outcome
        outcomes += merged.values()
    return outcomes


def _combine(a: Outcome, b: Outcome) -> Outcome:
    """One expectation's outcome on two chunks of a table."""
    documents = dict(a.documents)
    for d, values in b.documents.items():
        documents[d] = documents.get(d, []) + values
    return replace(a, success=a.success and b.success, unexpected_count=a.unexpected_count + b.unexpected_count,
                   examples=(a.examples + b.examples)[:5], documents=documents, error=a.error or b.error)


def _validate_frame(context, asset: str, table: str, df, suite: gx.ExpectationSuite,
                    traceable: bool) -> list[Outcome]:
    batch = context.data_sources.pandas_default.read_dataframe(df, asset_name=asset)
    result_format: dict[str, Any] = {"result_format": "COMPLETE"}
    if traceable:
        result_format["unexpected_index_column_names"] = [ID_COLUMN]
    result = batch.validate(suite, result_format=result_format)
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
