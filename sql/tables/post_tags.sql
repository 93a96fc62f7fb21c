create table if not exists post_tags (
    post_id varchar not null references posts (post_id),
    tag_id varchar not null references tags (tag_id),
    position integer not null,
    run_id varchar not null references runs (run_id),
    primary key (post_id, tag_id)
);

comment on table post_tags is 'Bridge: which categories each post has.';
comment on column post_tags.post_id is 'Key part. The post.';
comment on column post_tags.tag_id is 'Key part. The category.';
comment on column post_tags.position is 'Position of the category in the footer, from 1.';
comment on column post_tags.run_id is 'The run that loaded the row.';
