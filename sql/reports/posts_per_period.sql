-- Posts per period: how many posts the blog posted each day, ISO week (Monday to Sunday) or calendar month (footer date).
-- param grain: day|week|month = day
-- param since: date = 1900-01-01
-- param until: date = 2999-12-31
-- param split: none|source = none
-- One row per period (split=source: per period and byline source; source is NULL otherwise).
with

dated as (
    select
        date_trunc($grain, posted_date)::date as period_start,
        if($split = 'source', source, null) as source,
        source <> '(no source)' as has_source,
        source as source_name,
        posted_date
    from bi_posts
    where posted_date between $since and $until
),

per_period as (
    select
        period_start,
        source,
        count(*) as posts,
        count(distinct source_name) filter (where has_source) as sources,
        count(distinct posted_date) as days_with_posts
    from dated
    group by period_start, source
),

final as (
    select * from per_period
    order by period_start, source
)

select * from final;
