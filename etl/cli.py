"""The `etl` command: options, exit codes and output; etl/run/pipeline.py wires the stages of a run.

Heavy packages (great_expectations, duckdb, pyarrow) are imported inside the commands
that use them, so `etl --help` stays instant.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from etl.core.project import Config
    from etl.core.summary import RunSummary

app = typer.Typer(
    help="Blog dumps → normalized tables → Great Expectations → Parquet + DuckDB → reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Warehouse = Annotated[Path | None, typer.Option(
    "--warehouse", "-w", help="Warehouse folder. Default: the project config's, else ./warehouse.")]
CatalogUrl = Annotated[str | None, typer.Option(
    "--catalog", envvar="ETL_CATALOG", show_envvar=True,
    help="The lake's catalog: postgresql://user@host[:port]/db (password from PGPASSWORD or ~/.pgpass). "
         "Default: the config's, else the warehouse folder's own (lake.sqlite).")]
DataPath = Annotated[Path | None, typer.Option(
    "--data-path", envvar="ETL_DATA_PATH", show_envvar=True,
    help="Where the lake's Parquet files are (with --catalog: storage every host mounts). "
         "Default: the config's, else <warehouse>/data.")]
ConfigFile = Annotated[Path | None, typer.Option(
    "--config", help="The project config (etl.toml). Default: $ETL_CONFIG, else etl.toml in this "
                     "folder or the nearest parent; none: the defaults.")]


def _version(show: bool) -> None:
    if show:
        from etl import __version__

        typer.echo(f"aletho-etl {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False) -> None:
    """Blog dumps → normalized tables → Great Expectations → Parquet + DuckDB → reports."""


def _config(path: Path | None) -> Config:
    """The project config the command runs with (etl/core/project.py), or exit 2 naming what is wrong."""
    from etl.core.project import ConfigError, find_config, load_config

    try:
        return load_config(find_config(path))
    except ConfigError as e:
        raise _fail(str(e)) from None


def _warehouse(warehouse: Path | None, config: Path | None) -> Path:
    return warehouse or _config(config).warehouse


def _store(warehouse: Path | None, config: Path | None, catalog: str | None, data_path: Path | None):
    """The warehouse the command works on (etl/storage/warehouse.py), its catalog and data path
    from the options, else the config, else the folder's own; exit 2 naming a bad catalog."""
    from etl.storage.catalog import CatalogError
    from etl.storage.warehouse import Warehouse

    cfg = _config(config)
    try:
        return Warehouse.named(warehouse or cfg.warehouse, catalog or cfg.catalog, data_path or cfg.data_path)
    except CatalogError as e:
        raise _fail(str(e)) from None


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


class LogFormat(StrEnum):
    text = "text"
    json = "json"


