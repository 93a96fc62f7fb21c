-- BI: one row per calendar day from the first to the last footer date, days without posts included.
create or replace view bi_daily_activity as
with

bounds as (
    select
        min(posted_on) as first_day,
        max(posted_on) as last_day
    from post_details
),

-- generate_series as a list, unnested: DuckDB 1.0 takes no column as a table function's argument.
days as (
    select unnest(generate_series(first_day, last_day, interval 1 day))::date as activity_date
    from bounds
),

daily as (
    select
        posted_on,
        count(*) as posts,
        count(distinct source) as sources,
        count(distinct author) as authors,
        sum(word_count) as words,
        sum(comment_count) as comments
    from post_details
    where posted_on is not null
    group by posted_on
),

final as (
    select
        days.activity_date,
        dayname(days.activity_date) as weekday,
        coalesce(daily.posts, 0) as posts,
        coalesce(daily.sources, 0) as sources,
        coalesce(daily.authors, 0) as authors,
        coalesce(daily.words, 0) as words,
        coalesce(daily.comments, 0) as comments,
        sum(coalesce(daily.posts, 0)) over (order by days.activity_date) as cumulative_posts
    from days
    left join daily on days.activity_date = daily.posted_on
)

select * from final;

comment on view bi_daily_activity is 'BI: one row per calendar day (grain: activity_date) from the first to the last footer date, zero-filled, for time-series charts.';
comment on column bi_daily_activity.activity_date is 'Key. The day (footer date of the posts).';
comment on column bi_daily_activity.weekday is 'Weekday name of activity_date.';
comment on column bi_daily_activity.posts is 'Posts the blog posted that day (footer date).';
comment on column bi_daily_activity.sources is 'Distinct byline outlets among those posts.';
comment on column bi_daily_activity.authors is 'Distinct byline authors among those posts.';
comment on column bi_daily_activity.words is 'Total words in the bodies of those posts.';
comment on column bi_daily_activity.comments is 'Sum of the latest footer comment counts of those posts.';
comment on column bi_daily_activity.cumulative_posts is 'Posts posted up to and including that day.';
