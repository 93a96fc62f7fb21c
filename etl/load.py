"""Load: the merge of a run's staged rows into the lake's tables, the writer's own step.

Everything else about storage (the folder, the lock, the lake, the commit, publishing) is
etl/storage/warehouse.py's `Warehouse`.
"""

from __future__ import annotations

from etl.duck import sql_value
from etl.schemas import sql


def merge(con) -> tuple[int, int]:
    """Merge the run's staged_<table> tables and views into the lake's tables (in the caller's open
    transaction); returns (posts new, posts upgraded to a complete copy)."""
    con.execute(sql("load/merge"))
    (new, updated), = con.execute(sql("load/post_counts")).fetchall()
    return new, updated


def insert_run(con, row: dict[str, object]) -> None:
    """Insert a `runs` row (by column), its values written into the statement (etl.duck.sql_value)."""
    con.execute(sql("load/insert_run").format(**{column: sql_value(v) for column, v in row.items()}))
