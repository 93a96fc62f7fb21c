-- The posts a run indexes (etl/search/index.py): those sql/load/merge.sql just added
-- (merge_new_posts, read from the run's raw rows as the merge inserted them) and those it
-- replaced by a complete copy (merge_upgraded_posts). Staged rows only: the cost is the run's.
select
    r.post_id,
    r.title,
    r.body,
    r.posted_on
from raw_posts as r
semi join merge_new_posts as n on r.seq = n.seq

union all

select
    s.post_id,
    s.title,
    s.body,
    s.posted_on
from staged_posts as s
semi join merge_upgraded_posts as u on s.post_id = u.post_id
