"""Where the job's own files come from, and the run's defaults.

The SQL (`sql/`), the expectation suites (`expectations/`), the default reference lists and
the bundled sample (`data/`) sit at the top of the repository; the wheel carries them inside
the package, under `etl/_resources/` (pyproject.toml maps them at build time). `resource_dir`
is the one function that finds them, in an installed wheel and in a checkout alike. What a
user edits (their lists and suites) lives in their project folder instead: etl/core/project.py.
"""

from __future__ import annotations

import math
from functools import cache
from importlib import resources
from pathlib import Path

RESOURCES = ("sql", "expectations", "data")
PACKAGED = "_resources"  # inside the installed package
SAMPLE_NAME = "aletho-news-2020-01-09.txt"
DEFAULT_WAREHOUSE = Path("warehouse")
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_RETENTION_DAYS = 7.0  # keep snapshots (time travel, rollback) this many days


@cache
def resource_dir(name: str) -> Path:
    """The folder `name` (sql, expectations or data) the job reads: the installed package's
    copy, or, when the package runs from a checkout (an editable install, PYTHONPATH), the
    checkout's own folder."""
    if name not in RESOURCES:
        raise ValueError(f"no resource folder {name!r}")
    package = Path(str(resources.files("etl")))
    for folder in (package / PACKAGED / name, package.parent / name):
        if folder.is_dir():
            return folder
    raise FileNotFoundError(f"the package at {package} holds no {name}/ folder: reinstall aletho-etl")


def sql_dir() -> Path:
    return resource_dir("sql")


def default_expectations_dir() -> Path:
    """The suites the package ships (a project's own replace them: etl/core/project.py)."""
    return resource_dir("expectations")


def default_lists_dir() -> Path:
    """The reference lists the package ships (a project's own replace them: etl/core/project.py)."""
    return resource_dir("data")


def sample_input() -> Path:
    """The bundled sample dump, what `etl run` loads when given nothing else and no project."""
    return resource_dir("data") / "sample" / SAMPLE_NAME


def check_retention(days: float) -> float:
    """`days` if it is a retention: a finite number of days, 0 or more (ValueError otherwise)."""
    if not math.isfinite(days) or days < 0:
        raise ValueError(f"the retention must be a finite number of days, 0 or more (not {days})")
    return days
