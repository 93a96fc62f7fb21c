create table if not exists tags (
    tag_id varchar primary key,
    name varchar not null,
    kind varchar not null,
    run_id varchar not null references runs (run_id)
);

comment on table tags is 'Categories (and named tags, if an input ever carries them).';
comment on column tags.tag_id is 'Key. Hash of kind and normalized name.';
comment on column tags.name is 'Category name from the footer, matched against data/known_categories.txt.';
comment on column tags.kind is 'category (footer categories) or tag (reserved for named tags).';
comment on column tags.run_id is 'The run that first loaded the tag.';
