"""The BI clients that must open <warehouse>/published.duckdb, and how their rows are compared.

Each client runs as a subprocess, in an empty working folder of its own (as a BI tool would: a
view that reads files by a relative path fails there), opens the file READ-ONLY, selects every
`bi_*` view and `post_details` ordered by its grain, and prints JSON. The same is done with the
project's own duckdb (the reference); `differences` then compares the two value by value, after
`normal` has put each value in one form per DuckDB type (dates and timestamps as ISO strings,
integers as int, decimals and floats as rounded floats, lists element by element).

The clients live in .clients/ (git-ignored), put there by .ci/install-clients (`make clients`),
which also pins their versions: `pins()` reads them from that script.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest

from tests.test_bi import BI_VIEWS
from tests.utils import ROOT

CLIENTS_DIR = ROOT / ".clients"
INSTALL_SCRIPT = ROOT / ".ci" / "install-clients"
DUMP_PY = ROOT / "tests" / "clients" / "dump_duckdb_py.py"
DUMP_NODE = ROOT / "tests" / "clients" / "dump_node_api.mjs"
INSTALL_HINT = "run `make clients` (or .ci/install-clients) to install it into .clients/"
TIMEOUT = 180

# Every view a BI tool reads, with its grain: the ORDER BY of the dump and the key of a row in a diff.
VIEWS: dict[str, tuple[str, ...]] = {**BI_VIEWS, "post_details": ("post_id",)}

INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
                 "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
NUMBER_TYPES = {"DECIMAL", "DOUBLE", "FLOAT", "REAL"}
TIMESTAMP_TYPES = {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"}
DIGITS = 6  # floats and decimals are compared rounded to this many decimal places


class ClientError(Exception):
    """A client could not open the file or run its dump at all."""


def pins() -> dict[str, str]:
    """The client versions pinned in .ci/install-clients (`NAME=VALUE` lines)."""
    text = INSTALL_SCRIPT.read_text(encoding="utf-8")
    return dict(re.findall(r"^([A-Z_]+)=(\S+)", text, flags=re.MULTILINE))


def _env() -> dict[str, str]:
    """The environment of a client: no PYTHONPATH/PYTHONHOME that could hand it another duckdb."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


def _run(command: list[str], cwd: Path) -> str:
    result = subprocess.run(command, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=TIMEOUT)
    if result.returncode != 0:
        raise ClientError(f"{' '.join(map(str, command[:2]))} … exited {result.returncode}:\n"
                          f"{(result.stderr or result.stdout)[-3000:]}")
    return result.stdout


def _spec() -> str:
    return json.dumps({view: ", ".join(grain) for view, grain in VIEWS.items()})


@dataclass(frozen=True)
class Client:
    """One client: `requires` are the files that must exist, `version` the engine it must report."""

    name: str
    label: str
    version: str
    requires: tuple[Path, ...]

    def missing(self) -> list[str]:
        return [str(p) for p in self.requires if not p.exists()] + (
            ["node (on PATH)"] if self.name == "node-api" and not shutil.which("node") else [])

    def require(self) -> None:
        """Skip (locally) or fail (CI=true: CI installs every client) when the client is not installed."""
        missing = self.missing()
        if not missing:
            return
        message = f"{self.label} is not installed (missing {', '.join(missing)}): {INSTALL_HINT}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI installs it (.ci/run calls .ci/install-clients)", pytrace=False)
        pytest.skip(message)

    def dump(self, database: Path, cwd: Path) -> dict:
        """{"version": "v1.1.3", "views": {view: {"columns", "types", "rows"} or {"error"}}}."""
        database = database.absolute()
        if self.name == "cli":
            return dump_cli(self.requires[0], database, cwd)
        if self.name == "node-api":
            out = _run(["node", str(DUMP_NODE), str(CLIENTS_DIR / "node"), str(database), _spec()], cwd)
        else:
            out = _run([str(self.requires[0]), str(DUMP_PY), str(database), _spec()], cwd)
        return json.loads(out)