def _logger(fmt: LogFormat):
    def log(event: str, **fields) -> None:
        if fmt is LogFormat.json:
            record = {"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "event": event, **fields}
            print(json.dumps(record, default=str), file=sys.stderr, flush=True)
        else:
            details = " ".join(f"{k}={v}" for k, v in fields.items())
            print(f"{time.strftime('%H:%M:%S')} {event} {details}".rstrip(), file=sys.stderr, flush=True)

    return log


def _progress(fmt: LogFormat):
    """A progress bar on an interactive terminal only: never in logs, pipes or CI."""
    if fmt is not LogFormat.text or not sys.stderr.isatty() or os.environ.get("CI"):
        return None
    from rich.progress import track

    return lambda items, total: track(items, total=total, description="reading", transient=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _retention(days: float | None) -> float | None:
    """--retention-days as etl/storage/maintain.py accepts it (exit 2 otherwise)."""
    from etl.core.settings import check_retention

    try:
        return None if days is None else check_retention(days)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


@app.command()
def init(folder: Annotated[Path, typer.Argument(help="The project folder (created if missing).")] = Path(".")) -> None:
    """Make a project folder: etl.toml (commented), editable copies of the reference lists and
    the expectation suites, and dumps/ for the input. Files already there are kept."""
    from etl.core.project import ConfigError
    from etl.core.project import init as init_project

    try:
        done = init_project(folder)
    except ConfigError as e:
        raise _fail(str(e)) from None
    typer.echo(f"wrote {done.config} and {len(done.written) - 1} lists and suites"
               + (f" (kept {len(done.kept)} files already there)" if done.kept else ""))
    typer.echo(f"next: put dumps in {folder / 'dumps'}, then `etl run` in {folder}")


@app.command()
def run(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Dump files or folders (every *.txt below). Default: the config's inputs; "
                            "with no config, the bundled sample."),
    ] = None,
    warehouse: Warehouse = None,
    config: ConfigFile = None,
    catalog: CatalogUrl = None,
    data_path: DataPath = None,
    full_refresh: Annotated[bool, typer.Option(help="Rebuild the warehouse from the given inputs only.")] = False,
    retry_rejected: Annotated[bool, typer.Option(help="Read again documents an earlier run rejected.")] = False,
    wait: Annotated[bool, typer.Option(help="Wait for a running writer instead of exiting with 4.")] = False,
    max_bytes: Annotated[int | None, typer.Option(
        min=1, help="Reject files larger than this. Default: the config's, else 50 MiB.")] = None,
    log_format: Annotated[LogFormat | None, typer.Option(help="Log lines on stderr as text or JSON.")] = None,
    summary_json: Annotated[Path | None, typer.Option(help="Write the run summary as JSON here.")] = None,
    jobs: Annotated[int | None, typer.Option(min=1, help="Processes that parse. Default: one per core.")] = None,
    retention_days: Annotated[float | None, typer.Option(
        envvar="ETL_RETENTION_DAYS", callback=_retention, metavar="DAYS",
        help="Keep snapshots (time travel, rollback) and the files only they use this many days "
             "(a finite number, 0 or more). Default: the config's, else 7.")] = None,
    scheduler: Annotated[str | None, typer.Option(
        envvar="ETL_DASK_SCHEDULER", show_envvar=True,
        help="Parse on this Dask cluster (tcp://HOST:PORT); validation and the merge stay here.")] = None,
    search_index: Annotated[bool | None, typer.Option(
        "--search-index/--no-search-index", show_default=False,
        help="Keep the search index with this run (the default: the config's, else on); off, the run "
             "skips it and drops an index it finds.")] = None,
) -> None:
    """Load dumps into the warehouse. Exit 0: all loaded; 1: some documents rejected;
    3: validation failed, nothing published; 4: the warehouse is in use; 5: internal error,
    nothing published (unless the message says the run committed); 6: the run committed but
    could not publish (readers keep the previous run; the next run publishes)."""
    from etl.core.settings import sample_input

    cfg = _config(config)
    inputs = paths or list(cfg.inputs) or ([sample_input()] if cfg.path is None else [])
    if not inputs:
        raise _fail(f"nothing to read: give dump files or folders, or set inputs in {cfg.path}")
    fmt = log_format or LogFormat(cfg.log_format)
    log = _logger(fmt)
    result = _run_or_exit(
        inputs, _store(warehouse, config, catalog, data_path), full_refresh=full_refresh, retry_rejected=retry_rejected,
        wait=wait, max_bytes=max_bytes or cfg.max_bytes, log=log, progress=_progress(fmt),
        jobs=jobs or cfg.jobs, retention_days=cfg.retention_days if retention_days is None else retention_days,
        scheduler=scheduler or cfg.scheduler, config_file=cfg.path, lists_dir=cfg.lists_dir,
        expectations_dir=cfg.expectations_dir, search_index=cfg.search_index if search_index is None else search_index,
    )
    summary_json = summary_json or cfg.summary_json
    if summary_json:
        summary_json.write_text(json.dumps(result.summary.to_dict(), indent=2, default=str) + "\n", encoding="utf-8")
    typer.echo(_summary_text(result.summary))
    raise typer.Exit(result.exit_code)


