-- The run's row, written with its outcome in the run's transaction, just before it commits.
-- Parameters: run_id, started_at, finished_at, status, exit_code, full_refresh,
-- documents new / skipped / rejected, posts new / updated, validation status,
-- expectations evaluated / failed, table_rows.
insert into runs (
    run_id, started_at, finished_at, status, exit_code, full_refresh,
    documents_new, documents_skipped, documents_rejected, posts_new, posts_updated,
    validation_status, expectations_evaluated, expectations_failed, table_rows
)
values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);
