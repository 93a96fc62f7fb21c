-- Titles and bodies of up to 20,000 posts, from which a first build takes the average
-- lengths it freezes into the impacts (search_stats).
select
    title,
    body
from posts
using sample 20000 rows (reservoir, 1)