def clients() -> list[Client]:
    """The clients the docs promise open the BI file, as .ci/install-clients installs them."""
    p = pins()
    node_engine = p["NODE_API"].split("-")[0]  # 1.5.6-r.1: the package's 1st release of DuckDB 1.5.6
    return [
        Client("cli", f"the DuckDB CLI (pip duckdb-cli=={p['DUCKDB_CLI']})", f"v{p['DUCKDB_CLI']}",
               (CLIENTS_DIR / "duckdb-cli" / "bin" / "duckdb",)),
        Client("node-api", f"Node's @duckdb/node-api@{p['NODE_API']}", f"v{node_engine}",
               (CLIENTS_DIR / "node" / "node_modules" / "@duckdb" / "node-api" / "package.json",)),
        Client("duckdb-py-1.1", f"the DuckDB {p['DUCKDB_PY_OLD']} Python package", f"v{p['DUCKDB_PY_OLD']}",
               (CLIENTS_DIR / "duckdb-py-1.1" / "bin" / "python",)),
        Client("duckdb-py-1.0", f"the DuckDB {p['DUCKDB_PY_OLDEST']} Python package (the oldest the docs promise)",
               f"v{p['DUCKDB_PY_OLDEST']}", (CLIENTS_DIR / "duckdb-py-1.0" / "bin" / "python",)),
    ]


def dump_reference(database: Path, cwd: Path) -> dict:
    """The same dump with the project's own duckdb (this interpreter's)."""
    return json.loads(_run([sys.executable, str(DUMP_PY), str(database.absolute()), _spec()], cwd))


def dump_cli(duckdb: Path, database: Path, cwd: Path) -> dict:
    """The dump with the DuckDB CLI: `duckdb -readonly -json FILE -c SQL`, one query per call
    (the CLI prints one JSON array per query), the column types from `describe`."""

    def query(sql: str) -> list[dict]:
        out = _run([str(duckdb), "-no-init", "-readonly", "-json", str(database), "-c", sql], cwd)
        return json.loads(out) if out.strip() else []

    (version,) = query("select version() as v")
    views = {}
    for view, grain in VIEWS.items():
        try:
            described = query(f"describe select * from {view}")
            records = query(f"select * from {view} order by {', '.join(grain)}")
        except ClientError as e:
            views[view] = {"error": str(e)}
            continue
        columns = [d["column_name"] for d in described]
        views[view] = {"columns": columns, "types": [d["column_type"] for d in described],
                       "rows": [[r[c] for c in columns] for r in records]}
    return {"version": version["v"], "views": views}


def normal(type_: str, value):
    """One form per DuckDB type for a value as any client prints it in JSON (e.g. a HUGEINT is a
    number from Python and a string from Node, a timestamp `2020-01-07 10:00:00` or `…T10:00:00`)."""
    if value is None:
        return None
    if type_.endswith("[]"):
        return [normal(type_[:-2], v) for v in value]
    base = type_.split("(")[0]
    if base in INTEGER_TYPES:
        return int(value)
    if base in NUMBER_TYPES:
        return round(float(value), DIGITS)
    if base == "DATE":
        return date.fromisoformat(value).isoformat()
    if base in TIMESTAMP_TYPES:
        return datetime.fromisoformat(value).isoformat()
    if base == "BOOLEAN":
        assert isinstance(value, bool), (type_, value)
        return value
    if base == "VARCHAR":
        assert isinstance(value, str), (type_, value)
        return value
    raise ValueError(f"no comparison defined for type {type_} (value {value!r}): add it to tests/bi_clients.normal")


def normal_rows(view: dict) -> list[list]:
    return [[normal(t, v) for t, v in zip(view["types"], row, strict=True)] for row in view["rows"]]


def differences(expected: dict, got: dict, grain: tuple[str, ...], limit: int = 20) -> list[str]:
    """What differs between two dumps of one view, value by value, rows matched by their grain."""
    columns = expected["columns"]
    if got["columns"] != columns:
        return [f"columns differ: expected {columns}, got {got['columns']}"]
    keys = [columns.index(c) for c in grain]
    want = {tuple(r[i] for i in keys): r for r in normal_rows(expected)}
    have = {tuple(r[i] for i in keys): r for r in normal_rows(got)}
    out = []
    if len(expected["rows"]) != len(got["rows"]):
        out.append(f"{len(got['rows'])} rows, expected {len(expected['rows'])}")
    out += [f"row {k} missing" for k in want if k not in have]
    out += [f"row {k} not expected" for k in have if k not in want]
    for k, row in want.items():
        if k in have:
            out += [f"row {k} column {c}: expected {a!r}, got {b!r}"
                    for c, a, b in zip(columns, row, have[k], strict=True) if a != b]
    if not out and normal_rows(expected) != normal_rows(got):
        out.append(f"same rows in another order (ordered by {', '.join(grain)})")
    return out[:limit] + ([f"… and {len(out) - limit} more"] if len(out) > limit else [])
