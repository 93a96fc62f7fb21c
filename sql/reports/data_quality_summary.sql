-- Data-quality summary: Great Expectations outcomes per published run (evaluated, passed, failed, rows and documents rejected).
-- param limit: integer = 50
with

per_run as (
    select
        run_id,
        count(*) as evaluated,
        count(*) filter (where success) as passed,
        count(*) filter (where not success) as failed,
        sum(unexpected_count) as unexpected_rows,
        sum(rejected_documents) as rejected_documents,
        string_agg(
            case when not success then table_name || '.' || coalesce(column_name, '*') || ' ' || expectation end,
            '; ' order by table_name, column_name, expectation
        ) as failed_expectations
    from validation_results
    group by run_id
),

final as (
    select
        r.run_id,
        r.started_at,
        r.validation_status,
        coalesce(pr.evaluated, 0) as evaluated,
        coalesce(pr.passed, 0) as passed,
        coalesce(pr.failed, 0) as failed,
        coalesce(pr.unexpected_rows, 0) as unexpected_rows,
        coalesce(pr.rejected_documents, 0) as rejected_documents,
        pr.failed_expectations
    from runs as r
    left join per_run as pr on r.run_id = pr.run_id
    order by r.started_at desc, r.run_id desc
    limit $limit
)

select * from final;
