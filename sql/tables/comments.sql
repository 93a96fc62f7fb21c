create table if not exists comments (
    post_id varchar not null references posts (post_id),
    document_id varchar not null references documents (document_id),
    comment_count integer,
    comments_open boolean,
    run_id varchar not null references runs (run_id),
    primary key (post_id, document_id)
);

comment on table comments is 'Comment counts: one observation per post per document it was seen in.';
comment on column comments.post_id is 'Key part. The post.';
comment on column comments.document_id is 'Key part. The document the count was read from.';
comment on column comments.comment_count is 'Footer comment field: Leave a comment = 0, N Comments = N; NULL when comments are off or the post has no footer.';
comment on column comments.comments_open is 'False for "Comments Off on …"; NULL without a footer.';
comment on column comments.run_id is 'The run that loaded the observation.';
