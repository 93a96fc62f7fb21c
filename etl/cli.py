"""The `etl` command: options, exit codes and output; etl/pipeline.py wires the stages of a run.

Heavy packages (great_expectations, duckdb, pyarrow) are imported inside the commands
that use them, so `etl --help` stays instant.
"""

from __future__ import annotations

import json
import os
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from etl.settings import DEFAULT_MAX_BYTES, DEFAULT_WAREHOUSE, SAMPLE_INPUT

if TYPE_CHECKING:
    from etl.summary import RunSummary

app = typer.Typer(
    help="Blog dumps → normalized tables → Great Expectations → Parquet + DuckDB → reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Warehouse = Annotated[Path, typer.Option("--warehouse", "-w", help="Warehouse folder.")]


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


def _retention(days: float) -> float:
    """--retention-days as etl/storage/maintain.py accepts it (exit 2 otherwise)."""
    from etl.storage.maintain import check_retention

    try:
        return check_retention(days)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


@app.command()
def run(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Dump files or folders (every *.txt below). Default: the bundled sample."),
    ] = None,
    warehouse: Warehouse = DEFAULT_WAREHOUSE,
    full_refresh: Annotated[bool, typer.Option(help="Rebuild the warehouse from the given inputs only.")] = False,
    retry_rejected: Annotated[bool, typer.Option(help="Read again documents an earlier run rejected.")] = False,
    wait: Annotated[bool, typer.Option(help="Wait for a running writer instead of exiting with 4.")] = False,
    max_bytes: Annotated[int, typer.Option(help="Reject files larger than this.")] = DEFAULT_MAX_BYTES,
    log_format: Annotated[LogFormat, typer.Option(help="Log lines on stderr as text or JSON.")] = LogFormat.text,
    summary_json: Annotated[Path | None, typer.Option(help="Write the run summary as JSON here.")] = None,
    jobs: Annotated[int | None, typer.Option(min=1, help="Processes that parse. Default: one per core.")] = None,
    retention_days: Annotated[float, typer.Option(
        envvar="ETL_RETENTION_DAYS", callback=_retention,
        help="Keep snapshots (time travel, rollback) and the files only they use this many days "
             "(a finite number, 0 or more).")] = 7,
    scheduler: Annotated[str | None, typer.Option(
        envvar="ETL_DASK_SCHEDULER", show_envvar=True,
        help="Parse on this Dask cluster (tcp://HOST:PORT); validation and the merge stay here.")] = None,
) -> None:
    """Load dumps into the warehouse. Exit 0: all loaded; 1: some documents rejected;
    3: validation failed, nothing published; 4: the warehouse is in use; 5: internal error,
    nothing published (unless the message says the run committed); 6: the run committed but
    could not publish (readers keep the previous run; the next run publishes)."""
    log = _logger(log_format)
    result = _run_or_exit(
        paths or [SAMPLE_INPUT], warehouse, full_refresh=full_refresh, retry_rejected=retry_rejected,
        wait=wait, max_bytes=max_bytes, log=log, progress=_progress(log_format), jobs=jobs,
        retention_days=retention_days, scheduler=scheduler or None,
    )
    if summary_json:
        summary_json.write_text(json.dumps(result.summary.to_dict(), indent=2, default=str) + "\n", encoding="utf-8")
    typer.echo(_summary_text(result.summary))
    raise typer.Exit(result.exit_code)


def _run_or_exit(*args, log, **kwargs):
    """pipeline.run, its failures turned into one `error:` line and the documented exit code."""
    import traceback

    from etl.executors import ClusterError
    from etl.load import LegacyWarehouse, WarehouseBusy
    from etl.pipeline import EXIT_BUSY, EXIT_ERROR, AfterCommit
    from etl.pipeline import run as run_pipeline
    from etl.storage.lake import SchemaConflict

    try:
        return run_pipeline(*args, log=log, **kwargs)
    except WarehouseBusy as busy:
        log("warehouse busy", error=str(busy), exit_code=EXIT_BUSY)
        raise _fail(str(busy), EXIT_BUSY) from None
    except (LegacyWarehouse, SchemaConflict) as refused:
        log("warehouse refused", error=str(refused), exit_code=EXIT_ERROR)
        raise _fail(f"{refused}; nothing published", EXIT_ERROR) from None
    except AfterCommit as e:  # a bug after the commit: the data is in, publishing may not be
        log("run crashed", error=str(e), exit_code=EXIT_ERROR, committed=True, traceback=traceback.format_exc())
        raise _fail(f"internal error after run {e.run_id} committed (its data is in the warehouse; `etl status` "
                    f"shows whether it is published, the next run publishes it): {e}", EXIT_ERROR) from None
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


