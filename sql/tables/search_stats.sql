create table if not exists search_stats (
    docs bigint not null,
    avg_title double not null,
    avg_body double not null,
    next_doc bigint not null,
    located boolean
);

comment on table search_stats is 'Search index: a row added by each update of the index; the latest (highest next_doc, then fewest docs, then located) holds its numbers. No row: no index yet (the next run or etl upgrade builds it).';
comment on column search_stats.docs is 'Indexed posts (N of the idf).';
comment on column search_stats.avg_title is 'Average indexed words of a title when the index was built (frozen: the impacts were computed with it).';
comment on column search_stats.avg_body is 'Average indexed words of a body when the index was built (frozen, as avg_title).';
comment on column search_stats.next_doc is 'The doc number the next indexed post gets.';
comment on column search_stats.located is 'Whether search_docs.posted_on is filled for every doc (NULL: an index from before that column; its next update, a run or etl upgrade, fills it).';
