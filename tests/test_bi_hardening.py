"""docs/bi.md's "Hardening a BI server", as written there, on a warehouse `etl run` wrote.

The recipe's code (the settings, the Python lines, the DuckDB CLI line, the `superset_config.py`
hook with Superset's URI and engine parameters) is read from docs/bi.md, its paths pointed at
the test's warehouse, and run by tests/clients/probe_hardened.py (or the DuckDB CLI) as an
unprivileged user (`nobody`), as a BI server runs: every `bi_*` view must read, and reading
/etc/passwd, COPY anywhere, changing a setting, loading an extension or attaching a file must
fail, leaving every file of the warehouse as it was. Then the same as root on a read-only
mount, and, as a control, the connection without the settings (which reads /etc/passwd).
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from etl.storage.lake import _extensions
from tests.bi_clients import CLIENTS_DIR, INSTALL_HINT
from tests.test_bi import BI_VIEWS
from tests.utils import ROOT, doc_block, etl, rows

DOC = ROOT / "docs" / "bi.md"
DOC_ROOT = "/srv/aletho/warehouse"  # where docs/bi.md puts the warehouse
PROBE = ROOT / "tests" / "clients" / "probe_hardened.py"
CLI = CLIENTS_DIR / "duckdb-cli" / "bin" / "duckdb"
PYTHON, SUPERSET = "con = duckdb.connect(", '@event.listens_for(Engine, "connect")'  # the recipes' blocks


def recipe(lang: str, marker: str) -> str:
    return doc_block(DOC, lang, marker)


def test_the_recipe_gives_every_client_the_same_three_settings():
    settings = recipe("sql", "SET allowed_directories")
    statements = [s.strip() for s in settings.split(";") if s.strip()]
    assert statements == [f"SET allowed_directories = ['{DOC_ROOT}/data/']",
                          "SET enable_external_access = false", "SET lock_configuration = true"]
    python = recipe("python", PYTHON)
    assert all(f'con.execute("{s}")' in python for s in statements)
    superset = recipe("python", SUPERSET)
    assert all(s in superset for s in statements[1:]) and f'DATA = "{DOC_ROOT}/data/"' in superset


def nobody() -> tuple[int, int]:
    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


def _unprivileged_or_skip() -> None:
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        message = "switching to an unprivileged user needs root and setpriv"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def digests(wh: Path) -> dict[str, str]:
    return {str(p.relative_to(wh)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(wh.rglob("*")) if p.is_file() and p.name != ".lock"}


@pytest.fixture(scope="module")
def bi(tmp_path_factory) -> dict:
    """A warehouse in a folder every user can reach (pytest's own is root's only), written by
    `etl run` as root (the etl user); a folder the unprivileged user may write; what to probe."""
    base = Path(tempfile.mkdtemp(prefix="aletho-bi-", dir="/tmp"))
    base.chmod(0o755)
    wh = base / "warehouse"
    result = etl("run", "-w", wh)
    assert result.returncode == 0, result.stdout + result.stderr
    scratch = base / "scratch"  # the BI user's own: only the settings keep COPY out of it
    scratch.mkdir()
    if os.geteuid() == 0:
        os.chown(scratch, *nobody())
    data_file = json.loads((wh / "snapshot.json").read_text())["tables"]["posts"]["files"][0]
    probes = {f"view {v}": f"select count(*) from {v}" for v in BI_VIEWS} | {
        "read /etc/passwd": "select count(*) from read_text('/etc/passwd')",
        "list /root": "select count(*) from glob('/root/*')",
        "read the catalog": f"select count(*) from read_blob('{wh}/lake.sqlite')",
        "copy to /tmp": f"copy (select 1 as a) to '{base}-copy.csv'",
        "copy to its own folder": f"copy (select 1 as a) to '{scratch}/x.csv'",
        "copy into the data folder": f"copy (select 1 as a) to '{wh}/data/main/posts/new.parquet' (format parquet)",
        "copy over a data file": f"copy (select * from posts limit 0) to '{data_file}' (format parquet)",
        "replace the BI file by a copy": f"copy (select 1 as a) to '{wh}/published.duckdb'",
        "turn external access on": "set enable_external_access = true",
        "unlock the configuration": "set lock_configuration = false",
        "change a setting": "set threads = 1",
        "load an extension": f"load '{_extensions()[0]}'",
        "attach a file": f"attach '{scratch}/other.duckdb' as other",
    }
    counts = {f"view {v}": rows(wh, f"select count(*) from {v}")[0][0] for v in BI_VIEWS}
    yield {"base": base, "wh": wh, "scratch": scratch, "probes": probes, "counts": counts}
    shutil.rmtree(base, ignore_errors=True)
    Path(f"{base}-copy.csv").unlink(missing_ok=True)


def pointed(code: str, wh: Path) -> str:
    return code.replace(DOC_ROOT, str(wh))


def probe(bi: dict, mode: str, code: str, prefix: list[str]) -> dict[str, list]:
    """Run the probe with `code` (a recipe), under `prefix` (how to become the user)."""
    recipe_file = bi["base"] / f"recipe-{mode}.py"
    recipe_file.write_text(pointed(code, bi["wh"]))
    spec = {"probes": bi["probes"], "uri": pointed(recipe("", "duckdb:////").strip(), bi["wh"]),
            "engine": json.loads(recipe("json", "connect_args"))}
    done = subprocess.run([*prefix, sys.executable, str(PROBE), mode, str(recipe_file), json.dumps(spec)],
                          cwd=bi["scratch"], capture_output=True, text=True, timeout=300,
                          env={"PATH": os.environ["PATH"], "HOME": str(bi["scratch"])})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def as_nobody() -> list[str]:
    uid, gid = nobody()
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups"]


def assert_hardened(bi: dict, outcomes: dict[str, list], data_refusal: str) -> None:
    for label, (status, value) in outcomes.items():
        if label.startswith("view "):
            assert (status, value) == ("ok", [[bi["counts"][label]]]), label
            continue
        assert status == "error", f"{label} succeeded: {value}"
        if label.startswith(("turn", "unlock", "change")):
            assert "the configuration has been locked" in value, (label, value)
        elif label.startswith(("copy into", "copy over")):  # DuckDB allows data/: the OS refuses
            assert data_refusal in value, (label, value)
        else:
            assert "Permission Error" in value, (label, value)


@pytest.mark.parametrize("client", ["python", "superset"])
def test_the_recipe_confines_an_unprivileged_bi_user(bi, client):
    _unprivileged_or_skip()
    before = digests(bi["wh"])
    code = recipe("python", PYTHON) if client == "python" else \
        recipe("python", SUPERSET)
    outcomes = probe(bi, "python" if client == "python" else "sqlalchemy", code, as_nobody())
    assert_hardened(bi, outcomes, "Permission denied")
    assert digests(bi["wh"]) == before
    assert list(bi["scratch"].iterdir()) == [] and not Path(f"{bi['base']}-copy.csv").exists()


def test_the_cli_recipe_confines_an_unprivileged_bi_user(bi):
    _unprivileged_or_skip()
    if not CLI.exists():
        if os.environ.get("CI"):
            pytest.fail(f"the DuckDB CLI is missing: {INSTALL_HINT}")
        pytest.skip(f"the DuckDB CLI is missing: {INSTALL_HINT}")
    before = digests(bi["wh"])
    command = shlex.split(pointed(recipe("sh", "duckdb -readonly -cmd"), bi["wh"]))
    assert command[0] == "duckdb"
    outcomes = {}
    for label, statement in bi["probes"].items():
        done = subprocess.run([*as_nobody(), str(CLI), *command[1:], "-csv", "-noheader", "-c", statement],
                              cwd=bi["scratch"], capture_output=True, text=True, timeout=60,
                              env={"PATH": os.environ["PATH"], "HOME": str(bi["scratch"])})
        outcomes[label] = ["ok", [[int(done.stdout)]]] if done.returncode == 0 and done.stdout.strip().isdigit() \
            else ["ok" if done.returncode == 0 else "error", done.stdout + done.stderr]
    assert_hardened(bi, outcomes, "Permission denied")
    assert digests(bi["wh"]) == before
    assert list(bi["scratch"].iterdir()) == []


def test_the_recipe_on_a_read_only_mount_stops_even_root(bi):
    _unprivileged_or_skip()
    mount = subprocess.run(["unshare", "--mount", "sh", "-c", "mount --bind -o ro / /mnt"], capture_output=True)
    if mount.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail("CI must be able to make a read-only mount (unshare --mount, mount --bind -o ro)")
        pytest.skip("no read-only mount here (unshare --mount and mount --bind -o ro need root)")
    before = digests(bi["wh"])
    wh = bi["wh"]
    outcomes = probe(bi, "python", recipe("python", PYTHON),
                     ["unshare", "--mount", "sh", "-c", f'mount --bind -o ro "{wh}" "{wh}" && exec "$0" "$@"'])
    assert_hardened(bi, outcomes, "Read-only file system")
    assert digests(bi["wh"]) == before


def test_without_the_settings_the_same_user_reads_other_files(bi):
    """The control: opened read-only but without the three statements, the unprivileged user
    reads /etc/passwd and writes its own folder (what layer 1 of the recipe takes away)."""
    _unprivileged_or_skip()
    connect_only = recipe("python", PYTHON).splitlines()[0]
    assert connect_only.startswith("con = duckdb.connect(")
    outcomes = probe(bi, "python", connect_only, as_nobody())
    assert outcomes["read /etc/passwd"][0] == "ok" and outcomes["copy to its own folder"][0] == "ok"
    assert outcomes["copy over a data file"][0] == "error"  # layer 2: not the owner
    (bi["scratch"] / "x.csv").unlink()
