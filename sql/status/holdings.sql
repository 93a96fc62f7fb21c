-- What the warehouse holds.
select 'documents loaded' as what, count(*) as count from documents where status = 'loaded'
union all
select 'documents rejected', count(*) from documents where status = 'rejected'
union all
select 'posts', count(*) from posts
union all
select 'posts incomplete', count(*) from posts where not is_complete
union all
select 'sources', count(*) from sources
union all
select 'authors', count(*) from authors
union all
select 'categories', count(*) from tags where kind = 'category'
union all
select 'comment observations', count(*) from comments
union all
select 'comment entries', count(*) from comment_entries
union all
select 'posted between', null
union all
select '  first ' || coalesce(min(posted_on)::varchar, '-'), null from posts
union all
select '  last ' || coalesce(max(posted_on)::varchar, '-'), null from posts;
