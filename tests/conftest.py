from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.utils import etl


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory) -> Path:
    """A warehouse built once from the bundled sample by the real CLI. Read it only;
    tests that write get their own copy from `sample_warehouse_copy`."""
    wh = tmp_path_factory.mktemp("sample") / "warehouse"
    result = etl("run", "--warehouse", wh)
    assert result.returncode == 0, result.stdout + result.stderr
    return wh


@pytest.fixture
def sample_warehouse_copy(sample_warehouse, tmp_path) -> Path:
    wh = tmp_path / "warehouse"
    shutil.copytree(sample_warehouse, wh, symlinks=True)
    return wh
