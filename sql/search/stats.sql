-- The index's latest row (the highest next_doc; at the same next_doc, a run that only removed
-- posts left the fewer docs); none before the index is built.
select
    docs,
    avg_title,
    avg_body,
    next_doc
from search_stats
order by next_doc desc, docs
limit 1
