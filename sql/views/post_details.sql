-- One row per post with its names resolved: the view most questions start from.
create or replace view post_details as
with

categories as (
    select
        pt.post_id,
        list(t.name order by pt.position) as categories
    from post_tags as pt
    inner join tags as t on pt.tag_id = t.tag_id
    group by pt.post_id
),

latest_comments as (
    select
        c.post_id,
        c.comment_count,
        c.comments_open,
        count(*) over (partition by c.post_id) as comment_observations,
        row_number() over (
            partition by c.post_id
            order by c.comment_count is not null desc, r.started_at desc, d.path desc
        ) as recency
    from comments as c
    inner join documents as d on c.document_id = d.document_id
    inner join runs as r on c.run_id = r.run_id
),

final as (
    select
        p.post_id,
        p.title,
        a.name as author,
        s.name as source,
        p.published_on,
        p.posted_on,
        coalesce(cat.categories, []::varchar []) as categories,
        p.tag_count,
        lc.comment_count,
        lc.comments_open,
        p.word_count,
        p.document_id,
        p.is_complete,
        p.subtitle,
        p.image_credit,
        p.published_on_guess,
        p.posted_on - p.published_on as repost_lag_days,
        lc.comment_observations,
        p.body,
        p.run_id
    from posts as p
    left join authors as a on p.author_id = a.author_id
    left join sources as s on p.source_id = s.source_id
    left join categories as cat on p.post_id = cat.post_id
    left join latest_comments as lc on p.post_id = lc.post_id and lc.recency = 1
)

select * from final;
