-- The BI file's own view (published.duckdb only): which snapshot its views show.
-- etl/storage/publish.py fills in {snapshot_id} and {run_id} when it writes the file.
create or replace view etl_snapshot as
select
    cast({snapshot_id} as bigint) as snapshot_id,
    cast('{run_id}' as varchar) as run_id;

comment on view etl_snapshot is 'Which snapshot of the warehouse this file shows: one row. Only in published.duckdb, the BI file.';
comment on column etl_snapshot.snapshot_id is 'The DuckLake snapshot these views read.';
comment on column etl_snapshot.run_id is 'The run that committed it (see runs).';
