-- Open the run's row; finish_run.sql completes it before the snapshot is published.
-- Parameters: run_id, started_at, full_refresh.
insert into runs (
    run_id, started_at, finished_at, status, exit_code, full_refresh,
    documents_new, documents_skipped, documents_rejected, posts_new, posts_updated,
    validation_status, expectations_evaluated, expectations_failed, table_rows
)
values ($1, $2, $2, 'running', -1, $3, 0, 0, 0, 0, 0, 'pending', 0, 0, '{}');
