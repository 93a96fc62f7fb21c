-- The index's one row; none before the index is built.
select
    docs,
    avg_title,
    avg_body,
    next_doc
from search_stats
