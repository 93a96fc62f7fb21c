-- Data-quality summary: Great Expectations outcomes per published run (evaluated, passed, failed, rows and documents rejected).
-- param limit: integer = 50
with

final as (
    select
        run_id,
        started_at,
        validation_status,
        expectations_evaluated as evaluated,
        expectations_passed as passed,
        expectations_failed as failed,
        unexpected_rows,
        documents_rejected_by_validation as rejected_documents,
        failed_expectations
    from bi_runs
    order by started_at desc, run_id desc
    limit $limit
)

select * from final;
