create table if not exists authors (
    author_id varchar primary key,
    name varchar not null,
    run_id varchar not null references runs (run_id)
);

comment on table authors is 'Authors named in bylines.';
comment on column authors.author_id is 'Key. Hash of the normalized author name.';
comment on column authors.name is 'Author as written after "By" in the byline, in normal capitalization.';
comment on column authors.run_id is 'The run that first loaded the author.';
