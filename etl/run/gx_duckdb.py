"""Great Expectations on DuckDB: what GX 1.24 lacks to validate a relation of a DuckDB
connection through its SQL execution engine (SQLAlchemy + duckdb-engine).

Delete this module when GX ships a DuckDB execution engine (upstream pull request #12084):
tests/test_gx_duckdb.py pins the GX version it was written for.

- The connection. GX runs on the caller's own DuckDB connection (the run's temporary
  views are visible on that connection only): the SQLAlchemy engine's pool holds that one
  connection (StaticPool, nothing done on return), wrapped so that GX can neither close it
  nor begin, commit or roll back a transaction on it.
- Empty results. GX's `execute_query` returns the cursor result after its connection is
  closed, when duckdb-engine's rows are gone (every metric then fails with IndexError in
  resolve_metric_bundle, upstream issues #10738 and #11579): it returns a buffered copy here.
- Regex. GX has no regex function for the duckdb dialect: regexp_matches (a match anywhere
  in the value, as GX's pandas engine and `~` in PostgreSQL; anchor the pattern for a full match).
- Reflection. duckdb-engine reflects a relation the PostgreSQL way, with six pg_catalog
  queries, each a plan over DuckDB's whole catalog; GX reflects every relation it validates.
  Here the dialect asks DuckDB itself (`DESCRIBE`): one cheap statement, temporary views
  and tables included. DuckDB relations have no primary keys GX could use.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

GX_VERSION = "1.24.1"  # the version this adapter was written for
DATASOURCE = "duckdb"
_PATCHED = "_etl_gx_duckdb"


# Modules GX imports that no expectation of ours uses: loaded at their first use instead.
# scipy.stats is imported by GX's KL-divergence and KS-test expectations alone, and is 0.8 of
# the 3 CPU s and 56 of the 258 MB that importing GX costs (a run's validation waits for it).
DEFERRED = ("scipy.stats",)


def import_gx():
    """great_expectations, quiet and offline, with this adapter installed."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    for name in DEFERRED:
        defer(name)
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    _install()
    return gx


def defer(name: str) -> None:
    """Make the module `name` (not imported yet) load at its first attribute access rather
    than when imported: the standard library's lazy import (importlib.util.LazyLoader). It is
    also set as an attribute of its package, so that `from package import module` takes it as
    it is (the import system would read its __spec__, and so load it)."""
    import importlib.util
    import sys

    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    package, _, child = name.rpartition(".")
    if package:
        setattr(sys.modules[package], child, module)


def _install() -> None:
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine

    if getattr(SqlAlchemyExecutionEngine, _PATCHED, False):
        return
    SqlAlchemyExecutionEngine.execute_query = _buffered_execute_query
    _patch_regex()
    _patch_reflection()
    setattr(SqlAlchemyExecutionEngine, _PATCHED, True)


def _buffered_execute_query(self, query):
    """SqlAlchemyExecutionEngine.execute_query, returning rows that outlive the connection."""
    with self.get_connection() as connection:
        return self._execute_query_with_recovery(connection, query).freeze()()


def _patch_regex() -> None:
    """Every GX module that imported get_dialect_regex_expression gets one that knows DuckDB."""
    import sys

    from great_expectations.expectations.metrics import util

    original = util.get_dialect_regex_expression
    patched = _regex_expression(original)
    util.get_dialect_regex_expression = patched
    for name, module in list(sys.modules.items()):
        if name.startswith("great_expectations.") and getattr(module, "get_dialect_regex_expression", None) is original:
            module.get_dialect_regex_expression = patched


def _regex_expression(original: Callable) -> Callable:
    def get_dialect_regex_expression(column, regex: str, dialect, positive: bool = True):
        if getattr(dialect, "name", None) != "duckdb":  # GX passes duckdb-engine's dialect itself
            return original(column, regex, dialect, positive)
        import sqlalchemy as sa

        match = sa.func.regexp_matches(column, sa.literal(regex))
        return match if positive else sa.not_(match)

    return get_dialect_regex_expression


def _patch_reflection() -> None:
    from duckdb_engine import Dialect

    Dialect.has_table = _has_table
    Dialect.get_columns = _get_columns
    Dialect.get_pk_constraint = _get_pk_constraint


def _describe(connection, table_name: str, schema: str | None) -> list[tuple]:
    import sqlalchemy as sa

    name = f'"{schema}"."{table_name}"' if schema else f'"{table_name}"'
    try:
        return connection.exec_driver_sql(f"describe {name}").fetchall()
    except sa.exc.DBAPIError as e:  # no such relation
        raise sa.exc.NoSuchTableError(table_name) from e


def _has_table(self, connection, table_name: str, schema: str | None = None, **kw) -> bool:
    import sqlalchemy as sa

    try:
        _describe(connection, table_name, schema)
    except sa.exc.NoSuchTableError:
        return False
    return True


def _get_columns(self, connection, table_name: str, schema: str | None = None, **kw) -> list[dict]:
    """The relation's columns as SQLAlchemy reflects them, from DESCRIBE (name, type, null, …)."""
    from sqlalchemy.types import NullType

    return [
        {"name": name, "type": self.ischema_names.get(kind.split("(")[0].lower(), NullType)(),
         "nullable": null == "YES", "default": None, "autoincrement": False}
        for name, kind, null, *_ in _describe(connection, table_name, schema)
    ]


def _get_pk_constraint(self, connection, table_name: str, schema: str | None = None, **kw) -> dict:
    return {"constrained_columns": [], "name": None}


def borrowed(con) -> Any:
    """`con` as a DB-API connection for duckdb-engine that GX cannot close and on which it
    cannot begin, commit or roll back a transaction: the caller's stay as they are."""
    from duckdb_engine import ConnectionWrapper

    class Borrowed(ConnectionWrapper):
        def close(self) -> None:
            pass

        def begin(self) -> None:
            pass

        def commit(self) -> None:
            pass

        def rollback(self) -> None:
            pass

    return Borrowed(con)


def engine_kwargs(con) -> dict[str, Any]:
    """SQLAlchemy create_engine arguments for a pool of exactly `con`."""
    from sqlalchemy.pool import StaticPool

    wrapped = borrowed(con)
    return {"creator": lambda: wrapped, "poolclass": StaticPool, "pool_reset_on_return": None}


def add_datasource(context, con, name: str = DATASOURCE):
    """A GX SQL data source on the DuckDB connection `con` (replacing one of that name)."""
    if name in context.data_sources.all():
        context.data_sources.delete(name)
    return context.data_sources.add_sql(name, connection_string="duckdb:///:memory:", kwargs=engine_kwargs(con))


def sqlalchemy_engine(con):
    """A plain SQLAlchemy engine on `con` (as GX builds it, reflecting with DESCRIBE), to inspect
    relations. (duckdb-engine's own reflection does not see temporary views under SQLAlchemy 2.)"""
    import sqlalchemy as sa

    _patch_reflection()
    return sa.create_engine("duckdb:///:memory:", **engine_kwargs(con))