def _run_or_exit(*args, log, **kwargs):
    """pipeline.run, its failures turned into one `error:` line and the documented exit code."""
    import traceback

    from etl.run.executors import ClusterError
    from etl.run.pipeline import EXIT_BUSY, EXIT_ERROR, AfterCommit
    from etl.run.pipeline import run as run_pipeline
    from etl.storage.catalog import CatalogError
    from etl.storage.lake import NewerRelease, SchemaConflict
    from etl.storage.warehouse import LegacyWarehouse, WarehouseBusy

    try:
        return run_pipeline(*args, log=log, **kwargs)
    except WarehouseBusy as busy:
        log("warehouse busy", error=str(busy), exit_code=EXIT_BUSY)
        raise _fail(str(busy), EXIT_BUSY) from None
    except (LegacyWarehouse, SchemaConflict) as refused:
        log("warehouse refused", error=str(refused), exit_code=EXIT_ERROR)
        raise _fail(f"{refused}; nothing published", EXIT_ERROR) from None
    except NewerRelease as refused:
        log("warehouse refused", error=str(refused), exit_code=EXIT_ERROR)
        raise _fail(f"{refused}; nothing changed", EXIT_ERROR) from None
    except AfterCommit as e:  # a bug after the commit: the data is in, publishing may not be
        log("run crashed", error=str(e), exit_code=EXIT_ERROR, committed=True, traceback=traceback.format_exc())
        raise _fail(f"internal error after run {e.run_id} committed (its data is in the warehouse; `etl status` "
                    f"shows whether it is published, the next run publishes it): {e}", EXIT_ERROR) from None
    except CatalogError as e:  # the catalog cannot be opened, or the writer lock was lost: no password in it
        log("catalog failed", error=str(e), exit_code=EXIT_ERROR)
        raise _fail(f"{e}; nothing published" if "nothing committed" not in str(e) else str(e), EXIT_ERROR) from None
    except ClusterError as e:  # the cluster, not the input: say which scheduler and what happened
        log("cluster failed", scheduler=e.scheduler, error=str(e), exit_code=EXIT_ERROR)
        raise _fail(f"{e}; nothing published", EXIT_ERROR) from None
    except Exception as e:  # a bug or a broken environment: say so apart from rejected input
        log("run crashed", error=f"{type(e).__name__}: {e}", exit_code=EXIT_ERROR,
            traceback=traceback.format_exc())
        raise _fail(f"internal error, nothing published: {type(e).__name__}: {e}", EXIT_ERROR) from None


def _summary_text(s: RunSummary) -> str:
    v = s.validation
    if not s.published:
        lines = [f"run {s.run_id}: validation FAILED, nothing published (exit 3)"]
        for f in v.failures:
            where = f"{f.table}.{f.column}" if f.column else f.table
            lines.append(f"  {f.expectation} on {where}: {f.unexpected_count} rows, e.g. {f.examples}")
        return "\n".join([*lines, f"log: {s.log}"])
    d, p, w = s.documents, s.posts, s.warehouse
    lines = [
        f"run {s.run_id}: {s.status} (exit {s.exit_code})",
        f"documents: {d.new} loaded, {d.skipped} skipped (seen before), {d.rejected} rejected",
        f"posts: {p.in_new_documents} in new documents ({p.new} new, {p.updated} completed)",
        f"validation: {v.status} ({v.evaluated} expectations, {v.failed} failed)",
    ]
    lines += [f"  rejected {r.path}: {r.reason}" for r in s.rejected]
    lines.append("tables: " + ", ".join(f"{t} {n}" for t, n in s.table_rows.items()))
    assert w is not None
    lines.append(f"warehouse: {w.root} (BI tools: {w.published}, read-only; Parquet files: {w.manifest})")
    if s.publish_error:
        lines[0] = f"run {s.run_id}: {s.status}, committed but NOT published (exit {s.exit_code})"
        lines.append(f"not published: {s.publish_error}")
        lines.append("the run's data is committed; readers keep the previous snapshot until a run publishes "
                     "(the next `etl run` tries first; `etl status` shows the state)")
    if d.new == 0 and d.rejected == 0:
        lines.append("nothing new: the warehouse is unchanged")
    return "\n".join(lines)


@contextlib.contextmanager
def _reader(warehouse, as_of: str | None = None, failed: str = ""):
    """The warehouse opened for reading, confined and read statements only
    (etl/storage/readers.py). Failing to open it, a refused statement or a failed one: one
    `error:` line (after `failed`), exit 1."""
    import duckdb

    from etl.storage.catalog import CatalogError
    from etl.storage.history import UnknownRun
    from etl.storage.readers import NotARead, Unreadable, open_reader
    from etl.storage.warehouse import NoWarehouse

    if as_of is not None and not as_of.strip():
        raise _fail("--as-of needs a run id (`etl report run_history` lists them)")
    try:
        with open_reader(warehouse, as_of) as con:
            yield con
    except (NoWarehouse, UnknownRun, Unreadable, NotARead, CatalogError) as e:
        raise _fail(f"{failed}{e}", 1) from None
    except duckdb.Error as e:
        raise _fail(f"{failed}{str(e).splitlines()[0]}", 1) from None


