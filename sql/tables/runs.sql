create table if not exists runs (
    run_id varchar primary key,
    started_at timestamp not null,
    finished_at timestamp not null,
    status varchar not null,
    exit_code integer not null,
    full_refresh boolean not null,
    documents_new integer not null,
    documents_skipped integer not null,
    documents_rejected integer not null,
    posts_new integer not null,
    posts_updated integer not null,
    validation_status varchar not null,
    expectations_evaluated integer not null,
    expectations_failed integer not null,
    table_rows varchar not null,
    etl_version varchar,
    config_file varchar,
    config_sha256 varchar,
    lists_sha256 varchar,
    suites_sha256 varchar
);

comment on table runs is 'One row per published run of `etl run` (runs that exit 3 or are killed publish nothing and are logged under <warehouse>/logs/).';
comment on column runs.run_id is 'Key. Sortable run id: UTC start time and a random suffix.';
comment on column runs.started_at is 'When the run started (UTC).';
comment on column runs.finished_at is 'When the run committed (UTC).';
comment on column runs.status is 'succeeded (every new document loaded), partial (some rejected), noop (nothing new) or rollback (`etl rollback`: the row of the rollback itself).';
comment on column runs.exit_code is 'The exit code of the run: 0 all loaded (and a rollback), 1 some documents rejected.';
comment on column runs.full_refresh is 'True when the run rebuilt the warehouse (--full-refresh).';
comment on column runs.documents_new is 'Documents loaded by this run.';
comment on column runs.documents_skipped is 'Documents skipped because a document with the same SHA-256 was already in the warehouse.';
comment on column runs.documents_rejected is 'Documents this run rejected (see documents.error).';
comment on column runs.posts_new is 'Posts first seen in this run.';
comment on column runs.posts_updated is 'Posts seen before as excerpts or cut off, replaced by a complete copy in this run.';
comment on column runs.validation_status is 'passed; rejected-documents when some documents failed an expectation; not-run when no document was new; for a rollback, rolled back to <run_id>.';
comment on column runs.expectations_evaluated is 'Great Expectations expectations evaluated on the staged tables.';
comment on column runs.expectations_failed is 'Expectations that failed on some staged rows (their documents were rejected).';
comment on column runs.table_rows is 'JSON object: rows of each table after the run.';
comment on column runs.etl_version is 'The aletho-etl release that wrote this row (NULL: a release before 0.2.0). A warehouse written by a newer release is refused by an older one.';
comment on column runs.config_file is 'The project config (etl.toml) the run was started with; NULL: none (the defaults), and for rollbacks.';
comment on column runs.config_sha256 is 'SHA-256 of that config file''s bytes; NULL with no config.';
comment on column runs.lists_sha256 is 'SHA-256 of the reference lists the run read (the project''s lists/, or the package''s defaults), by file name and content; NULL for rollbacks.';
comment on column runs.suites_sha256 is 'SHA-256 of the expectation suites the run validated with (the project''s expectations/, or the package''s), by file name and content; NULL for rollbacks.';
