-- Posts per month: how many posts the blog posted each calendar month (footer date).
-- param since: date = 1900-01-01
-- param until: date = 2999-12-31
with

monthly as (
    select
        strftime(posted_on, '%Y-%m') as month,
        count(*) as posts,
        count(distinct source_id) as sources,
        count(distinct posted_on) as days_with_posts
    from posts
    where posted_on between $since and $until
    group by all
),

final as (
    select * from monthly
    order by month
)

select * from final;
