-- The docs of a page of ranked docs: their post ids, and where each post is
-- (search_docs.posted_on, for sql/search/hits.sql; `*`: a file an earlier release published
-- has no such column, until the next run). The docs are a literal IN list: search_docs is
-- stored in doc order, so the scan reads only the row groups whose min/max hold one of them.
select *
from search_docs
where doc in ({docs})
