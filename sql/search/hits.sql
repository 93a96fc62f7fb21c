-- The posts of a page of `etl search` results, with what a result shows ({posts}: their
-- ids as literals; sql/search/docs.sql found them).
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
where p.post_id in ({posts})
