"""The GX-on-DuckDB adapter (etl/run/gx_duckdb.py) and the versions it was written for."""

from __future__ import annotations

from importlib.metadata import version

import duckdb
import pytest

from etl.run.gx_duckdb import GX_VERSION


def test_pins_the_versions_the_adapter_was_written_for():
    """On another GX, check whether the adapter is still needed (upstream pull request #12084
    adds a DuckDB engine) before moving this pin. SQLAlchemy and duckdb-engine: the ranges of
    pyproject.toml, whose ends are tested (make test; .ci/gx-versions)."""
    from packaging.version import Version

    assert version("great_expectations") == GX_VERSION
    assert Version("1.4.54") <= Version(version("sqlalchemy")) < Version("2.2")
    assert Version("0.15") <= Version(version("duckdb-engine")) < Version("0.18")


@pytest.fixture
def con():
    con = duckdb.connect(":memory:")
    con.execute("create temp view staged_x as select i as id, printf('%016x', i) as h, "
                "case when i = 3 then 'zz' else 'ok' end as tag from range(10) t(i)")
    yield con
    con.close()


def test_reflection_sees_the_connections_temporary_views(con):
    import sqlalchemy as sa

    from etl.run.gx_duckdb import sqlalchemy_engine

    inspector = sa.inspect(sqlalchemy_engine(con))
    assert inspector.has_table("staged_x")
    assert [c["name"] for c in inspector.get_columns("staged_x")] == ["id", "h", "tag"]


def test_reflection_is_one_describe_per_relation(con):
    """GX reflects each relation it validates; duckdb-engine's own reflection runs six
    pg_catalog queries for it, the adapter one DESCRIBE."""
    import sqlalchemy as sa

    from etl.run.gx_duckdb import import_gx, sqlalchemy_engine

    import_gx()
    engine = sqlalchemy_engine(con)
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, *_: statements.append(statement))
    inspector = sa.inspect(engine)
    columns = inspector.get_columns("staged_x")
    assert [(c["name"], type(c["type"]).__name__, c["nullable"]) for c in columns] == \
        [("id", "BIGINT", True), ("h", "String", True), ("tag", "String", True)]
    assert inspector.has_table("staged_x") and not inspector.has_table("no_such_relation")
    assert inspector.get_pk_constraint("staged_x")["constrained_columns"] == []
    assert statements == ['describe "staged_x"'] * 2 + ['describe "no_such_relation"']


def test_rows_outlive_the_connection_and_regex_runs_in_duckdb(con):
    """Metrics get their rows (no IndexError in resolve_metric_bundle); regex expectations
    compile to regexp_matches."""
    from etl.run.gx_duckdb import add_datasource, import_gx

    gx = import_gx()
    context = gx.get_context(mode="ephemeral")
    batch = add_datasource(context, con).add_table_asset("x", table_name="staged_x") \
        .add_batch_definition_whole_table("whole").get_batch()
    suite = gx.ExpectationSuite(name="x", expectations=[
        gx.expectations.ExpectTableRowCountToBeBetween(min_value=10, max_value=10),
        gx.expectations.ExpectColumnValuesToMatchRegex(column="h", regex="^[0-9a-f]{16}$"),
        gx.expectations.ExpectColumnValuesToMatchRegex(column="tag", regex="k"),
        gx.expectations.ExpectColumnValuesToNotMatchRegex(column="tag", regex="^z"),
    ])
    results = batch.validate(suite, result_format="SUMMARY").results
    assert [r.success for r in results] == [True, True, False, False]
    assert [r.result.get("partial_unexpected_list") for r in results[2:]] == [["zz"], ["zz"]]
    assert all(not r.exception_info.get("raised_exception") for r in results)


def test_gx_leaves_the_callers_connection_and_transaction_alone(con, tmp_path):
    """GX neither closes the connection nor commits or rolls back the caller's transaction."""
    from etl.run.validate import validate

    con.execute("create table kept (a int)")
    con.execute("begin transaction")
    con.execute("insert into kept values (1)")
    con.execute("create temp table staged_documents as select repeat('a', 64) as document_id, 'loaded' as status")
    outcomes = validate(con, _suites_dir(tmp_path), part="rows")
    assert outcomes and all(o.success for o in outcomes)
    assert con.execute("select count(*) from kept").fetchall() == [(1,)]  # not rolled back
    con.execute("rollback")  # still the caller's open transaction: it can roll it back
    assert con.execute("select count(*) from kept").fetchall() == [(0,)]
    assert con.execute("select 1").fetchall() == [(1,)]  # and still open


def _suites_dir(tmp_path):
    import json

    folder = tmp_path / "suites"
    folder.mkdir()
    (folder / "documents.json").write_text(json.dumps({"name": "documents", "expectations": [
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "document_id", "regex": "^a{64}$"}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "status", "value_set": ["loaded"]}},
    ]}))
    return folder


def test_scipy_stats_loads_only_for_an_expectation_that_uses_it(tmp_path):
    """Importing GX leaves scipy.stats deferred (etl/run/gx_duckdb.py DEFERRED: 0.8 CPU s and
    56 MB of every validating run); an expectation that needs it still works. In a fresh
    interpreter: what a process imported is the point. KL divergence of ids 0-9 (half in each
    bin) from the weights 0.9/0.1: 0.5 ln(0.5/0.9) + 0.5 ln(0.5/0.1) = 0.5108, over 0.1."""
    import json
    import subprocess
    import sys

    suite = {"expectations": [{"type": "expect_column_kl_divergence_to_be_less_than", "kwargs": {
        "column": "id", "partition_object": {"bins": [0, 5, 10], "weights": [0.9, 0.1]}, "threshold": 0.1}}]}
    (tmp_path / "x.json").write_text(json.dumps(suite), encoding="utf-8")
    script = (
        "import sys, duckdb\n"
        "from pathlib import Path\n"
        "from etl.run.validate import _gx, validate\n"
        "_gx()\n"
        "print(type(sys.modules['scipy.stats']).__name__)\n"
        "con = duckdb.connect()\n"
        "con.execute('create temp view staged_x as select i as id from range(10) t(i)')\n"
        "(r,) = validate(con, Path(sys.argv[1]))\n"
        "print(r.success, round(r.examples[0], 4), type(sys.modules['scipy.stats']).__name__)\n")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["_LazyModule", "False", "0.5108", "module"]
