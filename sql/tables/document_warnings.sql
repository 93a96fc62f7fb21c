create table if not exists document_warnings (
    document_id varchar not null references documents (document_id),
    line_number integer not null,
    code varchar not null,
    message varchar not null,
    run_id varchar not null references runs (run_id)
);

comment on table document_warnings is 'What the extractor found odd but loaded anyway: unknown categories, guessed dates, possible bylines, cut-off posts and threads, ignored lines, comment counts that disagree with the thread.';
comment on column document_warnings.document_id is 'The document.';
comment on column document_warnings.line_number is 'Line in the document.';
comment on column document_warnings.code is 'unknown-category, ambiguous-date, possible-byline, incomplete-post, incomplete-comment, ignored-line or comment-count-mismatch.';
comment on column document_warnings.message is 'What was found.';
comment on column document_warnings.run_id is 'The run that read the document.';
