"""The project folder (etl/core/project.py): `etl init`, how commands find the config, what it
sets and what the command line overrides; versions: `etl --version`, and a warehouse that a
newer release wrote refused by this one, nothing changed."""

from __future__ import annotations

import json
import re

import pytest

from etl import __version__
from etl.core.project import CONFIG_NAME, ConfigError, find_config, load_config
from etl.core.reference import LIST_FILES
from tests.utils import ROOT, SAMPLE, etl, etl_here, etl_in, project_copy, rows


def _write(path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.quick
def test_version():
    result = etl_here("--version")
    assert result.returncode == 0 and result.stdout == f"aletho-etl {__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


@pytest.mark.quick
def test_init_writes_a_project_and_keeps_what_is_there(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "p" / "lists" / "known_categories.txt", "Mine\n")
    result = etl_here("init", "p")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in (tmp_path / "p" / "lists").iterdir()) == sorted(LIST_FILES)
    assert (tmp_path / "p" / "lists" / "known_categories.txt").read_text() == "Mine\n"  # kept
    assert (tmp_path / "p" / "expectations" / "posts.json").read_bytes() == (ROOT / "expectations" / "posts.json"
                                                                              ).read_bytes()
    assert (tmp_path / "p" / "dumps").is_dir()
    assert "kept 1 files already there" in result.stdout
    config = load_config(tmp_path / "p" / CONFIG_NAME)  # the commented template reads back
    assert config.warehouse == tmp_path / "p" / "warehouse"
    assert config.inputs == (tmp_path / "p" / "dumps",)
    assert (config.retention_days, config.jobs, config.scheduler, config.summary_json) == (7, None, None, None)
    assert config.lists_dir == tmp_path / "p" / "lists"
    again = etl_here("init", "p")
    assert again.returncode == 2 and "exists already" in again.stderr


