create table if not exists validation_results (
    run_id varchar not null references runs (run_id),
    table_name varchar not null,
    expectation varchar not null,
    column_name varchar,
    success boolean not null,
    unexpected_count integer not null,
    examples varchar,
    rejected_documents integer not null
);

comment on table validation_results is 'Outcome of every Great Expectations expectation evaluated in each published run.';
comment on column validation_results.run_id is 'The run.';
comment on column validation_results.table_name is 'The staged table validated.';
comment on column validation_results.expectation is 'Expectation type, e.g. expect_column_values_to_not_be_null.';
comment on column validation_results.column_name is 'Column the expectation checks, NULL for table-level ones.';
comment on column validation_results.success is 'Whether it passed on the staged rows as first extracted.';
comment on column validation_results.unexpected_count is 'Rows that failed it.';
comment on column validation_results.examples is 'A few offending values, as JSON.';
comment on column validation_results.rejected_documents is 'Documents rejected because of it.';
