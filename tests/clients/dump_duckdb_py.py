"""Dump BI views as JSON with whatever `duckdb` Python package runs this script.

    python dump_duckdb_py.py DATABASE SPEC_JSON

SPEC_JSON maps each view to its ORDER BY list. Opens DATABASE read-only and prints
{"version": ..., "views": {view: {"columns", "types", "rows"}}}. Standalone on purpose (no
project imports, only the standard library and duckdb): tests/test_bi_clients.py runs it with
the DuckDB 1.1 venv in .clients/ and with the project's own venv, and compares the two.
"""

import datetime
import decimal
import json
import sys
import uuid

import duckdb


def plain(value):
    """A JSON-able value: dates and times as ISO strings, decimals as strings (no float rounding here)."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def main(database: str, spec: str) -> None:
    con = duckdb.connect(database, read_only=True)
    (version,), = con.execute("select version()").fetchall()
    views = {}
    for view, order_by in json.loads(spec).items():
        rel = con.sql(f"select * from {view} order by {order_by}")
        views[view] = {
            "columns": list(rel.columns),
            "types": [str(t) for t in rel.types],  # DuckDB's type names: BIGINT, DECIMAL(18,1), VARCHAR[], …
            "rows": [[plain(v) for v in row] for row in rel.fetchall()],
        }
    con.close()
    json.dump({"version": version, "views": views}, sys.stdout)


if __name__ == "__main__":
    main(*sys.argv[1:])
