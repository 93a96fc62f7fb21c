-- Posts per source: how many posts each outlet contributed, and over which dates.
-- param since: date = 1900-01-01
-- param limit: integer = 50
with

per_source as (
    select
        source,
        count(*) as posts,
        min(posted_date) as first_posted_on,
        max(posted_date) as last_posted_on
    from bi_posts
    where coalesce(posted_date, published_date, $since) >= $since
    group by source
),

final as (
    select * from per_source
    order by posts desc, source
    limit $limit
)

select * from final;
