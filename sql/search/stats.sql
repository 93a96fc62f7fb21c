-- The index's latest row (the highest next_doc; at the same next_doc, a run that only removed
-- posts left the fewer docs; at the same docs too, an update that only filled the docs'
-- posted_on left located true); none before the index is built.
select
    docs,
    avg_title,
    avg_body,
    next_doc,
    coalesce(located, false) as located
from search_stats
order by next_doc desc, docs, located desc nulls last
limit 1
