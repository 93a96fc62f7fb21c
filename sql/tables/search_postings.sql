create table if not exists search_postings (
    term varchar not null,
    doc bigint not null references search_docs (doc),
    impact utinyint not null,
    pos usmallint []
);

comment on table search_postings is 'Search index: one row per term and indexed post. Each run adds its postings as a file sorted by term (a file per 48M postings in a larger first build), so that a lookup reads few row groups. Grain: term, doc.';
comment on column search_postings.term is 'Key part. An index term: a word folded (case, accents) and stemmed (Snowball English): sanctions -> sanction.';
comment on column search_postings.doc is 'Key part. The post (search_docs.doc).';
comment on column search_postings.impact is 'The term''s BM25F weight in the post, tf / (k1 + tf) with k1 = 1.2 and b = 0.75, title words counted twice, lengths normalized by the averages in search_stats; as 0-255.';
comment on column search_postings.pos is 'Word positions of the term (title from 0, body from 1000; stop words counted), for phrases. Positions past 65535 are not kept.';
