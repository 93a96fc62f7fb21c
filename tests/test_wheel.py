"""The job as users install it: a wheel in a fresh venv, run from an empty folder, with no path to
this checkout anywhere (no PYTHONPATH, the working folder outside the repository).

- the wheel's every command works: init, run (the sample and a few real pages or fixtures),
  report (every report listed, each run), schema, sql, dashboard, validation-report; a list and a
  suite edited in the project folder take effect;
- a Dask run whose scheduler and worker processes import the installed wheel;
- the previous release (0.1.0, tests/fixtures/releases/) builds a warehouse that this release
  opens and runs on, whose BI file the DuckDB CLI opens; and 0.1.0 on a warehouse this release
  wrote is refused, nothing changed.

Marked `slow`: two venvs, installed from PyPI's packages with uv.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from etl import __version__
from tests import bi_clients
from tests.cluster import cluster
from tests.utils import ROOT, SAMPLE

pytestmark = pytest.mark.slow

RELEASES = ROOT / "tests" / "fixtures" / "releases"
PREVIOUS = "0.1.0"
REAL_PAGES = ROOT.parent / "shared" / "data" / "real-pages"
FIXTURE_DUMPS = ROOT / "tests" / "fixtures" / "dumps"
PIP_TIMEOUT = 900
UV = Path(sys.executable).parent / "uv"  # a test dependency (pyproject.toml)


def _env() -> dict[str, str]:
    """A user's environment: nothing that points at this checkout or its venv."""
    drop = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "ETL_CONFIG")
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("PYTEST")}


def _check(command: list, cwd: Path, timeout: float = PIP_TIMEOUT) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in command], cwd=cwd, env=_env(), capture_output=True, text=True,
                            timeout=timeout)
    output = result.stdout[-3000:] + result.stderr[-3000:]
    assert result.returncode == 0, f"{command}: exit {result.returncode}\n{output}"
    return result


def _venv(folder: Path, *requirements: str | Path) -> Path:
    """A fresh venv in `folder` with `requirements` installed; returns its bin/ folder. uv
    makes the venv and installs (from PyPI, through its cache: seconds, where pip took 45 s a
    venv); the wheel installed is the same one pip would install."""
    _check([UV, "venv", "--quiet", "--python", sys.executable, folder], folder.parent)
    _check([UV, "pip", "install", "--quiet", "--python", folder / "bin" / "python", *requirements], folder.parent)
    return folder / "bin"


