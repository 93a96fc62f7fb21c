-- Complete the run's row with its outcome.
-- Parameters: finished_at, status, exit_code, documents new / skipped / rejected,
-- posts new / updated, validation status, expectations evaluated / failed, table_rows, run_id.
update runs
set
    finished_at = ?,
    status = ?,
    exit_code = ?,
    documents_new = ?,
    documents_skipped = ?,
    documents_rejected = ?,
    posts_new = ?,
    posts_updated = ?,
    validation_status = ?,
    expectations_evaluated = ?,
    expectations_failed = ?,
    table_rows = ?
where run_id = ?;
