from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.corpus import copy_warehouse, fingerprint, second_dump
from tests.pg import PASSWORD, PG_BIN, build_sample, start_server
from tests.utils import etl


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """A PostgreSQL server for the session (skipped without its binaries, unless CI is set).
    The tests' processes take its password from PGPASSWORD, as a user would."""
    folder = Path(tempfile.mkdtemp(prefix="etl-pg-"))  # not under pytest's folder, which `nobody` cannot enter
    server = start_server(folder)
    if server is None:
        pytest.skip(f"no PostgreSQL binaries in {PG_BIN} (apt-get install postgresql; .ci/run installs them)")
    os.environ["PGPASSWORD"] = PASSWORD
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def sample_warehouse(request, tmp_path_factory) -> Path:
    """A warehouse built once from the bundled sample by the real CLI. Read it only;
    tests that write get their own copy from `sample_warehouse_copy`. (A module that runs on
    both catalogs overrides it with `build_sample` for its `catalog`.)"""
    return build_sample("sqlite", request, tmp_path_factory)


@pytest.fixture
def sample_warehouse_copy(sample_warehouse, tmp_path) -> Path:
    return copy_warehouse(sample_warehouse, tmp_path / "warehouse")


@dataclass
class FailedRun:
    """The sample warehouse, then a run whose validation failed (exit 3): nothing published."""

    warehouse: Path
    dump: Path  # the run's one input, the sample a day later
    dump_before: tuple  # its fingerprint before the run
    result: subprocess.CompletedProcess
    run_id: str


@pytest.fixture(scope="session")
def failed_run(sample_warehouse, tmp_path_factory) -> FailedRun:
    """A copy of the sample warehouse after a run of the next day's dump with a staged value
    corrupted (ETL_CORRUPT: sources.name made null), so an expectation no single document
    explains fails. Read it only."""
    root = tmp_path_factory.mktemp("failed-run")
    wh = copy_warehouse(sample_warehouse, root / "warehouse")
    dump = second_dump(root / "dumps")
    before = fingerprint(dump)
    result = etl("run", "-w", wh, dump, env={"ETL_CORRUPT": "sources.name"})
    assert result.returncode == 3, result.stdout + result.stderr
    (run_id,) = re.findall(r"run (\S+): validation FAILED", result.stdout)
    return FailedRun(wh, dump, before, result, run_id)
