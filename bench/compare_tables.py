"""Are two warehouses' tables identical, row for row? The check of the speed work (issue 24).

    python bench/compare_tables.py export WAREHOUSE DIR    # each table, sorted, as DIR/<table>.parquet
    python bench/compare_tables.py compare A B [--names]   # A, B: a warehouse folder or an export DIR

Reads a warehouse's published file (WAREHOUSE/published.duckdb, read-only): every table of the
DDL it publishes (etl.core.schemas.table_names(): the data tables, `runs` and `validation_results`; a view there
over the snapshot's Parquet files). Columns that differ between any two runs of the same input are left out, and
named in the output:

- every `run_id` column (a new id per run), and every timestamp column (`runs.started_at`,
  `finished_at`, `validation_results`' times);
- columns whose name ends in `_seconds` (none today).

With `--names`, a `path` column is compared by its file name only: two corpora generated alike in
different folders (as `bench/run.py` does in each run's work folder) give the same documents.

`input_files` and `upgrades` (storage-internal) are not published, so not compared.

Everything else is compared as a multiset of rows (EXCEPT ALL both ways) and by row count.
Prints one line per table and exits 1 when any table differs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Columns that a run of the same input writes differently (left out of the comparison).
RUN_SPECIFIC = {"run_id"}
RUN_SPECIFIC_TYPES = ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "INTERVAL")


def tables(con, catalog: str | None = None) -> list[str]:
    """The DDL's tables that `con` (or its attached `catalog`) has, as tables or views."""
    from etl.core.schemas import table_names

    have = {t for (t,) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'main' "
        "and coalesce(table_catalog = ?, true)", [catalog]).fetchall()}
    return [t for t in table_names() if t in have]


def kept_columns(con, relation: str) -> tuple[list[str], list[str]]:
    """(compared columns, left-out columns) of a table or parquet relation."""
    kept, dropped = [], []
    for name, kind, *_ in con.execute(f"describe select * from {relation}").fetchall():
        volatile = name in RUN_SPECIFIC or kind in RUN_SPECIFIC_TYPES or name.endswith("_seconds")
        (dropped if volatile else kept).append(name)
    return kept, dropped


def export(warehouse: Path, out: Path) -> None:
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse / "published.duckdb"), read_only=True)
    for table in tables(con):
        con.execute(f"copy (select * from \"{table}\" order by all) to ? (format parquet)",
                    [str(out / f"{table}.parquet")])
        print(f"{table}: {con.execute(f'select count(*) from {table}').fetchone()[0]:,} rows")
    con.close()


def relations(con, source: Path, alias: str) -> dict[str, str]:
    """Table name → a relation to select from, for a warehouse folder or an export folder."""
    if (source / "published.duckdb").exists():
        con.execute(f"attach '{source / 'published.duckdb'}' as {alias} (read_only)")
        return {t: f'{alias}.main."{t}"' for t in tables(con, alias)}
    return {p.stem: f"read_parquet('{p}')" for p in sorted(source.glob("*.parquet"))}


def compare(a: Path, b: Path, names: bool = False) -> bool:
    import duckdb

    con = duckdb.connect()
    left, right = relations(con, a, "a"), relations(con, b, "b")
    same = True
    for table in sorted(set(left) | set(right)):
        if table not in left or table not in right:
            print(f"{table}: only in {'A' if table in left else 'B'}")
            same = False
            continue
        kept_a, dropped = kept_columns(con, left[table])
        kept_b, _ = kept_columns(con, right[table])
        if kept_a != kept_b:
            print(f"{table}: columns differ: {kept_a} / {kept_b}")
            same = False
            continue
        cols = ", ".join(f"regexp_extract(\"{c}\", '[^/]*$') as \"{c}\"" if names and c == "path" else f'"{c}"'
                         for c in kept_a)
        (n_a,), = con.execute(f"select count(*) from {left[table]}").fetchall()
        (n_b,), = con.execute(f"select count(*) from {right[table]}").fetchall()
        (only_a,), = con.execute(f"select count(*) from (select {cols} from {left[table]} "
                                 f"except all select {cols} from {right[table]})").fetchall()
        (only_b,), = con.execute(f"select count(*) from (select {cols} from {right[table]} "
                                 f"except all select {cols} from {left[table]})").fetchall()
        ok = n_a == n_b and only_a == only_b == 0
        same &= ok
        left_out = f"; left out: {', '.join(dropped)}" if dropped else ""
        print(f"{table}: {'identical' if ok else 'DIFFERENT'}: {n_a:,} / {n_b:,} rows, "
              f"{only_a:,} only in A, {only_b:,} only in B{left_out}")
    con.close()
    return same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    e = sub.add_parser("export")
    e.add_argument("warehouse", type=Path)
    e.add_argument("out", type=Path)
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    c.add_argument("--names", action="store_true", help="compare `path` columns by file name only")
    args = parser.parse_args()
    if args.command == "export":
        export(args.warehouse, args.out)
    else:
        sys.exit(0 if compare(args.a, args.b, args.names) else 1)


if __name__ == "__main__":
    main()
