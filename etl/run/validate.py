"""Validate: run the Great Expectations suites in expectations/ inside DuckDB.

Each suite <table>.json is evaluated by GX's SQL execution engine on a relation of the
caller's own DuckDB connection (etl/run/gx_duckdb.py): the rows stay in DuckDB, nothing is
copied out, no process is started. Each suite has two parts, by a rule on its expectations
(`scope`):

- "rows": expectations that judge each row on its own (GX's column, column-pair and
  multicolumn map expectations). They run on the run's new rows, `staged_<table>`, and a
  failing row is traced to its document through the relation's document_id column.
- "keys": uniqueness (of a column, of a compound key). They run on the rows of the table as
  it will be published that share a key value with the run's new rows, a relation the
  caller names: only those rows can have become duplicates, every earlier snapshot passed.
- "table": everything else — every aggregate of the whole table (row count, mean, distinct
  values, …). They run on the table as it will be published, a relation the caller names.

GX is imported here only, when `validate` is first called (or by `preload`). Suites run in
an ephemeral GX context: nothing is written, no network is used.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from etl.core import relations as rel
from etl.core.values import to_jsonable

ID_COLUMN = "document_id"  # failing rows of relations that have it are traced to their documents
Scope = Literal["rows", "keys", "table"]
UNIQUENESS = frozenset({"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"})  # "keys"
# Map expectations that compare a row with every other row of the relation: "table" scope.
ACROSS_ROWS = frozenset({"expect_column_value_z_scores_to_be_less_than"})


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation evaluated on one relation."""

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


def preload() -> None:
    """Import GX in a background thread (the run calls it at its first new document, so the
    import overlaps the extraction); `validate` waits for it."""
    if not _preloading:
        thread = threading.Thread(target=_gx, name="etl-gx-import", daemon=True)
        _preloading.append(thread)
        thread.start()


_preloading: list[threading.Thread] = []


@cache
def _gx():
    from etl.run.gx_duckdb import import_gx

    return import_gx()


@cache
def _context():
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = _gx().get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    # An ephemeral context keeps nothing, yet GX serializes its whole configuration to YAML
    # (for an in-memory store no one reads) at every data source and asset change: a
    # quarter of a validation pass's CPU.
    context._save_project_config = lambda: None
    return context


def scope(expectation) -> Scope:
    """"rows" for an expectation that judges each row on its own, "keys" for uniqueness,
    "table" for the others."""
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )

    if expectation.expectation_type in UNIQUENESS:
        return "keys"
    row_by_row = isinstance(expectation, ColumnMapExpectation | ColumnPairMapExpectation | MulticolumnMapExpectation)
    return "rows" if row_by_row and expectation.expectation_type not in ACROSS_ROWS else "table"


def unique_keys(expectations_dir: Path) -> dict[str, list[list[str]]]:
    """The columns of every uniqueness expectation ("keys"), by table."""
    keys: dict[str, list[list[str]]] = {}
    for path in sorted(expectations_dir.glob("*.json")):
        for e in load_suite(path, "keys").expectations:
            kwargs = e.configuration.kwargs
            key = [kwargs["column"]] if "column" in kwargs else list(kwargs["column_list"])
            keys.setdefault(path.stem, []).append(key)
    return keys


def load_suite(path: Path, part: Scope | None = None):
    """A suite from its JSON file, or the expectations of one part of it; each expectation's
    id is <table>#<position in the file>. An unknown expectation type is an error, not skipped."""
    gx = _gx()
    data = json.loads(path.read_text(encoding="utf-8"))
    expectations = [{**e, "id": f"{path.stem}#{i}"} for i, e in enumerate(data.get("expectations", []))]
    suite = gx.ExpectationSuite(**{**data, "name": path.stem, "expectations": expectations})
    if len(suite.expectations) != len(expectations):
        kept = {e.id for e in suite.expectations}
        bad = [e.get("type") for e in expectations if e["id"] not in kept]
        raise ValueError(f"{path}: invalid expectations {bad}")
    if part:
        suite.expectations = [e for e in suite.expectations if scope(e) == part]
    return suite


