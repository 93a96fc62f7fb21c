-- Data-quality summary: Great Expectations outcomes per published run (evaluated, passed, failed, rows and documents rejected).
-- param limit: integer = 50
with

-- The totals (evaluated, passed, failed, failing rows) are bi_runs'; what it does not have
-- comes from validation_results.
failures as (
    select
        run_id,
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
        r.expectations_evaluated as evaluated,
        r.expectations_passed as passed,
        r.expectations_failed as failed,
        r.unexpected_rows,
        coalesce(f.rejected_documents, 0) as rejected_documents,
        f.failed_expectations
    from bi_runs as r
    left join failures as f on r.run_id = f.run_id
    order by r.started_at desc, r.run_id desc
    limit $limit
)

select * from final;
