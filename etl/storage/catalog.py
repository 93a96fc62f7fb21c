"""Where the lake's catalog lives, and where its Parquet files are.

The default is a SQLite file in the warehouse folder (`lake.sqlite`, the data under `data/`).
The other is a PostgreSQL database (`--catalog postgresql://user@host[:port]/db`, `ETL_CATALOG`
or the config's `catalog`), with the data on storage every host mounts (`--data-path`,
`ETL_DATA_PATH` or `data_path`; default `<warehouse>/data`). A warehouse folder whose lake is
in PostgreSQL names it in `catalog.json`, so that every command run there finds it.

A password never goes into the URL (refused): libpq takes it from PGPASSWORD, PGPASSFILE,
~/.pgpass or a service file, for DuckDB's postgres scanner and psycopg alike, so it reaches no
ATTACH string, error, log or `runs` row. `resolve` is the one place that decides which
catalog a warehouse uses.
"""

from __future__ import annotations

import json
import os
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

CATALOG_NAME = "lake.sqlite"
DATA_NAME = "data"
MARKER_NAME = "catalog.json"
CATALOG_ENV = "ETL_CATALOG"
DATA_PATH_ENV = "ETL_DATA_PATH"
# libpq keys a catalog URL may carry in its query string
URL_KEYS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "application_name",
            "service", "target_session_attrs")
LOCK_CLASS = 1634493812  # the first key of the writer's advisory lock ("alet")


class CatalogError(Exception):
    """The catalog named cannot be used: a malformed URL, one with a password, a server that
    refuses, or a warehouse folder that belongs to another catalog. The message names the
    catalog without any password."""


class LockLost(CatalogError):
    """The writer's advisory lock is gone (its PostgreSQL session ended): nothing committed."""


