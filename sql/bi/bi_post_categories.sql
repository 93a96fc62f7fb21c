-- BI: one row per post and category (a post with three categories has three rows).
create or replace view bi_post_categories as
with

final as (
    select
        pt.post_id,
        t.name as category,
        pt.position as category_position,
        pt.position = 1 as is_primary_category,
        p.title,
        coalesce(p.author, '(no author)') as author,
        coalesce(p.source, '(no source)') as source,
        p.posted_on as posted_date,
        date_trunc('month', p.posted_on)::date as posted_month,
        p.comment_count,
        p.word_count
    from post_tags as pt
    inner join tags as t on pt.tag_id = t.tag_id
    inner join post_details as p on pt.post_id = p.post_id
    where t.kind = 'category'
)

select * from final;

comment on view bi_post_categories is 'BI: one row per post per footer category (grain: post_id, category). Posts without a category have no row; count distinct post_id for post counts.';
comment on column bi_post_categories.post_id is 'Key part. The post (posts.post_id).';
comment on column bi_post_categories.category is 'Key part. Category name from the footer (`… Posted by | CATEGORY, CATEGORY | …`).';
comment on column bi_post_categories.category_position is 'Position of the category in the footer, from 1.';
comment on column bi_post_categories.is_primary_category is 'True for the first category of the footer.';
comment on column bi_post_categories.title is 'Title line of the post.';
comment on column bi_post_categories.author is 'Byline author, ''(no author)'' if none.';
comment on column bi_post_categories.source is 'Byline outlet, ''(no source)'' if none.';
comment on column bi_post_categories.posted_date is 'Footer date: when the blog posted it.';
comment on column bi_post_categories.posted_month is 'First day of the month of posted_date.';
comment on column bi_post_categories.comment_count is 'Latest footer comment count of the post.';
comment on column bi_post_categories.word_count is 'Words in the body of the post.';
