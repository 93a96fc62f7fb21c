-- The dashboard's headline figures: posts, sources, authors, categories, the posting dates'
-- span, comments, documents loaded and rejected, and the published run.
select
    count(*) as posts,
    count(distinct source) filter (where source <> '(no source)') as sources,
    count(distinct author) filter (where author <> '(no author)') as authors,
    (select count(*) from tags where kind = 'category') as categories,
    min(posted_date) as first,
    max(posted_date) as last,
    coalesce(sum(comment_count), 0) as comments,
    (select count(*) from documents where status = 'loaded') as documents,
    (select count(*) from documents where status = 'rejected') as rejected,
    (select max(run_id) from runs) as published_run
from bi_posts;
