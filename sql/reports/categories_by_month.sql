-- Categories by month: posts per category per month (footer date); a post counts once in each of its categories.
-- param since: date = 1900-01-01
-- param until: date = 2999-12-31
-- param category: varchar =
with

post_categories as (
    select
        strftime(p.posted_on, '%Y-%m') as month,
        t.name as category,
        p.post_id
    from post_tags as pt
    inner join tags as t on pt.tag_id = t.tag_id
    inner join posts as p on pt.post_id = p.post_id
    where
        t.kind = 'category'
        and p.posted_on between $since and $until
        and ($category = '' or t.name = $category)
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
