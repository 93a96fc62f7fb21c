-- Category co-occurrence: which categories are given to the same posts (each unordered pair once).
-- param since: date = 1900-01-01
-- param min_posts: integer = 1
-- param limit: integer = 50
with

post_categories as (
    select
        post_id,
        category
    from bi_post_categories
    where coalesce(posted_date, $since) >= $since
),

category_posts as (
    select
        category,
        count(distinct post_id) as posts
    from post_categories
    group by category
),

pairs as (
    select
        a.category as category_a,
        b.category as category_b,
        count(distinct a.post_id) as posts_together
    from post_categories as a
    inner join post_categories as b on a.post_id = b.post_id and a.category < b.category
    group by all
),

final as (
    select
        pairs.category_a,
        pairs.category_b,
        pairs.posts_together,
        ca.posts as posts_a,
        cb.posts as posts_b,
        round(pairs.posts_together / (ca.posts + cb.posts - pairs.posts_together), 3) as jaccard
    from pairs
    inner join category_posts as ca on pairs.category_a = ca.category
    inner join category_posts as cb on pairs.category_b = cb.category
    where pairs.posts_together >= $min_posts
    order by pairs.posts_together desc, jaccard desc, pairs.category_a, pairs.category_b
    limit $limit
)

select * from final;
