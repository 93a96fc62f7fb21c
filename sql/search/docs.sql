-- The post ids of a page of ranked docs ({docs}: literals, so that the scan of search_docs,
-- in doc order, reads only the row groups that hold them).
select
    doc,
    post_id
from search_docs
where doc in ({docs})
