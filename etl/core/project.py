"""A project folder: what a user owns and edits, apart from the installed package.

    <project>/etl.toml          the config: warehouse, inputs, retention, jobs, ... (`etl init` writes it)
    <project>/lists/            the reference lists (copies of the package's defaults, to edit)
    <project>/expectations/     the Great Expectations suites (copies, to edit)
    <project>/dumps/            where the dumps go, unless the config names other inputs
    <project>/warehouse/        the warehouse, unless the config names another folder

Every command finds the config the way dbt finds dbt_project.yml: `--config FILE`, else the
ETL_CONFIG environment variable, else etl.toml in the current folder or the nearest parent
that has one. Options given on the command line (or through their own environment variables)
override it. With no config anywhere, the job's defaults hold: ./warehouse, the package's
lists and suites, the bundled sample.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from etl.core.reference import LIST_FILES, missing_lists
from etl.core.settings import (
    DEFAULT_MAX_BYTES,
    DEFAULT_RETENTION_DAYS,
    DEFAULT_WAREHOUSE,
    check_retention,
    default_expectations_dir,
    default_lists_dir,
)
from etl.core.summary import Provenance

CONFIG_NAME = "etl.toml"
CONFIG_ENV = "ETL_CONFIG"
LOG_FORMATS = ("text", "json")


class ConfigError(Exception):
    """A config that cannot be found or read, or holds a key or value the job does not take."""


@dataclass(frozen=True)
class Config:
    """The settings every command starts from: the config file's, or the defaults."""

    path: Path | None  # the etl.toml read; None: no config, the defaults
    warehouse: Path = DEFAULT_WAREHOUSE
    inputs: tuple[Path, ...] = ()  # none given: the bundled sample when there is no config
    retention_days: float = DEFAULT_RETENTION_DAYS
    jobs: int | None = None
    scheduler: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    log_format: str = "text"
    summary_json: Path | None = None
    lists: Path | None = None  # None: the package's lists
    expectations: Path | None = None  # None: the package's suites
    catalog: str | None = None  # a PostgreSQL catalog URL (no password); None: the SQLite one in the warehouse
    data_path: Path | None = None  # where the lake's Parquet files are; None: <warehouse>/data
    search_index: bool = True  # runs keep the search index; False: they skip it and drop one they find

    @property
    def lists_dir(self) -> Path:
        return self.lists or default_lists_dir()

    @property
    def expectations_dir(self) -> Path:
        return self.expectations or default_expectations_dir()


def find_config(explicit: Path | None = None, cwd: Path | None = None) -> Path | None:
    """The config file to read: `explicit`, else $ETL_CONFIG, else etl.toml in `cwd` (the
    current folder) or the nearest parent holding one; None when there is none."""
    named = explicit or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    if named is not None:
        if not named.is_file():
            source = "--config" if explicit else CONFIG_ENV
            raise ConfigError(f"{source} names {named}, which is not a file")
        return named
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder / CONFIG_NAME
    return None


def load_config(path: Path | None) -> Config:
    """The config in `path` (relative paths in it are relative to its folder), or the defaults."""
    if path is None:
        return Config(None)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read {path}: {e}") from None
    unknown = sorted(set(data) - set(_READERS))
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} (keys: {', '.join(_READERS)})")
    base = path.resolve().parent
    values = {}
    for key, value in data.items():
        try:
            values[key] = _READERS[key](value, base)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"{path}: {key} = {value!r}: {e}") from None
    config = Config(path.resolve(), **values)
    for folder, what in ((config.lists, "lists"), (config.expectations, "expectations")):
        if folder is not None and not folder.is_dir():
            raise ConfigError(f"{path}: {what} = {folder} is not a folder")
    if config.lists is not None and (missing := missing_lists(config.lists)):
        raise ConfigError(f"{path}: the lists folder {config.lists} lacks {', '.join(missing)} "
                          "(`etl init` writes every list)")
    return config


def _path(value, base: Path) -> Path:
    if not isinstance(value, str) or not value:
        raise TypeError("expected a path (a non-empty string)")
    return base / Path(value).expanduser()


def _optional_path(value, base: Path) -> Path | None:
    return _path(value, base) if value != "" else None


def _paths(value, base: Path) -> tuple[Path, ...]:
    if not isinstance(value, list):
        raise TypeError("expected a list of paths")
    return tuple(_path(v, base) for v in value)


def _retention_days(value, _base: Path) -> float:

    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("expected a number of days")
    return check_retention(float(value))


