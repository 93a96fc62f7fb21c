"""A real PostgreSQL for the tests of the PostgreSQL catalog: initdb + pg_ctl in a temporary
folder, TCP on 127.0.0.1 only (a free port), a password for TCP (scram-sha-256), trust on its
own Unix socket for the tests' own psql. As `nobody` (setpriv) when the tests run as root:
postgres refuses root. Without the binaries the tests skip, unless CI is set (then they fail):
.ci/run installs them from Debian."""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("ETL_PG_BIN", "/usr/lib/postgresql/15/bin"))
USER = "etl"
PASSWORD = "s3cret-" + secrets.token_hex(4)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "pgdata"
        self.port = free_port()
        self.log = folder / "postgres.log"
        self.as_user = (["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
                        if os.geteuid() == 0 else [])

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self.as_user, *args], capture_output=True, text=True, check=check,
                              env={**os.environ, "HOME": str(self.folder), "LC_ALL": "C.UTF-8"})

    def init(self) -> PgServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        pwfile = self.folder / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self.as_user:
            shutil.chown(self.folder, "nobody", "nogroup")
            shutil.chown(pwfile, "nobody", "nogroup")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", USER, f"--pwfile={pwfile}",
                  "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8")
        pwfile.unlink()
        return self

    def start(self) -> None:
        opts = (f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.folder} "
                "-c max_connections=100 -c fsync=off")
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-o", opts, "start")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-t", "120", "-w", "stop",
                      check=False)

    def restart(self) -> None:
        self.stop()
        self.start()

    def psql(self, sql: str, db: str = "postgres") -> str:
        out = self._run(str(PG_BIN / "psql"), "-h", str(self.folder), "-p", str(self.port), "-U", USER,
                        "-d", db, "-v", "ON_ERROR_STOP=1", "-Atc", sql)
        return out.stdout.strip()

    def new_database(self) -> str:
        """A new empty database; its catalog URL (no password: the tests set PGPASSWORD)."""
        name = "lake_" + secrets.token_hex(4)
        self.psql(f"create database {name}")
        return self.url(name)

    def url(self, db: str, user: str = USER) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{db}"


def start_server(folder: Path) -> PgServer | None:
    """A started server, or None (skip) where the binaries are absent and CI is unset."""
    if not (PG_BIN / "initdb").exists():
        message = f"no PostgreSQL binaries in {PG_BIN} (apt-get install postgresql; .ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        return None
    server = PgServer(folder).init()
    server.start()
    atexit.register(server.stop, "immediate")  # if the session's teardown never ran (a killed worker)
    return server


def use_postgres(wh: Path, server: PgServer) -> str:
    """Make `wh` a warehouse whose catalog is a new database of `server` (the data under
    `wh/data`): its catalog.json names it, so every `etl` command on `-w wh` uses it."""
    from etl.storage.catalog import PostgresCatalog, write_marker

    url = server.new_database()
    write_marker(wh, PostgresCatalog(url, wh / "data"))
    return url


def copy_catalog(url: str) -> str:
    """A new database made from the one `url` names (CREATE DATABASE … TEMPLATE), its URL."""
    import time

    import psycopg

    base, _, db = url.rpartition("/")
    copy = "lake_" + secrets.token_hex(4)
    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(f"{base}/postgres", autocommit=True) as con:
                con.execute(f'create database "{copy}" template "{db}"')
            return f"{base}/{copy}"
        except psycopg.errors.ObjectInUse:  # a process that read it has not hung up yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# The lake's catalogs a test module runs on when it overrides a fixture with `params=CATALOGS`:
# the SQLite file in the folder, and a database of a real PostgreSQL (the `pg_server` fixture).
CATALOGS = ("sqlite", "postgresql")


def new_warehouse(catalog: str, wh: Path, request) -> Path:
    """The folder `wh` for a new warehouse whose catalog is `catalog`: a new PostgreSQL
    database (named in its catalog.json) for "postgresql"; the folder's own file otherwise."""
    if catalog == "postgresql":
        use_postgres(wh, request.getfixturevalue("pg_server"))
    return wh


def build_sample(catalog: str, request, tmp_path_factory) -> Path:
    """A warehouse of the bundled sample, built by the real CLI, on `catalog`."""
    from tests.utils import etl

    wh = new_warehouse(catalog, tmp_path_factory.mktemp("sample") / "warehouse", request)
    result = etl("run", "--warehouse", wh)
    assert result.returncode == 0, result.stdout + result.stderr
    return wh
