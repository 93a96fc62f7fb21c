-- Comment growth: how the comment count of posts seen in several dumps changed from the first dump to the latest.
-- param min_dumps: integer = 2
-- param limit: integer = 50
with

observations as (
    select
        c.post_id,
        c.comment_count,
        d.path,
        row_number() over (partition by c.post_id order by r.started_at, d.path) as nth,
        count(*) over (partition by c.post_id) as dumps
    from comments as c
    inner join documents as d on c.document_id = d.document_id
    inner join runs as r on c.run_id = r.run_id
    where c.comment_count is not null
),

per_post as (
    select
        post_id,
        any_value(dumps) as dumps,
        arg_min(comment_count, nth) as first_count,
        arg_max(comment_count, nth) as latest_count,
        arg_min(path, nth) as first_dump,
        arg_max(path, nth) as latest_dump
    from observations
    group by post_id
),

final as (
    select
        p.title,
        s.name as source,
        p.posted_on,
        pp.dumps,
        pp.first_count,
        pp.latest_count,
        pp.latest_count - pp.first_count as growth,
        pp.first_dump,
        pp.latest_dump
    from per_post as pp
    inner join posts as p on pp.post_id = p.post_id
    left join sources as s on p.source_id = s.source_id
    where pp.dumps >= $min_dumps
    order by growth desc, pp.latest_count desc, p.title
    limit $limit
)

select * from final;
