-- The post ids of a page of ranked docs (a list literal: list_contains filters the scan of
-- search_docs before it reads post_id, see hits.sql).
select
    doc,
    post_id
from search_docs
where list_contains([{docs}], doc)
