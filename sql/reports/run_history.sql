-- Run history: every published run, newest first, with what it loaded and how validation went.
-- param limit: integer = 50
with

final as (
    select
        run_id,
        started_at,
        round(epoch(finished_at - started_at), 1) as seconds,
        status,
        exit_code,
        full_refresh,
        documents_new,
        documents_skipped,
        documents_rejected,
        posts_new,
        posts_updated,
        validation_status,
        expectations_evaluated,
        expectations_failed
    from runs
    order by started_at desc, run_id desc
    limit $limit
)

select * from final;
