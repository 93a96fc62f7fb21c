"""Validate: run the Great Expectations suites in expectations/ on the staged tables.

GX 1.x cannot validate a DuckDB table directly, so the staged Arrow tables are validated
as pandas DataFrames, in an ephemeral context: nothing is written, no network is used.
Importing this module imports great_expectations (~3 s): only `etl run` does.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from etl.values import plain

ID_COLUMN = "document_id"  # failing rows of tables that have it are traced to their documents

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


def validate(tables: dict[str, pa.Table], suites_dir: Path) -> list[Outcome]:
    """Evaluate every suite in `suites_dir` (<table>.json) on its staged table."""
    from etl.failpoints import failpoint

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    outcomes: list[Outcome] = []
    suites = {p.stem: load_suite(p) for p in sorted(suites_dir.glob("*.json"))}
    failpoint("validate")
    for table, suite in suites.items():
        if table not in tables:
            raise ValueError(f"expectation suite {table}.json names no staged table")
        df = tables[table].to_pandas()
        batch = context.data_sources.pandas_default.read_dataframe(df, asset_name=table)
        traceable = ID_COLUMN in df.columns
        result_format: dict[str, Any] = {"result_format": "COMPLETE"}
        if traceable:
            result_format["unexpected_index_column_names"] = [ID_COLUMN]
        result = batch.validate(suite, result_format=result_format)
        order = {e.id: i for i, e in enumerate(suite.expectations)}
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
