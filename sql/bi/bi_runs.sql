-- BI: one row per published run, with its validation outcome, for operational dashboards.
create or replace view bi_runs as
with

outcomes as (
    select
        run_id,
        count(*) filter (where success) as expectations_passed,
        sum(unexpected_count) as unexpected_rows,
        sum(rejected_documents) as documents_rejected_by_validation,
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
        r.finished_at,
        round(epoch(r.finished_at - r.started_at), 1) as duration_seconds,
        r.status,
        r.exit_code,
        r.full_refresh,
        r.documents_new,
        r.documents_skipped,
        r.documents_rejected,
        r.posts_new,
        r.posts_updated,
        r.validation_status,
        r.expectations_evaluated,
        coalesce(o.expectations_passed, 0) as expectations_passed,
        r.expectations_failed,
        coalesce(o.unexpected_rows, 0) as unexpected_rows,
        coalesce(o.documents_rejected_by_validation, 0) as documents_rejected_by_validation,
        o.failed_expectations
    from runs as r
    left join outcomes as o on r.run_id = o.run_id
)

select * from final;

comment on view bi_runs is 'BI: one row per published run (grain: run_id): what it loaded and how validation went. Runs that published nothing are only in <warehouse>/logs/.';
comment on column bi_runs.run_id is 'Key. Sortable run id: UTC start time and a random suffix.';
comment on column bi_runs.started_at is 'When the run started (UTC).';
comment on column bi_runs.finished_at is 'When the run committed (UTC).';
comment on column bi_runs.duration_seconds is 'finished_at minus started_at, in seconds.';
comment on column bi_runs.status is 'succeeded, partial (some documents rejected), noop (nothing new) or rollback (`etl rollback`).';
comment on column bi_runs.exit_code is 'Exit code of `etl run`: 0 all loaded (and a rollback), 1 some documents rejected.';
comment on column bi_runs.full_refresh is 'True when the run rebuilt the warehouse.';
comment on column bi_runs.documents_new is 'Dump documents loaded by the run.';
comment on column bi_runs.documents_skipped is 'Dump documents skipped as already loaded (same SHA-256).';
comment on column bi_runs.documents_rejected is 'Dump documents the run rejected.';
comment on column bi_runs.posts_new is 'Posts first seen in the run.';
comment on column bi_runs.posts_updated is 'Posts completed by the run (an excerpt replaced by the full post).';
comment on column bi_runs.validation_status is 'passed, rejected-documents, not-run (no new document) or, for a rollback, rolled back to <run_id>.';
comment on column bi_runs.expectations_evaluated is 'Great Expectations expectations evaluated.';
comment on column bi_runs.expectations_passed is 'Of those, how many passed (validation_results.success).';
comment on column bi_runs.expectations_failed is 'Of those, how many failed on some staged rows.';
comment on column bi_runs.unexpected_rows is 'Staged rows that failed some expectation, summed over expectations.';
comment on column bi_runs.documents_rejected_by_validation is 'Of documents_rejected, those whose rows failed an expectation, summed over expectations.';
comment on column bi_runs.failed_expectations is 'The expectations that failed, as table.column expectation; separated by "; " (NULL if none).';
