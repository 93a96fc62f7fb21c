-- Titles and bodies of up to 20,000 posts, from which a first build takes the average
-- lengths it freezes into the impacts (search_stats). The sample is drawn over the posts' ids
-- only (the same rows as over every column), and their texts are then read as a stream: a
-- sample of whole posts would hold 20,000 bodies in memory at once (about 280 MB at 4.5 KB).
with sampled as (
    select post_id
    from posts
    using sample 20000 rows (reservoir, 1)
)

select
    p.title,
    p.body
from posts as p
semi join sampled as s on p.post_id = s.post_id