def _output(output: Path | None) -> Path | None:
    """--output as given, refused (exit 2) where it names a file a warehouse writes itself."""
    from etl.storage.warehouse import own_file

    owned = own_file(output) if output else None
    if owned:
        raise _fail(f"--output {output} is {owned[1]} of the warehouse {owned[0]}, which only `etl` "
                    "writes: give another path")
    return output


@app.command("sql")
def sql_command(
    query: Annotated[str, typer.Argument(help="A SQL query.")],
    warehouse: Warehouse = None,
    config: ConfigFile = None,
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="A run id: query the warehouse as that run left it (time travel).")] = None,
    catalog: CatalogUrl = None,
    data_path: DataPath = None,
) -> None:
    """Run a query on the published warehouse (or, with --as-of, on an earlier run's snapshot).
    Read statements only (exit 1 for any other); the query reads no file outside the warehouse's data."""
    wh = _store(warehouse, config, catalog, data_path)
    from etl.present.report import query as run_query
    from etl.present.report import render

    with _reader(wh, as_of) as con:
        columns, rows = run_query(con, query)
    typer.echo(render(columns, rows, format.value))


@app.command()
def search(
    query: Annotated[list[str], typer.Argument(
        help='Words (all required), "a phrase", -excluded, a OR b; one argument or several. A query that '
             'starts with -word goes after --.', show_default=False)],
    warehouse: Warehouse = None,
    config: ConfigFile = None,
    source: Annotated[str | None, typer.Option(help="Only this source (case ignored; % is a wildcard).")] = None,
    author: Annotated[str | None, typer.Option(help="Only this author (case ignored; % is a wildcard).")] = None,
    category: Annotated[str | None, typer.Option(help="Only posts in this category (case ignored).")] = None,
    since: Annotated[str | None, typer.Option(help="Only posts dated on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Only posts dated on or before YYYY-MM-DD.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many results.")] = 10,
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="A run id: search the warehouse as that run left it.")] = None,
) -> None:
    """Search the posts: ranked by BM25 over title and body (the title counts more); case,
    accents and word endings ignored (sanctions finds sanction). Each result shows a snippet
    with the matched words marked «so». A malformed query exits 2."""
    warehouse = _warehouse(warehouse, config)
    from etl.present.report import render
    from etl.search.query import QueryError, parse
    from etl.search.searcher import COLUMNS, Filters, NoIndex
    from etl.search.searcher import search as run_search

    try:
        parsed = parse(" ".join(query))
    except QueryError as e:
        raise _fail(f"malformed query: {e}") from None
    filters = Filters(source, author, category, _day(since, "--since"), _day(until, "--until"))
    with _reader(warehouse, as_of, failed="search failed: ") as con:
        try:
            # a text table cuts long cells: a short snippet there, from just before its first match
            hits = run_search(con, parsed, filters, limit, snippet_words=8 if format is Format.table else 30)
        except NoIndex as e:
            raise _fail(str(e), 1) from None
    typer.echo(render(list(COLUMNS), [h.row() for h in hits], format.value,
                      max_width=60 if format is Format.table else 0))


def _day(text: str | None, option: str):
    from datetime import date

    try:
        return None if text is None else date.fromisoformat(text)
    except ValueError:
        raise _fail(f"{option} {text!r}: not a date (YYYY-MM-DD)") from None


