-- An index from before search_docs.posted_on (search_stats.located is not true): every doc
-- gets its post's posted_on, once (etl/search/index.py, in the transaction of a run or of
-- `etl upgrade`). Rewritten whole, in doc order, so that sql/search/docs.sql's lookup by doc
-- still skips row groups.
create or replace temp table search_located as
select
    d.doc,
    d.post_id,
    d.title_len,
    d.body_len,
    p.posted_on
from search_docs as d
left join posts as p on d.post_id = p.post_id;

delete from search_docs;

insert into search_docs by name
select * from search_located
order by doc;

drop table search_located;
