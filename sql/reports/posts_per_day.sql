-- Posts per day: how many posts the blog posted each day (footer date).
-- param since: date = 1900-01-01
-- param until: date = 2999-12-31
with

daily as (
    select
        posted_on,
        count(*) as posts,
        count(distinct source_id) as sources
    from posts
    where posted_on between $since and $until
    group by posted_on
),

final as (
    select * from daily
    order by posted_on
)

select * from final;
