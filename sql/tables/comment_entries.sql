create table if not exists comment_entries (
    post_id varchar not null references posts (post_id),
    position integer not null,
    author varchar not null,
    commented_on date,
    body varchar not null,
    document_id varchar not null references documents (document_id),
    run_id varchar not null references runs (run_id),
    primary key (post_id, position)
);

comment on table comment_entries is 'Comments of the comment threads on single-post pages.';
comment on column comment_entries.post_id is 'Key part. The post commented on.';
comment on column comment_entries.position is 'Key part. Number of the comment in the thread, from 1.';
comment on column comment_entries.author is 'Name in "Comment by NAME | DATE | Reply".';
comment on column comment_entries.commented_on is 'Date in the closing line of the comment.';
comment on column comment_entries.body is 'Text of the comment.';
comment on column comment_entries.document_id is 'Document the thread was read from.';
comment on column comment_entries.run_id is 'The run that loaded the comment.';
