-- Posts per source: how many posts each outlet contributed, and over which dates.
-- param since: date = 1900-01-01
-- param limit: integer = 50
with

per_source as (
    select
        coalesce(s.name, '(no source)') as source,
        count(*) as posts,
        min(p.posted_on) as first_posted_on,
        max(p.posted_on) as last_posted_on
    from posts as p
    left join sources as s on p.source_id = s.source_id
    where coalesce(p.posted_on, p.published_on, $since) >= $since
    group by all
),

final as (
    select * from per_source
    order by posts desc, source
    limit $limit
)

select * from final;
