-- Categories by month: posts per category per month (footer date); a post counts once in each of its categories.
-- param since: date = 1900-01-01
-- param until: date = 2999-12-31
-- param category: varchar =
with

post_categories as (
    select
        strftime(posted_date, '%Y-%m') as month,
        category,
        post_id
    from bi_post_categories
    where
        posted_date between $since and $until
        and ($category = '' or category = $category)
),

monthly as (
    select
        month,
        category,
        count(distinct post_id) as posts
    from post_categories
    group by all
),

final as (
    select * from monthly
    order by month, posts desc, category
)

select * from final;
