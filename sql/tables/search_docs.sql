create table if not exists search_docs (
    doc bigint primary key,
    post_id varchar not null references posts (post_id),
    title_len integer not null,
    body_len integer not null,
    posted_on date
);

comment on table search_docs is 'Search index (etl/search/, docs/search.md): one row per indexed post. Written by each run in the same snapshot as posts; a post replaced by a complete copy loses its row and gets a new one.';
comment on column search_docs.doc is 'Key. The post''s number in the index (dense, so that postings stay small); never reused.';
comment on column search_docs.post_id is 'The post.';
comment on column search_docs.title_len is 'Indexed words of the title (stop words left out).';
comment on column search_docs.body_len is 'Indexed words of the body (stop words left out).';
comment on column search_docs.posted_on is 'The post''s posted_on, where to find it: posts are stored in the order they were loaded, which for dumps of one day each is by day, so a lookup of a page of results by post_id and posted_on reads only the row groups of those days (ids are hashes: alone, they skip none). NULL: no date, or an index from before this column (search_stats.located).';
