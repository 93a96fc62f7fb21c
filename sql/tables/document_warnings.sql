create table if not exists document_warnings (
    document_id varchar not null references documents (document_id),
    line_number integer not null,
    code varchar not null,
    message varchar not null,
    run_id varchar not null references runs (run_id)
);

comment on table document_warnings is 'What the extractor found odd but loaded anyway: unknown categories, guessed dates, possible or unread bylines, posts without any date, cut-off posts, footers and threads, ignored lines, comment counts that disagree with the thread.';
comment on column document_warnings.document_id is 'The document.';
comment on column document_warnings.line_number is 'Line in the document.';
comment on column document_warnings.code is 'unknown-category, ambiguous-date, possible-byline, byline-unread, undated-post, incomplete-post, footer-cut-off, incomplete-comment, ignored-line, comment-count-mismatch, unknown-tagline or possible-tagline.';
comment on column document_warnings.message is 'What was found.';
comment on column document_warnings.run_id is 'The run that read the document.';
