-- Posts per week: how many posts the blog posted each ISO week (Monday to Sunday, footer date).
-- param since: date = 1900-01-01
-- param until: date = 2999-12-31
with

weekly as (
    select
        date_trunc('week', posted_on)::date as week_starting,
        count(*) as posts,
        count(distinct source_id) as sources,
        count(distinct posted_on) as days_with_posts
    from posts
    where posted_on between $since and $until
    group by all
),

final as (
    select * from weekly
    order by week_starting
)

select * from final;