def validate(con, expectations_dir: Path, tables: dict[str, str] | None = None,
             part: Scope | None = None, only: str | None = None) -> list[ExpectationResult]:
    """Evaluate every suite in `expectations_dir` (<table>.json), or that of table `only`, or
    its `part` ("rows", "keys", "table"), on a relation of the DuckDB connection `con`:
    tables[<table>] when given, else staged_<table>. GX never closes `con`, nor begins,
    commits or rolls back on it."""
    from etl.core.failpoints import failpoint
    from etl.run.gx_duckdb import add_datasource

    for thread in _preloading:
        thread.join()
    context = _context()
    suites = [load_suite(p, part) for p in sorted(expectations_dir.glob(f"{only or '*'}.json"))]
    datasource = add_datasource(context, con)
    failpoint("validate")
    try:
        outcomes: list[ExpectationResult] = []
        for suite in suites:
            if suite.expectations:
                outcomes += _validate_suite(con, datasource, suite, (tables or {}).get(suite.name))
        return outcomes
    finally:
        context.data_sources.delete(datasource.name)


def _columns(con, relation: str) -> list[str]:
    try:
        return [c for c, *_ in con.execute(f"describe {relation}").fetchall()]
    except Exception as e:
        raise ValueError(f"cannot validate {relation}: {e}") from e


def _validate_suite(con, datasource, suite, relation: str | None) -> list[ExpectationResult]:
    """One suite on its relation: every expectation once, then again with its failing values
    and their documents for those that failed (and those allowed to fail some rows: `mostly`)."""
    relation = relation or rel.staged(suite.name)
    traceable = ID_COLUMN in _columns(con, relation)
    asset = datasource.add_table_asset(name=relation, table_name=relation)
    try:
        batch = asset.add_batch_definition_whole_table("whole").get_batch()
        first = batch.validate(suite, result_format="BOOLEAN_ONLY").results
        again = [r.expectation_config for r in first if not r.success or "mostly" in r.expectation_config.kwargs]
        detailed = _details(batch, suite.name, again, traceable) if again else {}
    finally:
        datasource.delete_asset(relation)
    results = [detailed.get(r.expectation_config.id, r) for r in first]
    return sorted((_result(suite.name, r, traceable) for r in results), key=lambda o: o.position)


def _details(batch, name: str, configs: list, traceable: bool) -> dict[str, Any]:
    """Results with every failing value (and its document), by expectation id."""
    details = _gx().ExpectationSuite(name=f"{name}-details", expectations=[c.to_json_dict() for c in configs])
    result_format: dict[str, Any] = {"result_format": "COMPLETE"}
    if traceable:
        result_format["unexpected_index_column_names"] = [ID_COLUMN]
    return {r.expectation_config.id: r for r in batch.validate(details, result_format=result_format).results}


def _result(table: str, r, traceable: bool) -> ExpectationResult:
    config, res = r.expectation_config, r.result or {}
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    examples = list(res.get("partial_unexpected_list") or [])[:5]
    if not examples and not r.success and "observed_value" in res:
        examples = [res["observed_value"]]  # an aggregate: the value it found
    return ExpectationResult(
        position=int(config.id.rpartition("#")[2]),
        table=table,
        expectation=config.type,
        column=kwargs.get("column"),
        kwargs=to_jsonable(kwargs),
        success=bool(r.success),
        unexpected_count=int(res.get("unexpected_count") or 0),
        examples=to_jsonable(examples),
        documents=_documents(res) if traceable and not r.success else {},
        error=_error(r.exception_info or {}),
    )


def _documents(res: dict) -> dict[str, list]:
    """Each document's failing values, from GX's unexpected_index_list."""
    documents: dict[str, list] = {}
    for row in res.get("unexpected_index_list") or []:
        values = [v for k, v in row.items() if k != ID_COLUMN] or [row[ID_COLUMN]]
        documents.setdefault(row[ID_COLUMN], []).append(to_jsonable(values[0] if len(values) == 1 else values))
    return documents


def _error(info: dict) -> str | None:
    """The exception GX caught, from its exception_info (flat, or by metric)."""
    if info.get("raised_exception"):
        return info.get("exception_message") or "exception"
    nested = [v.get("exception_message") for v in info.values() if isinstance(v, dict)]
    return next((m for m in nested if m), None)