@app.command()
def report(
    name: Annotated[str | None, typer.Argument(help="Report name; omit to list the reports.")] = None,
    warehouse: Warehouse = None,
    config: ConfigFile = None,
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="name=value, repeatable.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
    catalog: CatalogUrl = None,
    data_path: DataPath = None,
) -> None:
    """Run a named report from sql/reports/ on the published warehouse (read-only), or list them.

    Parameters are converted to their declared type and bound as query parameters; an
    unknown or malformed one exits 2."""
    wh = _store(warehouse, config, catalog, data_path)
    from etl.present.report import (
        ALIASES,
        ReportError,
        get_report,
        list_reports,
        parse_params,
        query,
        render,
        report_list,
    )

    output = _output(output)
    if name is None:
        reports = list_reports()
        if format is Format.table:
            from etl.present.texttable import text_table

            text = text_table(*report_list(reports))
        else:
            text = render(*report_list(reports), format.value, max_width=0)
        _emit(text, output, f"{len(reports)} reports")
        return
    try:
        rep = get_report(name)
        values = rep.bind(parse_params(param or []))
    except ReportError as e:
        raise _fail(str(e)) from None
    if name in ALIASES:
        typer.echo(f"note: {rep.description}", err=True)
    with _reader(wh, failed=f"report {name} failed: ") as con:
        columns, rows = query(con, rep.sql, values)
    _emit(render(columns, rows, format.value), output, f"{len(rows)} rows")


def _emit(text: str, output: Path | None, what: str) -> None:
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote {what} to {output}", err=True)
    else:
        typer.echo(text)


class SchemaFormat(StrEnum):
    markdown = "markdown"
    text = "text"


@app.command()
def schema(
    format: Annotated[SchemaFormat, typer.Option("--format", "-f")] = SchemaFormat.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
) -> None:
    """The data dictionary: every table, view and column, read off the DDL's COMMENT ON statements.

    `etl schema --format markdown --output docs/data-dictionary.md` regenerates the docs."""
    from etl.present.dictionary import render
    from etl.storage.described import collect, ddl_catalog, undocumented

    output = _output(output)
    with ddl_catalog() as con:
        relations = collect(con)
    text = render(relations, format.value).rstrip("\n")
    _emit(text, output, f"the data dictionary ({len(relations)} tables and views)")
    missing = undocumented(relations)
    if missing:
        raise _fail("undocumented (add COMMENT ON to the DDL): " + ", ".join(missing), 1)


@app.command()
def dashboard(
    warehouse: Warehouse = None,
    config: ConfigFile = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Default: <warehouse>/dashboard.html.")] = None,
    catalog: CatalogUrl = None,
    data_path: DataPath = None,
) -> None:
    """Write one self-contained HTML page (inline SVG charts, no script, works offline) about the warehouse."""
    wh = _store(warehouse, config, catalog, data_path)
    warehouse = wh.root
    import duckdb

    from etl.present.dashboard import write_dashboard

    output = _output(output) or warehouse / "dashboard.html"
    with _reader(wh) as con:
        try:
            path = write_dashboard(con, warehouse, output)
        except duckdb.CatalogException as e:
            raise _fail(f"{str(e).splitlines()[0]}: the published snapshot predates this version's views; "
                        "`etl run` recreates them", 1) from None
        except OSError as e:
            raise _fail(f"cannot write {output}: {e.strerror or e}; give --output another path", 1) from None
    typer.echo(f"wrote {path} ({path.stat().st_size // 1024} KB)")


@app.command("validation-report")
def validation_report(
    run_id: Annotated[str | None, typer.Argument(help="Run id; default: the latest run.")] = None,
    warehouse: Warehouse = None,
    config: ConfigFile = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Default: <warehouse>/logs/<run_id>.html.")
    ] = None,
) -> None:
    """Write a self-contained HTML page of a run's validation: expectations, failures, examples."""
    warehouse = _warehouse(warehouse, config)
    import duckdb

    from etl.present.dashboard import NoRun, write_validation_report
    from etl.storage.readers import Unreadable

    try:
        path = write_validation_report(warehouse, run_id, _output(output))
    except NoRun as e:
        raise _fail(f"no run {e} in {warehouse} (see `etl report run_history` or {warehouse}/logs/)") from None
    except (Unreadable, duckdb.Error, OSError) as e:
        raise _fail(f"validation report failed: {str(e).splitlines()[0]}", 1) from None
    typer.echo(f"wrote {path}")


