-- The latest runs, newest first.
-- Parameter: $limit.
select
    run_id,
    status,
    exit_code,
    started_at,
    finished_at - started_at as took,
    documents_new,
    documents_skipped,
    documents_rejected,
    posts_new,
    validation_status
from runs
order by started_at desc
limit $limit;
