-- Authors and their sources: each named author, how many posts, and the outlets they wrote for.
-- param author: varchar =
-- param limit: integer = 100
with

authored as (
    select
        a.name as author,
        coalesce(s.name, '(no source)') as source,
        p.posted_on
    from posts as p
    inner join authors as a on p.author_id = a.author_id
    left join sources as s on p.source_id = s.source_id
    where $author = '' or a.name = $author
),

per_author as (
    select
        author,
        count(*) as posts,
        count(distinct source) as sources,
        string_agg(distinct source, '; ' order by source) as source_names,
        min(posted_on) as first_posted_on,
        max(posted_on) as last_posted_on
    from authored
    group by author
),

final as (
    select * from per_author
    order by posts desc, author
    limit $limit
)

select * from final;
