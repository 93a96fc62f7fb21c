-- The run's row, written with its outcome in the run's transaction, just before it commits.
-- One value per column of runs (sql/tables/runs.sql), each an SQL literal (etl/run/load.py insert_run).
insert into runs by name
select
    {run_id} as run_id,
    {started_at} as started_at,
    {finished_at} as finished_at,
    {status} as status,
    {exit_code} as exit_code,
    {full_refresh} as full_refresh,
    {documents_new} as documents_new,
    {documents_skipped} as documents_skipped,
    {documents_rejected} as documents_rejected,
    {posts_new} as posts_new,
    {posts_updated} as posts_updated,
    {validation_status} as validation_status,
    {expectations_evaluated} as expectations_evaluated,
    {expectations_failed} as expectations_failed,
    {table_rows} as table_rows,
    {etl_version} as etl_version,
    {config_file} as config_file,
    {config_sha256} as config_sha256,
    {lists_sha256} as lists_sha256,
    {suites_sha256} as suites_sha256;