@pytest.mark.quick
def test_the_config_is_found_upward_from_the_working_folder(tmp_path, monkeypatch):
    config = _write(tmp_path / "a" / CONFIG_NAME, 'warehouse = "wh"\n')
    below = tmp_path / "a" / "b" / "c"
    below.mkdir(parents=True)
    monkeypatch.delenv("ETL_CONFIG", raising=False)
    assert find_config(cwd=below) == config
    assert find_config(cwd=tmp_path) is None
    other = _write(tmp_path / "other.toml", "")
    monkeypatch.setenv("ETL_CONFIG", str(other))
    assert find_config(cwd=below) == other  # the environment before the folders
    assert find_config(config, cwd=below) == config  # --config before the environment
    monkeypatch.setenv("ETL_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match=r"ETL_CONFIG names .*missing\.toml, which is not a file"):
        find_config(cwd=below)


@pytest.mark.quick
@pytest.mark.parametrize(("text", "message"), [
    ("warehose = 'x'\n", "unknown key 'warehose'"),
    ("retention_days = -1\n", "retention_days = -1: the retention must be a finite number of days, 0 or more"),
    ("retention_days = inf\n", "the retention must be a finite number of days"),
    ("retention_days = '7'\n", "expected a number of days"),
    ("jobs = 'two'\n", "jobs = 'two': expected a whole number"),
    ("log_format = 'xml'\n", "expected one of text, json"),
    ("inputs = 'dumps'\n", "expected a list of paths"),
    ("lists = 'nowhere'\n", "is not a folder"),
    ("warehouse = \n", "cannot read"),
])
def test_a_bad_config_exits_2_naming_the_file_and_key(tmp_path, text, message):
    config = _write(tmp_path / CONFIG_NAME, text)
    result = etl_here("status", "--config", config)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {config}") or result.stderr.startswith(f"error: cannot read {config}")
    assert message in result.stderr


@pytest.mark.quick
def test_a_lists_folder_missing_a_list_is_refused(tmp_path):
    (tmp_path / "lists").mkdir()
    _write(tmp_path / "lists" / "known_categories.txt", "")
    config = _write(tmp_path / CONFIG_NAME, 'lists = "lists"\n')
    result = etl_here("status", "--config", config)
    assert result.returncode == 2 and "lacks known_sources.txt" in result.stderr


def test_the_config_sets_the_run_and_options_override_it(tmp_path):
    """The config's warehouse, inputs, summary file and log format, from a folder below it; then
    the same options on the command line win."""
    project = tmp_path / "project"
    etl("init", project, cwd=tmp_path)
    (project / "dumps" / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    text = (project / CONFIG_NAME).read_text(encoding="utf-8")
    text = text.replace('log_format = "text"', 'log_format = "json"').replace('summary_json = ""',
                                                                                'summary_json = "last-run.json"')
    (project / CONFIG_NAME).write_text(text, encoding="utf-8")
    below = project / "deep" / "er"
    below.mkdir(parents=True)
    result = etl("run", cwd=below)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stderr.splitlines()[0])["event"] == "run started"  # the config's log format
    summary = json.loads((project / "last-run.json").read_text(encoding="utf-8"))
    assert summary["warehouse"]["root"] == str(project / "warehouse")
    assert summary["documents"]["new"] == 1
    (made_by,) = rows(project / "warehouse", "select etl_version, config_file, config_sha256 from runs")
    assert made_by[:2] == (__version__, str(project / CONFIG_NAME))
    assert made_by[2] == __import__("hashlib").sha256((project / CONFIG_NAME).read_bytes()).hexdigest()

    other = tmp_path / "other-wh"
    result = etl("run", SAMPLE, "-w", other, "--log-format", "text", "--summary-json", tmp_path / "s.json", cwd=below)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.split()[1:3] == ["run", "started"]  # text, not JSON
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["warehouse"]["root"] == str(other)


def test_a_config_without_inputs_needs_paths(tmp_path):
    config = _write(tmp_path / CONFIG_NAME, 'warehouse = "wh"\n')
    result = etl("run", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: nothing to read: give dump files or folders, or set inputs in {config}"
    assert not (tmp_path / "wh").exists()


def test_no_config_keeps_the_defaults(tmp_path):
    """Without a config anywhere: ./warehouse, the bundled sample, the package's lists and suites."""
    result = etl("run", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "documents: 1 loaded" in result.stdout
    assert (tmp_path / "warehouse" / "published.duckdb").exists()
    (made_by,) = rows(tmp_path / "warehouse", "select config_file, lists_sha256, suites_sha256 from runs")
    from etl.core.project import provenance

    expected = provenance(None, ROOT / "data", ROOT / "expectations")
    assert made_by == (None, expected.lists_sha256, expected.suites_sha256)


def _published(wh):
    return (wh / "published.duckdb").read_bytes(), (wh / "snapshot.json").read_bytes(), sorted(
        p.name for p in (wh / "data").rglob("*.parquet"))


def test_a_warehouse_a_newer_release_wrote_is_refused(sample_warehouse_copy, tmp_path):
    """A run by release 9.0.0 (this project with its version changed), then this release: exit 5,
    one line naming both versions, nothing changed; rollback is refused the same way."""
    newer = project_copy(tmp_path / "newer")
    init = newer / "etl" / "__init__.py"
    init.write_text(re.sub(r'__version__ = ".*"', '__version__ = "9.0.0"', init.read_text()), encoding="utf-8")
    wh = sample_warehouse_copy
    ran = etl_in(newer, "run", "-w", wh, tmp_path / "none.txt")
    assert ran.returncode == 1, ran.stdout + ran.stderr  # the missing file is rejected; the run commits
    (run_id,) = rows(wh, "select run_id from runs where etl_version = '9.0.0'")[0]
    before = _published(wh)
    for args in (["run", "-w", wh], ["rollback", run_id, "-w", wh]):
        result = etl(*args)
        assert result.returncode == 5, result.stdout + result.stderr
        assert result.stderr.strip().splitlines()[-1] == (
            f"error: {wh} was written by aletho-etl 9.0.0, newer than this {__version__}: install 9.0.0 or later "
            "(pip install --upgrade aletho-etl); nothing changed")
        assert _published(wh) == before
    assert etl("sql", "-w", wh, "select count(*) from posts").returncode == 0  # reading is fine
