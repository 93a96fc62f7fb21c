-- Most commented posts: posts by their latest comment count.
-- param since: date = 1900-01-01
-- param limit: integer = 20
with

final as (
    select
        title,
        source,
        posted_on,
        comment_count,
        comments_open
    from post_details
    where comment_count is not null and coalesce(posted_on, $since) >= $since
    order by comment_count desc, posted_on desc, title
    limit $limit
)

select * from final;
