-- The posts the run replaced by a complete copy (merge_upgraded_posts) leave the index:
-- their docs and postings are deleted; run_posts.sql indexes the new copies.
create or replace temp table search_replaced as
select d.doc
from search_docs as d
semi join merge_upgraded_posts as u on d.post_id = u.post_id;

delete from search_postings
where doc in (select r.doc from search_replaced as r);

delete from search_docs
where doc in (select r.doc from search_replaced as r);

select count(*) from search_replaced;