def _wheel(source: Path, out: Path) -> Path:
    _check([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", out, source], out.parent)
    (wheel,) = out.glob("*.whl")
    return wheel


class Etl:
    """The `etl` command of one venv, run in a working folder of its own."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir

    def __call__(self, *args, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bin / "etl"), *map(str, args)], cwd=cwd, env=_env(), capture_output=True,
                              text=True, timeout=timeout)

    def ok(self, *args, cwd: Path, codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        result = self(*args, cwd=cwd)
        assert result.returncode in codes, f"etl {args}: exit {result.returncode}\n{result.stdout}{result.stderr}"
        return result

    def rows(self, sql: str, cwd: Path, *args) -> list[dict]:
        return json.loads(self.ok("sql", sql, "--format", "json", *args, cwd=cwd).stdout)


@pytest.fixture(scope="module")
def new(tmp_path_factory) -> Etl:
    """This checkout's wheel, with the dask extra, in a fresh venv outside the repository."""
    root = tmp_path_factory.mktemp("wheel-new")
    wheel = _wheel(ROOT, root / "dist")
    etl = Etl(_venv(root / "venv", f"{wheel}[dask]"))
    where = _check([etl.bin / "python", "-c", "import etl; print(etl.__file__)"], root).stdout.strip()
    assert where.startswith(str(root / "venv")), where  # the installed wheel, not the checkout
    return etl


@pytest.fixture(scope="module")
def old(tmp_path_factory) -> Etl:
    """The previous release, 0.1.0, installed from its wheel. That release's wheel held only the
    package: it found sql/, expectations/ and data/ beside it (in site-packages), so they are put
    there, as its users had to."""
    root = tmp_path_factory.mktemp("wheel-old")
    with tarfile.open(RELEASES / f"aletho-etl-{PREVIOUS}.tar.gz") as tar:
        tar.extractall(root, filter="data")
    source = root / f"aletho-etl-{PREVIOUS}"
    etl = Etl(_venv(root / "venv", _wheel(source, root / "dist")))
    where = "import etl, pathlib; print(pathlib.Path(etl.__file__).parent.parent)"
    site = Path(_check([etl.bin / "python", "-c", where], root).stdout.strip())
    for name in ("sql", "expectations", "data"):
        shutil.copytree(source / name, site / name)
    assert etl.ok("--help", cwd=root).returncode == 0
    return etl


def _dumps(folder: Path) -> Path:
    """The sample and three real pages (three fixture dumps without ../shared)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE, folder)
    real = sorted(REAL_PAGES.glob("*.txt"))[:3] or sorted(FIXTURE_DUMPS.glob("listing-*.txt"))[:3]
    for page in real:
        shutil.copy(page, folder)
    return folder


def test_the_wheel_runs_every_command_from_an_empty_folder(new, tmp_path):
    assert new.ok("--version", cwd=tmp_path).stdout.strip() == f"aletho-etl {__version__}"
    project = tmp_path / "project"
    new.ok("init", project, cwd=tmp_path)
    assert sorted(p.name for p in (project / "lists").iterdir()) == sorted(p.name for p in (ROOT / "data").glob("*.*"))
    assert sorted(p.name for p in (project / "expectations").iterdir()) == sorted(
        p.name for p in (ROOT / "expectations").glob("*.json"))
    _dumps(project / "dumps")
    run = new.ok("run", cwd=project)
    assert "documents: 4 loaded, 0 skipped (seen before), 0 rejected" in run.stdout
    assert "warehouse: " + str(project / "warehouse") in run.stdout
    (posts,) = new.rows("select count(*) as n from posts", project)
    assert posts["n"] > 12  # the sample's 12 and the other pages'
    (run_row,) = new.rows("select etl_version, config_file, lists_sha256 is not null as lists from runs", project)
    assert run_row == {"etl_version": __version__, "config_file": str(project / "etl.toml"), "lists": True}

    listed = json.loads(new.ok("report", "--format", "json", cwd=project).stdout)
    assert sorted(r["report"] for r in listed) == sorted(p.stem for p in (ROOT / "sql" / "reports").glob("*.sql"))
    # (every report's SQL runs in tests/test_reports.py; here: that the packaged ones run)
    by_source = json.loads(new.ok("report", "posts_per_source", "--format", "json", cwd=project).stdout)
    assert 0 < sum(r["posts"] for r in by_source) <= posts["n"]
    months = json.loads(new.ok("report", "posts_per_period", "-p", "grain=month", "-f", "json", cwd=project).stdout)
    assert 0 < sum(r["posts"] for r in months) <= posts["n"]
    assert "etl_snapshot" in new.ok("schema", cwd=project).stdout
    assert new.ok("dashboard", cwd=project).stdout.startswith("wrote ")
    assert (project / "warehouse" / "dashboard.html").stat().st_size > 10_000
    new.ok("validation-report", cwd=project)
    assert list((project / "warehouse" / "logs").glob("*.html"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert new.rows("select count(*) as n from posts", elsewhere, "--config", project / "etl.toml") == [posts]


def test_a_list_and_a_suite_edited_in_the_project_take_effect(new, tmp_path):
    """The project's suite rejects documents with a category the lists do not know; adding the
    category to the project's list and retrying loads the document."""
    project = tmp_path / "project"
    new.ok("init", project, cwd=tmp_path)
    text = SAMPLE.read_text(encoding="utf-8").replace("Posted by | Militarism", "Posted by | Beekeeping", 1)
    (project / "dumps" / "bees.txt").write_text(text, encoding="utf-8")
    (project / "expectations" / "document_warnings.json").write_text(json.dumps({
        "name": "document_warnings", "meta": {"table": "document_warnings"},
        "expectations": [{"type": "expect_column_values_to_not_be_in_set",
                          "kwargs": {"column": "code", "value_set": ["unknown-category"]}, "meta": {}}],
    }), encoding="utf-8")
    first = new.ok("run", cwd=project, codes=(1,))
    assert "rejected " in first.stdout and "unknown-category" in first.stdout
    assert new.rows("select count(*) as n from posts", project) == [{"n": 0}]

    with (project / "lists" / "known_categories.txt").open("a", encoding="utf-8") as f:
        f.write("Beekeeping\n")
    assert "nothing new" in new.ok("run", cwd=project).stdout  # rejected documents wait for --retry-rejected
    retried = new.ok("run", "--retry-rejected", cwd=project)
    assert "documents: 1 loaded" in retried.stdout
    assert new.rows("select count(*) as n from post_details where list_contains(categories, 'Beekeeping')",
                    project) == [{"n": 1}]
    hashes = new.rows("select lists_sha256, suites_sha256 from runs order by started_at", project)
    assert len({h["lists_sha256"] for h in hashes}) == 2  # the list changed between the runs
    assert len({h["suites_sha256"] for h in hashes}) == 1


def test_dask_workers_run_the_installed_wheel(new, tmp_path):
    """A `dask scheduler` and `dask worker` of the wheel's venv, started in an empty folder: they
    import the installed package; the run on them loads the dumps."""
    dumps = _dumps(tmp_path / "dumps")
    (tmp_path / "cluster").mkdir()
    with cluster(tmp_path / "cluster", dask=new.bin / "dask", env=_env()) as c:
        c.worker("w1")
        c.worker("w2")
        c.wait_for_workers(2)
        probe = ("import sys; from distributed import Client; c = Client(sys.argv[1], timeout=30); "
                 "print(sorted(set(c.run(lambda: __import__('etl').__file__).values())))")
        where = _check([new.bin / "python", "-c", probe, c.address], tmp_path).stdout
        assert where.strip() == repr([str(Path(new.bin).parent / "lib" / f"python{sys.version_info.major}."
                                          f"{sys.version_info.minor}" / "site-packages" / "etl" / "__init__.py")])
        run = new.ok("run", dumps, "-w", tmp_path / "wh", "--scheduler", c.address, cwd=tmp_path)
    assert "documents: 4 loaded" in run.stdout
    assert f"cluster connected scheduler={c.address} workers=2" in run.stderr


def _state(wh: Path) -> tuple:
    """What a refused run must leave as it was: the published files and the data files."""
    data = sorted(str(p.relative_to(wh)) for p in (wh / "data").rglob("*") if p.is_file())
    return (wh / "published.duckdb").read_bytes(), (wh / "snapshot.json").read_bytes(), data


def test_a_warehouse_of_the_previous_release_upgrades_and_refuses_it_after(old, new, tmp_path):
    wh = tmp_path / "wh"
    first = old.ok("run", "-w", wh, cwd=tmp_path)
    assert "documents: 1 loaded" in first.stdout

    second = new.ok("run", _dumps(tmp_path / "dumps"), "-w", wh, cwd=tmp_path)
    assert "documents: 3 loaded, 1 skipped" in second.stdout
    assert "added column runs.etl_version" in second.stderr
    versions = new.rows("select etl_version from runs order by started_at", tmp_path, "-w", wh)
    assert versions == [{"etl_version": None}, {"etl_version": __version__}]

    before = _state(wh)
    refused = old("run", "-w", wh, SAMPLE, cwd=tmp_path)
    assert refused.returncode == 5, refused.stdout + refused.stderr
    errors = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "etl_version" in errors[0] and errors[0].endswith("nothing published")
    assert "Traceback" not in refused.stderr
    assert _state(wh) == before
    assert new.rows("select count(*) as n from runs", tmp_path, "-w", wh) == [{"n": 2}]

    cli = bi_clients.clients()[0]
    cli.require()
    dumped = bi_clients.dump_cli(cli.requires[0], wh / "published.duckdb", tmp_path)
    assert len(dumped["views"]["bi_runs"]["rows"]) == 2
    assert not [view for view, got in dumped["views"].items() if "error" in got]
