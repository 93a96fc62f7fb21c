-- The posts of a page of `etl search` results, with what a result shows. The ids are a
-- list literal: list_contains is a filter the Parquet scan applies to post_id before it
-- reads the other columns (an IN list is only used to skip row groups, and the posts' ids
-- are hashes: every body would be read, 0.8 s at 1M posts against 0.06 s). {located} is
-- where the posts are: `posted_on in (…)`, their days (search_docs.posted_on), a literal
-- IN list that skips the row groups of other days (posts are stored in the order they were
-- loaded: by day, for dumps of a day each), so that neither the other posts' ids nor their
-- bodies are read; or true when a post of the page has no date there (etl/search/searcher.py).
select
    p.post_id,
    p.title,
    s.name as source,
    a.name as author,
    coalesce(p.published_on, p.posted_on) as date,
    p.body
from posts as p
left join sources as s on p.source_id = s.source_id
left join authors as a on p.author_id = a.author_id
where list_contains([{posts}], p.post_id) and {located}