def _read_only(warehouse: Path, as_of: str | None = None):
    from etl.load import LegacyWarehouse, NoWarehouse, Warehouse, open_published
    from etl.storage.history import UnknownRun, open_as_of

    try:
        if as_of:
            Warehouse(warehouse).refuse_legacy()
            return open_as_of(warehouse, as_of)
        return open_published(Warehouse(warehouse))
    except (NoWarehouse, LegacyWarehouse, UnknownRun) as e:
        raise _fail(str(e), 1) from None


@app.command("sql")
def sql_command(
    query: Annotated[str, typer.Argument(help="A SQL query.")],
    warehouse: Warehouse = DEFAULT_WAREHOUSE,
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="A run id: query the warehouse as that run left it (time travel).")] = None,
) -> None:
    """Run a read-only query on the published warehouse (or, with --as-of, on an earlier run's snapshot)."""
    import duckdb

    from etl.report import query as run_query
    from etl.report import render

    with _read_only(warehouse, as_of) as con:
        try:
            columns, rows = run_query(con, query)
        except duckdb.Error as e:
            raise _fail(str(e).splitlines()[0], 1) from None
    typer.echo(render(columns, rows, format.value))


@app.command()
def report(
    name: Annotated[str | None, typer.Argument(help="Report name; omit to list the reports.")] = None,
    warehouse: Warehouse = DEFAULT_WAREHOUSE,
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="name=value, repeatable.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
) -> None:
    """Run a named report from sql/reports/ on the published warehouse (read-only), or list them.

    Parameters are converted to their declared type and bound as query parameters; an
    unknown or malformed one exits 2."""
    import duckdb

    from etl.report import ALIASES, ReportError, get_report, list_reports, parse_params, query, render, report_list

    if name is None:
        reports = list_reports()
        if format is Format.table:
            from etl.texttable import text_table

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
    with _read_only(warehouse) as con:
        try:
            columns, rows = query(con, rep.sql, values)
        except duckdb.Error as e:
            raise _fail(f"report {name} failed: {str(e).splitlines()[0]}", 1) from None
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
    from etl.dictionary import collect, ddl_catalog, render, undocumented

    with ddl_catalog() as con:
        relations = collect(con)
    text = render(relations, format.value).rstrip("\n")
    _emit(text, output, f"the data dictionary ({len(relations)} tables and views)")
    missing = undocumented(relations)
    if missing:
        raise _fail("undocumented (add COMMENT ON to the DDL): " + ", ".join(missing), 1)


@app.command()
def dashboard(
    warehouse: Warehouse = DEFAULT_WAREHOUSE,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Default: <warehouse>/dashboard.html.")] = None,
) -> None:
    """Write one self-contained HTML page (inline SVG charts, no script, works offline) about the warehouse."""
    import duckdb

    from etl.dashboard import write_dashboard
    from etl.load import NoWarehouse

    output = output or warehouse / "dashboard.html"
    try:
        path = write_dashboard(warehouse, output)
    except NoWarehouse as e:
        raise _fail(str(e), 1) from None
    except duckdb.CatalogException as e:
        raise _fail(f"{str(e).splitlines()[0]}: the published snapshot predates this version's views; "
                    "`etl run` recreates them", 1) from None
    typer.echo(f"wrote {path} ({path.stat().st_size // 1024} KB)")


@app.command("validation-report")
def validation_report(
    run_id: Annotated[str | None, typer.Argument(help="Run id; default: the latest run.")] = None,
    warehouse: Warehouse = DEFAULT_WAREHOUSE,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Default: <warehouse>/logs/<run_id>.html.")
    ] = None,
) -> None:
    """Write a self-contained HTML page of a run's validation: expectations, failures, examples."""
    from etl.dashboard import NoRun, write_validation_report

    try:
        path = write_validation_report(warehouse, run_id, output)
    except NoRun as e:
        raise _fail(f"no run {e} in {warehouse} (see `etl report run_history` or {warehouse}/logs/)") from None
    typer.echo(f"wrote {path}")


