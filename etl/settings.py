"""Where the project's files live, and the run's defaults. The reference lists in data/
are read by etl/reference.py."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
SQL_DIR = ROOT / "sql"
EXPECTATIONS_DIR = ROOT / "expectations"
SAMPLE_INPUT = DATA_DIR / "sample" / "aletho-news-2020-01-09.txt"
DEFAULT_WAREHOUSE = Path("warehouse")
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
