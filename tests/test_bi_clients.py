"""Real BI clients open <warehouse>/published.duckdb read-only and see the same rows.

The clients: the DuckDB CLI (pip duckdb-cli), Node's @duckdb/node-api (Evidence), the DuckDB 1.1
Python package (what Superset's duckdb-engine embeds) and DuckDB 1.0, the oldest engine the docs
promise. Each opens the file of a warehouse the real CLI built, selects
every bi_* view and post_details, and must return, value by value, the rows the project's own
duckdb returns from the same file: an older engine runs the views' SQL itself, and some functions
answer differently there (array_to_string of an empty list is NULL under 1.1).

The warehouse: the bundled sample, then (a second run) the test fixtures' dumps, which add the
edge cases the sample lacks (posts without a category, without a footer date, comments off).
The clients come from .clients/ (`make clients` or .ci/install-clients); without one its tests
are skipped, with the command to install it, but under CI=true a missing client fails.
"""

from __future__ import annotations

import pytest

from tests import bi_clients
from tests.bi_clients import VIEWS, Client, ClientError
from tests.utils import ROOT, etl, file_digest

CLIENTS = bi_clients.clients()
FIXTURE_DUMPS = ROOT / "tests" / "fixtures" / "dumps"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    wh = tmp_path_factory.mktemp("bi-clients") / "warehouse"
    for inputs in ([], [FIXTURE_DUMPS]):  # the sample first, then the fixtures on top of it
        result = etl("run", "--warehouse", wh, *inputs)
        assert result.returncode in (0, 1), result.stdout + result.stderr  # 1: some fixture rejected
    return wh


@pytest.fixture(scope="module")
def published(warehouse):
    return warehouse / "published.duckdb"


@pytest.fixture(scope="module")
def reference(published, tmp_path_factory) -> dict:
    """The rows as the project's own duckdb reads them from the file."""
    return bi_clients.dump_reference(published, tmp_path_factory.mktemp("reference-cwd"))


@pytest.fixture(scope="module")
def dumps(published, tmp_path_factory):
    """Each client's dump, made once (by the first test that asks) and kept: its dict, or its error."""
    done: dict[str, dict | ClientError] = {}

    def get(client: Client) -> dict:
        client.require()
        if client.name not in done:
            before = file_digest(published.resolve())
            try:
                done[client.name] = client.dump(published, tmp_path_factory.mktemp(f"{client.name}-cwd"))
            except ClientError as e:
                done[client.name] = e
            assert file_digest(published.resolve()) == before, f"{client.label} changed the file"
        if isinstance(done[client.name], ClientError):
            pytest.fail(f"{client.label} could not read {published}: {done[client.name]}", pytrace=False)
        return done[client.name]

    return get


def test_the_reference_is_the_projects_duckdb(reference, published):
    import duckdb
    assert reference["version"] == f"v{duckdb.__version__}"
    for view, dump in reference["views"].items():
        assert "error" not in dump, f"{view}: {dump.get('error')}"
        assert dump["rows"], f"{view} is empty: the comparison would prove nothing"


def test_the_warehouse_has_the_edge_cases(reference):
    """Without them the comparison could not catch a NULL-for-empty difference."""
    posts = reference["views"]["bi_posts"]
    rows = [dict(zip(posts["columns"], r, strict=True)) for r in posts["rows"]]
    assert any(r["category_count"] == 0 for r in rows)
    assert any(r["posted_date"] is None for r in rows)
    assert any(r["comment_count"] is None for r in rows)
    assert len(reference["views"]["bi_runs"]["rows"]) == 2


@pytest.mark.parametrize("client", CLIENTS, ids=lambda c: c.name)
def test_the_client_opens_the_file_read_only(client, dumps):
    dump = dumps(client)  # opened read-only; the file's bytes are checked unchanged
    assert dump["version"] == client.version, f"{client.label} runs DuckDB {dump['version']}"
    assert set(dump["views"]) == set(VIEWS)


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("client", CLIENTS, ids=lambda c: c.name)
def test_same_columns_and_types(client, view, dumps, reference):
    got, want = dumps(client)["views"][view], reference["views"][view]
    assert "error" not in got, f"{client.label} cannot select from {view}: {got.get('error')}"
    assert list(zip(got["columns"], got["types"], strict=True)) == list(
        zip(want["columns"], want["types"], strict=True))


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("client", CLIENTS, ids=lambda c: c.name)
def test_same_rows(client, view, dumps, reference):
    got, want = dumps(client)["views"][view], reference["views"][view]
    assert "error" not in got, f"{client.label} cannot select from {view}: {got.get('error')}"
    diff = bi_clients.differences(want, got, VIEWS[view])
    assert not diff, f"{client.label} reads other rows from {view}:\n" + "\n".join(diff)


def test_the_comparison_finds_real_differences_only():
    """No client needed: how `differences` judges two dumps of one view."""
    types = ["VARCHAR", "DATE", "TIMESTAMP", "DECIMAL(18,1)", "DOUBLE", "HUGEINT", "BOOLEAN", "VARCHAR[]"]
    base = {"columns": ["k", "d", "t", "dec", "f", "h", "b", "l"], "types": types,
            "rows": [["a", "2020-01-07", "2020-01-07T10:00:00.5", "427.5", 0.1 + 0.2, 3, True, ["x", "y"]],
                     ["b", None, None, None, None, None, None, []]]}

    def variant(row: int, column: int, value) -> dict:
        rows = [list(r) for r in base["rows"]]
        rows[row][column] = value
        return {**base, "rows": rows}

    # The same values as other clients print them: not a difference.
    same = {**base, "rows": [["a", "2020-01-07", "2020-01-07 10:00:00.500000", 427.5, 0.3, "3", True, ["x", "y"]],
                             base["rows"][1]]}
    assert bi_clients.differences(base, same, ("k",)) == []
    # NULL for an empty string, another list, a wrong date, a row missing: differences.
    assert bi_clients.differences(variant(1, 7, None), base, ("k",)) == [
        "row ('b',) column l: expected None, got []"]
    assert bi_clients.differences(base, variant(0, 7, ["y", "x"]), ("k",)) == [
        "row ('a',) column l: expected ['x', 'y'], got ['y', 'x']"]
    assert bi_clients.differences(base, variant(0, 1, "2020-01-08"), ("k",)) == [
        "row ('a',) column d: expected '2020-01-07', got '2020-01-08'"]
    assert bi_clients.differences(base, variant(0, 4, 0.31), ("k",)) == [
        "row ('a',) column f: expected 0.3, got 0.31"]
    assert bi_clients.differences(base, {**base, "rows": base["rows"][:1]}, ("k",)) == [
        "1 rows, expected 2", "row ('b',) missing"]
    assert bi_clients.differences(base, {**base, "rows": base["rows"][::-1]}, ("k",)) == [
        "same rows in another order (ordered by k)"]
    with pytest.raises(ValueError, match="no comparison defined for type INTERVAL"):
        bi_clients.normal("INTERVAL", "3 days")