@app.command()
def rollback(
    run_id: Annotated[str, typer.Argument(help="The run whose state becomes current again.")],
    warehouse: Warehouse = DEFAULT_WAREHOUSE,
    wait: Annotated[bool, typer.Option(help="Wait for a running writer instead of exiting with 4.")] = False,
) -> None:
    """Make the warehouse as RUN_ID left it current again, as a new snapshot: later runs stay
    in the history (`etl sql --as-of`), and their input files are read again by the next run."""
    from etl.load import LegacyWarehouse, NoWarehouse, WarehouseBusy
    from etl.pipeline import EXIT_BUSY, EXIT_UNPUBLISHED
    from etl.pipeline import rollback as run_rollback
    from etl.storage.history import RollbackRefused, UnknownRun
    from etl.storage.lake import SchemaConflict

    try:
        done = run_rollback(warehouse, run_id, wait=wait, log=_logger(LogFormat.text))
    except WarehouseBusy as busy:
        raise _fail(str(busy), EXIT_BUSY) from None
    except (NoWarehouse, LegacyWarehouse, UnknownRun, RollbackRefused, SchemaConflict) as e:
        raise _fail(str(e), 1) from None
    typer.echo(f"rolled back to run {run_id} (snapshot {done.target.snapshot_id}) as run {done.run_id}")
    for table, before in done.before.items():
        typer.echo(f"  {table}: {before} -> {done.after[table]} rows")
    typer.echo(f"the runs after {run_id} stay readable with `etl sql --as-of RUN_ID` until retention expires them")
    if done.publish_error:
        raise _fail(f"the rollback is committed but NOT published: {done.publish_error}; readers keep the "
                    "previous snapshot until a run publishes (`etl status` shows the state)", EXIT_UNPUBLISHED)


@app.command()
def upgrade(
    warehouse: Warehouse = DEFAULT_WAREHOUSE,
    wait: Annotated[bool, typer.Option(help="Wait for a running writer instead of exiting with 4.")] = False,
) -> None:
    """Convert a warehouse built by an earlier release (snapshot folders) into the current
    storage, from its own Parquet files: no old dumps needed."""
    from etl.load import WarehouseBusy
    from etl.pipeline import EXIT_BUSY, EXIT_UNPUBLISHED
    from etl.pipeline import upgrade as run_upgrade

    try:
        done = run_upgrade(warehouse, wait=wait, log=_logger(LogFormat.text))
    except WarehouseBusy as busy:
        raise _fail(str(busy), EXIT_BUSY) from None
    if done is None:
        typer.echo(f"{warehouse} needs no upgrade")
        return
    typer.echo(f"{'finished the interrupted upgrade of' if done.finished else 'upgraded'} {warehouse} "
               f"(latest run {done.run_id}): " + ", ".join(f"{t} {n}" for t, n in done.rows.items()))
    typer.echo(f"the earlier snapshot folders are in {done.moved_to}: delete it once satisfied")
    if done.publish_error:
        raise _fail(f"the upgrade is committed but NOT published: {done.publish_error}; "
                    "run `etl upgrade` again or `etl run` to publish it", EXIT_UNPUBLISHED)


@app.command()
def status(warehouse: Warehouse = DEFAULT_WAREHOUSE, limit: int = 10) -> None:
    """Recent runs and what the warehouse holds (and a committed run readers do not see yet)."""
    from etl.report import query, render
    from etl.schemas import sql

    pending = _unpublished(warehouse)
    with _read_only(warehouse) as con:
        typer.echo("recent runs:")
        typer.echo(render(*query(con, sql("status/recent_runs"), {"limit": limit}), "table"))
        typer.echo("\nwarehouse holds:")
        typer.echo(render(*query(con, sql("status/holdings")), "table"))
    if pending:
        typer.echo(f"\n{pending}")


def _unpublished(warehouse: Path) -> str | None:
    """The line `etl status` prints about a committed snapshot readers do not see (also on
    stderr, where there is no published one to show yet)."""
    from etl.load import Warehouse
    from etl.storage.state import unpublished

    if Warehouse(warehouse).is_legacy() or (found := unpublished(warehouse)) is None:
        return None
    shown = f"snapshot {found.published.snapshot_id} of run {found.published.run_id}" if found.published else "nothing"
    if found.published == found.snapshot:  # the same snapshot, published for the folder's earlier place
        line = f"NOT PUBLISHED HERE: {found.reason}; BI tools reading published.duckdb read the files of the old place."
    else:
        line = (f"NOT PUBLISHED: snapshot {found.snapshot.snapshot_id} (run {found.snapshot.run_id}) is committed, "
                f"but readers see {shown}: {found.reason}.")
    line += " The next `etl run` publishes it."
    if not (Path(warehouse) / "published.duckdb").exists():
        typer.echo(line, err=True)
    return line


if __name__ == "__main__":
    app()