@app.command()
def rollback(
    run_id: Annotated[str, typer.Argument(help="The run whose state becomes current again.")],
    warehouse: Warehouse = None,
    config: ConfigFile = None,
    wait: Annotated[bool, typer.Option(help="Wait for a running writer instead of exiting with 4.")] = False,
    catalog: CatalogUrl = None,
    data_path: DataPath = None,
) -> None:
    """Make the warehouse as RUN_ID left it current again, as a new snapshot: later runs stay
    in the history (`etl sql --as-of`), and their input files are read again by the next run."""
    wh = _store(warehouse, config, catalog, data_path)
    import duckdb

    from etl.run.pipeline import EXIT_BUSY, EXIT_ERROR, EXIT_UNPUBLISHED
    from etl.run.pipeline import rollback as run_rollback
    from etl.storage.catalog import CatalogError
    from etl.storage.history import RollbackRefused, UnknownRun
    from etl.storage.lake import NewerRelease, SchemaConflict
    from etl.storage.warehouse import LegacyWarehouse, NoWarehouse, WarehouseBusy

    try:
        done = run_rollback(wh, run_id, wait=wait, log=_logger(LogFormat.text))
    except WarehouseBusy as busy:
        raise _fail(str(busy), EXIT_BUSY) from None
    except NewerRelease as refused:
        raise _fail(f"{refused}; nothing changed", EXIT_ERROR) from None
    except (NoWarehouse, LegacyWarehouse, UnknownRun, RollbackRefused, SchemaConflict) as e:
        raise _fail(str(e), 1) from None
    except CatalogError as e:
        raise _fail(f"rollback to {run_id} failed: {e}", EXIT_ERROR) from None
    except (OSError, duckdb.Error) as e:  # the warehouse cannot be written (a read-only mount) or read
        raise _fail(f"rollback to {run_id} failed: {type(e).__name__}: {str(e).splitlines()[0]} "
                    "(`etl status` shows what is published)", EXIT_ERROR) from None
    typer.echo(f"rolled back to run {run_id} (snapshot {done.target.snapshot_id}) as run {done.run_id}")
    for table, before in done.before.items():
        typer.echo(f"  {table}: {before} -> {done.after[table]} rows")
    typer.echo(f"the runs after {run_id} stay readable with `etl sql --as-of RUN_ID` until retention expires them")
    if done.publish_error:
        raise _fail(f"the rollback is committed but NOT published: {done.publish_error}; readers keep the "
                    "previous snapshot until a run publishes (`etl status` shows the state)", EXIT_UNPUBLISHED)


@app.command()
def upgrade(
    warehouse: Warehouse = None,
    config: ConfigFile = None,
    wait: Annotated[bool, typer.Option(help="Wait for a running writer instead of exiting with 4.")] = False,
) -> None:
    """Convert a warehouse built by an earlier release (snapshot folders) into the current
    storage, from its own Parquet files: no old dumps needed. Then re-key what an earlier
    release keyed from text that was not NFC (posts: from their dumps, where they are), and
    build the search index if it has none (and search_index is not off in the config)."""
    cfg = _config(config)
    warehouse = warehouse or cfg.warehouse
    from etl.run.pipeline import EXIT_BUSY, EXIT_ERROR, EXIT_UNPUBLISHED, new_run_id, upgrade_keys
    from etl.run.pipeline import upgrade as run_upgrade
    from etl.search.upgrade import build as build_index
    from etl.storage.lake import NewerRelease
    from etl.storage.warehouse import WarehouseBusy

    try:
        done = run_upgrade(warehouse, wait=wait, log=_logger(LogFormat.text))
        rekeyed = upgrade_keys(warehouse, wait=wait, log=_logger(LogFormat.text), lists_dir=cfg.lists_dir,
                               max_bytes=cfg.max_bytes)
        indexed = build_index(warehouse, wait=wait, log=_logger(LogFormat.text), new_id=new_run_id
                              ) if cfg.search_index else None
    except WarehouseBusy as busy:
        raise _fail(str(busy), EXIT_BUSY) from None
    except NewerRelease as refused:
        raise _fail(f"{refused}; nothing changed", EXIT_ERROR) from None
    if done is None and not rekeyed and not indexed:
        typer.echo(f"{warehouse} needs no upgrade")
        return
    if done is not None:
        typer.echo(f"{'finished the interrupted upgrade of' if done.finished else 'upgraded'} {warehouse} "
                   f"(latest run {done.run_id}): " + ", ".join(f"{t} {n}" for t, n in done.rows.items()))
        typer.echo(f"the earlier snapshot folders are in {done.moved_to}: delete it once satisfied")
    if rekeyed:
        typer.echo(f"{warehouse}: {rekeyed.describe()}")
    if indexed:
        typer.echo(f"{warehouse}: built the search index of its {indexed.total} posts" if indexed.built else
                   f"{warehouse}: the search index now locates its {indexed.total} posts by day (faster results)")
    if done is not None and done.publish_error:
        raise _fail(f"the upgrade is committed but NOT published: {done.publish_error}; "
                    "run `etl upgrade` again or `etl run` to publish it", EXIT_UNPUBLISHED)


