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
comment on column comments.comment_count is 'Footer comment field: Leave a comment = 0, N Comments = N, Comments Off = 0 (WordPress prints it only for a post without comments); on a single page whose footer has no comment field, the entries of its thread. NULL when the post has no footer.';
comment on column comments.comments_open is 'False for "Comments Off" (and a single page without a reply form); NULL without a footer.';
comment on column comments.run_id is 'The run that loaded the observation.';
