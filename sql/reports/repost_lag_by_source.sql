-- Repost lag by source: days from the outlet's byline date to the blog's footer date, per outlet.
-- param since: date = 1900-01-01
-- param limit: integer = 50
with

lags as (
    select
        source,
        repost_lag_days as lag_days
    from bi_posts
    where repost_lag_days is not null and posted_date >= $since
),

per_source as (
    select
        source,
        count(*) as posts,
        round(avg(lag_days), 2) as avg_lag_days,
        min(lag_days) as min_lag_days,
        median(lag_days) as median_lag_days,
        max(lag_days) as max_lag_days,
        count(*) filter (where lag_days = 0) as same_day_posts
    from lags
    group by source
),

final as (
    select * from per_source
    order by avg_lag_days desc, posts desc, source
    limit $limit
)

select * from final;