@dataclass(frozen=True)
class SqliteCatalog:
    """The lake's catalog as a SQLite file in the warehouse folder, the data beside it."""

    root: Path

    kind = "sqlite"
    in_folder = True  # the catalog is in the warehouse folder: readers there read published.duckdb

    @property
    def path(self) -> Path:
        return self.root / CATALOG_NAME

    @property
    def data_path(self) -> Path:
        """Where the folder is now: a copied or moved warehouse keeps working."""
        return self.root.resolve() / DATA_NAME

    @property
    def display(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        return self.path.exists()

    def attach_target(self) -> str:
        """What follows `ducklake:` in the ATTACH string."""
        return f"sqlite:{self.path.resolve()}"

    def extensions(self) -> list[Path]:
        """Extensions beyond DuckLake's and SQLite's (etl/storage/lake.py loads those)."""
        return []

    def check(self) -> None:
        """Nothing to check before attaching a file."""


    @contextmanager
    def writer_lock(self, wait: bool):
        """The SQLite catalog's lock is the folder's flock (etl/storage/warehouse.py)."""
        yield _Flocked()


@dataclass(frozen=True)
class PostgresCatalog:
    """The lake's catalog in a PostgreSQL database (DuckLake's ducklake_* tables in its public
    schema), the data files under `data` (the same files for every host, each its mount)."""

    url: str  # as given: no password in it (parse_url refuses one)
    data: Path

    kind = "postgresql"
    in_folder = False

    @property
    def data_path(self) -> Path:
        return self.data.resolve()

    @property
    def display(self) -> str:
        return self.url

    def libpq(self, **extra: str) -> str:
        """The libpq keyword string of the URL (the form DuckDB's postgres scanner takes)."""
        words = {**parse_url(self.url), **extra}
        return " ".join(f"{k}={_quote(v)}" for k, v in words.items())

    def attach_target(self) -> str:
        return f"postgres:{self.libpq()}"

    def extensions(self) -> list[Path]:
        """The postgres scanner of its pip package (already named postgres_scanner.duckdb_extension)."""
        try:
            import duckdb_extension_postgres_scanner as module
        except ImportError:
            raise CatalogError("a PostgreSQL catalog needs the postgres extra: "
                               "pip install 'aletho-etl[postgres]'") from None
        found = sorted(Path(module.__file__).parent.glob("extensions/*/postgres_scanner.duckdb_extension"))
        if not found:
            raise CatalogError(f"{module.__name__} holds no postgres_scanner.duckdb_extension")
        return [found[-1]]

    def connect(self, application_name: str = "aletho-etl"):
        """A psycopg connection (autocommit) to the catalog's database; CatalogError, naming
        the catalog and libpq's reason, if it cannot be opened."""
        try:
            import psycopg
        except ImportError:
            raise CatalogError("a PostgreSQL catalog needs the postgres extra: "
                               "pip install 'aletho-etl[postgres]'") from None
        words = parse_url(self.url)
        words.setdefault("connect_timeout", "10")
        words.setdefault("application_name", application_name)
        try:
            return psycopg.connect(" ".join(f"{k}={_quote(v)}" for k, v in words.items()), autocommit=True)
        except psycopg.Error as e:
            raise CatalogError(f"cannot open catalog {self.url}: {_reason(e)}") from None

    def exists(self) -> bool:
        with self.connect() as con:
            (found,), = con.execute("select to_regclass('public.ducklake_snapshot') is not null").fetchall()
        return bool(found)

    def check(self) -> None:
        """Open and close a session first: libpq's reason, in one line without the password
        (DuckDB's own attach error repeats the whole connection string)."""
        self.connect().close()

    @contextmanager
    def writer_lock(self, wait: bool):
        """Hold the catalog's writer lock: a session-level advisory lock, on a session of its
        own kept for the block (autocommit: idle between statements, no snapshot held). A
        second writer on any host gets CatalogBusy naming the holder (its application_name,
        which every role may read), or waits with `wait`."""
        con = self.connect(application_name="aletho-etl waiting for the writer lock")
        try:
            con.execute("set idle_session_timeout = 0")
            con.execute("set idle_in_transaction_session_timeout = 0")
            key = (LOCK_CLASS, "(hashtext(current_database()) & 2147483647)")
            if wait:
                con.execute(f"select pg_advisory_lock({key[0]}, {key[1]})")
            else:
                (got,), = con.execute(f"select pg_try_advisory_lock({key[0]}, {key[1]})").fetchall()
                if not got:
                    raise CatalogBusy(f"catalog {self.url} is in use by {self._holder(con) or 'another writer'}")
            yield _Held(self, con)
        finally:
            con.close()

    def _holder(self, con) -> str | None:
        found = con.execute(
            "select a.application_name from pg_locks l join pg_stat_activity a on a.pid = l.pid "
            "where l.locktype = 'advisory' and l.granted and l.classid = %s "
            "and l.objid = (hashtext(current_database()) & 2147483647)::oid and l.objsubid = 2 "
            "and l.database = (select oid from pg_database where datname = current_database())",
            [LOCK_CLASS]).fetchall()
        return found[0][0] if found else None


class CatalogBusy(CatalogError):
    """Another writer holds the catalog's advisory lock."""


class _Flocked:
    """The SQLite catalog's writer lock: the folder's flock, which lasts as long as the process."""

    def name_holder(self, run_id: str) -> None:
        """The flock's file names its holder (etl/storage/warehouse.py)."""

    def check(self) -> None:
        """A flock cannot be lost while its process lives."""


@dataclass
class _Held:
    """A held advisory lock, on its own session."""

    catalog: PostgresCatalog
    con: object

    def name_holder(self, run_id: str) -> None:
        """Name the session after the run, so that a second writer can say who holds the lock
        (PostgreSQL keeps 63 bytes of it)."""
        name = f"aletho-etl run {run_id} on {socket.gethostname()} pid {os.getpid()}"
        self.con.execute("select set_config('application_name', %s, false)", [name[:63]])

    def check(self) -> None:
        """LockLost unless the lock is still held (a PostgreSQL restart ends the session, and
        with it the lock, while DuckDB's own pooled sessions reconnect unseen)."""
        try:
            (held,), = self.con.execute(
                "select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid() "
                "and granted and classid = %s", [LOCK_CLASS]).fetchall()
        except Exception as e:
            held, why = 0, _reason(e)
        else:
            why = "the lock is no longer held"
        if not held:
            raise LockLost(f"lost the writer lock on catalog {self.catalog.url} ({why}; PostgreSQL restarted?): "
                           "nothing committed")


Catalog = SqliteCatalog | PostgresCatalog


def parse_url(url: str) -> dict[str, str]:
    """The libpq keywords of a `postgresql://user@host[:port]/db[?key=value]` URL (or
    `postgresql:///?service=name`). CatalogError for another scheme, or a password in it."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise CatalogError(f"catalog {url!r}: expected postgresql://user@host[:port]/database")
    if parts.password is not None:
        shown = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()
        raise CatalogError(f"catalog {shown}: the URL holds a password; put it in PGPASSWORD, PGPASSFILE or "
                           "~/.pgpass instead (it would show in errors and logs)")
    words: dict[str, str] = {}
    if parts.hostname:
        words["host"] = unquote(parts.hostname)
    if parts.port:
        words["port"] = str(parts.port)
    if parts.path.strip("/"):
        words["dbname"] = unquote(parts.path.strip("/"))
    if parts.username:
        words["user"] = unquote(parts.username)
    for key, value in parse_qsl(parts.query):
        if key not in URL_KEYS:
            raise CatalogError(f"catalog {url}: unknown key {key!r} (keys: {', '.join(URL_KEYS)})")
        words[key] = value
    return words


def _quote(value: str) -> str:
    if value and all(c not in value for c in " '\\"):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _reason(error: Exception) -> str:
    """libpq's reason in one line, whatever precedes it (a connection string, never given a
    password, but long)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()] or [type(error).__name__]
    text = lines[0]
    for line in lines[1:]:
        if line.startswith(("FATAL", "ERROR", "DETAIL")) or "failed" in line:
            text = line
    cut = text.rfind(" failed: ")
    return text[cut + len(" failed: "):] if cut >= 0 else text


