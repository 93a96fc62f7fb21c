"""Test helpers: stage a few parsed documents as a run stages them, without a run."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa

from etl.core.reference import Reference
from etl.core.schemas import DATA_TABLES, connect_memory
from etl.extract import Rejected
from etl.run.transform import Parsed, document_rows, empty_rows, exclude_documents, open_stage, stage, write_raw


def build_tables(
    parsed: list[Parsed], rejected: list[Rejected], run_id: str, ref: Reference
) -> dict[str, pa.Table]:
    """Every data table's rows for a few documents, staged as a run stages them."""
    rows = empty_rows()
    for index, item in enumerate(parsed):
        document_rows(item, index, run_id, ref, rows)
    with tempfile.TemporaryDirectory() as folder, connect_memory() as con:
        write_raw(rows, Path(folder), "0")
        open_stage(con, Path(folder))
        exclude_documents(con, [], rejected, run_id)
        stage(con, Path(folder) / "staged")
        return {t: con.table(f"staged_{t}").to_arrow_table() for t in DATA_TABLES}


def stage_tables(tables: dict[str, pa.Table]):
    """An in-memory DuckDB holding `tables` (Arrow tables) as staged_<table>, to validate them."""
    con = connect_memory()
    for table, data in tables.items():
        con.register(f"arrow_{table}", data)
        con.execute(f"create table staged_{table} as select * from arrow_{table}")
        con.unregister(f"arrow_{table}")
    return con
