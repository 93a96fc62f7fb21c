-- Top categories: the categories with the most posts.
-- param since: date = 1900-01-01
-- param limit: integer = 20
with

counted as (
    select
        category,
        count(*) as posts,
        sum(word_count) as words
    from bi_post_categories
    where coalesce(posted_date, $since) >= $since
    group by category
),

final as (
    select * from counted
    order by posts desc, category
    limit $limit
)

select * from final;
