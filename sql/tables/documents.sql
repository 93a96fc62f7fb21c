create table if not exists documents (
    document_id varchar primary key,
    path varchar not null,
    size_bytes bigint,
    encoding varchar,
    site_name varchar,
    page_kind varchar,
    post_count integer not null,
    warning_count integer not null,
    status varchar not null,
    error varchar,
    run_id varchar not null references runs (run_id)
);

comment on table documents is 'One row per input document (dump file), loaded or rejected.';
comment on column documents.document_id is 'Key. SHA-256 of the raw bytes (of the path, for a file that could not be read).';
comment on column documents.path is 'Path of the file as given to etl run, or found below a folder given. Each byte of a name that is not UTF-8 is written as \xHH, and a backslash doubled (the shell''s $''…'' reads them back).';
comment on column documents.size_bytes is 'Size of the file in bytes (NULL if unreadable).';
comment on column documents.encoding is 'Detected text encoding: utf-8, utf-8-sig (with BOM), cp1252 or latin-1.';
comment on column documents.site_name is 'Site name from the page header (first line), NULL if the dump has no header.';
comment on column documents.page_kind is 'listing (posts with footers), home (excerpts), single (one post and its comment thread) or fragment (no page header); NULL when the dump ends before anything that tells (a page cut inside its first post), and for a rejected document.';
comment on column documents.post_count is 'Posts found in the document.';
comment on column documents.warning_count is 'Extraction warnings (see document_warnings).';
comment on column documents.status is 'loaded or rejected.';
comment on column documents.error is 'Why the document was rejected, one line; NULL when loaded.';
comment on column documents.run_id is 'The run that loaded or rejected the document.';