def resolve(root: Path, url: str | None = None, data_path: Path | str | None = None) -> Catalog:
    """The catalog of the warehouse at `root`: `url` (else $ETL_CATALOG, else the folder's
    catalog.json, else its SQLite file); its data under `data_path` (else $ETL_DATA_PATH, else
    catalog.json's, else `<root>/data`). CatalogError if the folder belongs to another catalog."""
    root = Path(root)
    marker = read_marker(root)
    url = url or os.environ.get(CATALOG_ENV) or marker.get("catalog")
    if not url:
        return SqliteCatalog(root)
    data = data_path or os.environ.get(DATA_PATH_ENV) or marker.get("data_path") or root / DATA_NAME
    catalog = PostgresCatalog(url, Path(data))
    parse_url(url)
    if marker.get("catalog") not in (None, url):
        raise CatalogError(f"the warehouse folder {root} belongs to catalog {marker['catalog']}, not {url}: "
                           "give that catalog, or another folder")
    if (root / CATALOG_NAME).exists():
        raise CatalogError(f"the warehouse folder {root} holds a SQLite catalog (lake.sqlite): "
                           f"`etl catalog migrate --to {url} -w {root}` moves it into {url}; or give another folder")
    return catalog


def read_marker(root: Path) -> dict:
    try:
        found = json.loads((Path(root) / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def write_marker(root: Path, catalog: Catalog) -> None:
    """Name a PostgreSQL catalog in the warehouse folder (nothing for the SQLite one)."""
    if isinstance(catalog, SqliteCatalog) or read_marker(root) == _marker(catalog):
        return
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{MARKER_NAME}.tmp"
    tmp.write_text(json.dumps(_marker(catalog), indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, root / MARKER_NAME)


def _marker(catalog: PostgresCatalog) -> dict:
    return {"catalog": catalog.url, "data_path": str(catalog.data_path)}