def _positive_int(value, _base: Path | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("expected a whole number, 1 or more")
    return value


def _jobs(value, base: Path) -> int | None:
    return None if value == 0 else _positive_int(value)


def _text(value, _base: Path) -> str | None:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value or None


def _bool(value, _base: Path) -> bool:
    if not isinstance(value, bool):
        raise TypeError("expected true or false")
    return value


def _log_format(value, _base: Path) -> str:
    if value not in LOG_FORMATS:
        raise ValueError(f"expected one of {', '.join(LOG_FORMATS)}")
    return value


_READERS = {
    "warehouse": _path,
    "inputs": _paths,
    "retention_days": _retention_days,
    "jobs": _jobs,
    "scheduler": _text,
    "max_bytes": _positive_int,
    "log_format": _log_format,
    "summary_json": _optional_path,
    "lists": _path,
    "expectations": _path,
    "catalog": _text,
    "data_path": _optional_path,
    "search_index": _bool,
}


def digest(files: list[Path]) -> str:
    """SHA-256 of files by name and content: what `runs` records of the lists and suites a run used."""
    h = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.name):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def provenance(config_file: Path | None, lists_dir: Path, expectations_dir: Path) -> Provenance:
    from etl import __version__

    config_sha = hashlib.sha256(config_file.read_bytes()).hexdigest() if config_file else None
    return Provenance(__version__, str(config_file) if config_file else None, config_sha,
                      digest([lists_dir / name for name in LIST_FILES]),
                      digest(sorted(expectations_dir.glob("*.json"))))


CONFIG_TEMPLATE = """\
# aletho-etl project config, written by `etl init`. Every command run in this folder (or
# below it) reads it; `--config FILE` or ETL_CONFIG=FILE name it from elsewhere. Options on
# the command line override it. Relative paths are relative to this file's folder.

# The warehouse folder: the DuckLake, the BI file (published.duckdb), snapshot.json, run logs.
warehouse = "warehouse"

# What `etl run` reads when given no paths: files, and folders (every *.txt below them).
inputs = ["dumps"]

# Keep snapshots (time travel, rollback) and the files only they use this many days.
retention_days = 7

# Processes that parse; 0 = one per core.
jobs = 0

# A Dask scheduler (tcp://HOST:PORT) to parse on a cluster; "" = parse on this machine.
scheduler = ""

# Files larger than this many bytes are rejected.
max_bytes = {max_bytes}

# The lake's catalog: "" = lake.sqlite in the warehouse folder; or a PostgreSQL database,
# "postgresql://user@host:5432/db" (the password from PGPASSWORD or ~/.pgpass, never here).
catalog = ""

# Where the lake's Parquet files are ("" = <warehouse>/data): with a PostgreSQL catalog, a
# folder every host mounts.
data_path = ""

# Keep the full-text search index (`etl search`, the search() macro) with every run; it is
# most of a large first build's time. false: runs skip it and drop an index they find
# (earlier snapshots keep theirs); true again: the next run builds it over every post.
search_index = true

# Log lines on stderr: "text" or "json" (one JSON object per line).
log_format = "text"

# Also write each run's summary as JSON to this file; "" = only <warehouse>/logs/<run_id>.json.
summary_json = ""

# The reference lists the extractor reads (known categories, sources, aliases, site headers, ...):
# edit them here; a change applies to the next run (`etl run --retry-rejected` reads rejected
# documents again).
lists = "lists"

# The Great Expectations suites, one <table>.json per table.
expectations = "expectations"
"""


@dataclass(frozen=True)
class Initialized:
    config: Path
    written: list[Path]
    kept: list[Path]  # files already there, left as they were


def init(folder: Path) -> Initialized:
    """Write a project into `folder`: etl.toml, editable copies of the lists and suites, and an
    empty dumps/ folder. A file already there is kept; an existing etl.toml is an error."""
    config = folder / CONFIG_NAME
    if config.exists():
        raise ConfigError(f"{config} exists already: edit it, or init another folder")
    written: list[Path] = []
    kept: list[Path] = []
    copies = [(default_lists_dir() / n, folder / "lists" / n) for n in LIST_FILES]
    copies += [(p, folder / "expectations" / p.name) for p in sorted(default_expectations_dir().glob("*.json"))]
    for source, target in copies:
        if target.exists():
            kept.append(target)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    (folder / "dumps").mkdir(parents=True, exist_ok=True)
    config.write_text(CONFIG_TEMPLATE.format(max_bytes=DEFAULT_MAX_BYTES), encoding="utf-8")
    return Initialized(config, [config, *written], kept)
