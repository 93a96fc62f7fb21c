-- BI: one row per outlet (byline source), with its posting and comment totals.
create or replace view bi_sources as
with

final as (
    select
        s.source_id,
        s.name as source,
        count(p.post_id) as posts,
        count(distinct p.author) as authors,
        min(p.posted_on) as first_posted_date,
        max(p.posted_on) as last_posted_date,
        coalesce(sum(p.word_count), 0) as words,
        round(avg(p.word_count), 1) as avg_word_count,
        coalesce(sum(p.comment_count), 0) as comments,
        round(avg(p.repost_lag_days), 2) as avg_repost_lag_days
    from sources as s
    left join posts as raw on s.source_id = raw.source_id
    left join post_details as p on raw.post_id = p.post_id
    group by s.source_id, s.name
)

select * from final;

comment on view bi_sources is 'BI: one row per outlet (grain: source_id) with totals over its posts. Posts without a byline outlet are not counted here (see bi_posts.source = ''(no source)'').';
comment on column bi_sources.source_id is 'Key. The outlet (sources.source_id).';
comment on column bi_sources.source is 'Outlet name, byline field S in `By A | S | D` after spelling normalization.';
comment on column bi_sources.posts is 'Posts taken from the outlet.';
comment on column bi_sources.authors is 'Distinct byline authors of those posts.';
comment on column bi_sources.first_posted_date is 'Earliest footer date of those posts.';
comment on column bi_sources.last_posted_date is 'Latest footer date of those posts.';
comment on column bi_sources.words is 'Total words in the bodies of those posts.';
comment on column bi_sources.avg_word_count is 'Average words per post.';
comment on column bi_sources.comments is 'Sum of the latest footer comment counts of those posts.';
comment on column bi_sources.avg_repost_lag_days is 'Average days from byline date to footer date.';
