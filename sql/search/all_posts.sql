-- Every post, for a first build of the index (a warehouse from before search, or after a
-- --full-refresh): read in batches by etl/search/index.py.
select
    post_id,
    title,
    body,
    posted_on
from posts