@app.command()
def status(warehouse: Warehouse = None, config: ConfigFile = None, limit: int = 10,
           catalog: CatalogUrl = None, data_path: DataPath = None) -> None:
    """Recent runs and what the warehouse holds (and a committed run readers do not see yet)."""
    warehouse = _store(warehouse, config, catalog, data_path)
    from etl.core.schemas import sql
    from etl.present.report import query, render

    pending = _unpublished(warehouse)
    with _reader(warehouse) as con:
        typer.echo("recent runs:")
        typer.echo(render(*query(con, sql("status/recent_runs"), {"limit": limit}), "table"))
        typer.echo("\nwarehouse holds:")
        typer.echo(render(*query(con, sql("status/holdings")), "table"))
    if pending:
        typer.echo(f"\n{pending}")


def _unpublished(wh) -> str | None:
    """The line `etl status` prints about a committed snapshot readers do not see (also on
    stderr, where there is no published one to show yet)."""
    if wh.is_legacy() or (found := wh.unpublished()) is None:
        return None
    shown = f"snapshot {found.published.snapshot_id} of run {found.published.run_id}" if found.published else "nothing"
    if found.published == found.snapshot:  # the same snapshot, published for the folder's earlier place
        line = f"NOT PUBLISHED HERE: {found.reason}; BI tools reading published.duckdb read the files of the old place."
    else:
        line = (f"NOT PUBLISHED: snapshot {found.snapshot.snapshot_id} (run {found.snapshot.run_id}) is committed, "
                f"but readers see {shown}: {found.reason}.")
    line += " The next `etl run` publishes it."
    if not wh.published.exists():
        typer.echo(line, err=True)
    return line


catalog_app = typer.Typer(help="The lake's catalog: move it into PostgreSQL.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")


@catalog_app.command("migrate")
def catalog_migrate(
    to: Annotated[str, typer.Option("--to", help="postgresql://user@host[:port]/db: an empty database "
                                                  "(the password from PGPASSWORD or ~/.pgpass).")],
    warehouse: Warehouse = None,
    config: ConfigFile = None,
    data_path: DataPath = None,
    wait: Annotated[bool, typer.Option(help="Wait for a running writer instead of exiting with 4.")] = False,
) -> None:
    """Move the warehouse's SQLite catalog (lake.sqlite) into a PostgreSQL database, its
    history kept: every snapshot, run tag, schema change and file list is copied row for row
    (`--as-of` and rollback reach every run as before). Not kept: lake.sqlite moves to
    .legacy/ and is no longer written; published.duckdb and snapshot.json are written again;
    logs/ stays in the folder. With --data-path, the data files are copied there."""
    warehouse = _warehouse(warehouse, config)
    from etl.run.pipeline import EXIT_BUSY, EXIT_ERROR, migrate_catalog
    from etl.storage.catalog import CatalogError
    from etl.storage.migrate import NOT_KEPT
    from etl.storage.warehouse import NoWarehouse, WarehouseBusy

    try:
        done = migrate_catalog(warehouse, to, data_path, wait=wait, log=_logger(LogFormat.text))
    except WarehouseBusy as busy:
        raise _fail(str(busy), EXIT_BUSY) from None
    except NoWarehouse as e:
        raise _fail(str(e), 1) from None
    except CatalogError as e:
        raise _fail(f"catalog migrate: {e}", EXIT_ERROR) from None
    typer.echo(f"moved the catalog of {warehouse} into {to}: {done.snapshots} snapshots, "
               + ", ".join(f"{t} {n}" for t, n in sorted(done.rows.items())))
    typer.echo("kept: every snapshot (times, run tags), schema change, file list and option; the data files")
    for line in NOT_KEPT:
        typer.echo(f"not kept: {line}")


if __name__ == "__main__":
    app()
