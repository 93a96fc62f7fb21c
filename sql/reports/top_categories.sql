-- Top categories: the categories with the most posts.
-- param since: date = 1900-01-01
-- param limit: integer = 20
with

counted as (
    select
        t.name as category,
        count(*) as posts,
        sum(p.word_count) as words
    from post_tags as pt
    inner join tags as t on pt.tag_id = t.tag_id
    inner join posts as p on pt.post_id = p.post_id
    where t.kind = 'category' and coalesce(p.posted_on, $since) >= $since
    group by t.name
),

final as (
    select * from counted
    order by posts desc, category
    limit $limit
)

select * from final;
