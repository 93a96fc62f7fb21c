-- Authors and their sources: each named author, how many posts, and the outlets they wrote for.
-- param author: varchar =
-- param limit: integer = 100
with

authored as (
    select
        author,
        source,
        posted_date as posted_on
    from bi_posts
    where author <> '(no author)' and ($author = '' or author = $author)
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
