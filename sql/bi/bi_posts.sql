-- BI: one row per post, flat and dashboard-friendly (no lists, no body text).
create or replace view bi_posts as
with

final as (
    select
        post_id,
        title,
        coalesce(author, '(no author)') as author,
        coalesce(source, '(no source)') as source,
        published_on as published_date,
        posted_on as posted_date,
        date_trunc('week', posted_on)::date as posted_week,
        date_trunc('month', posted_on)::date as posted_month,
        dayname(posted_on) as posted_weekday,
        -- coalesce: for an empty list DuckDB 1.5 gives '', older engines (1.1) NULL; BI tools run this SQL with theirs
        coalesce(array_to_string(categories, ' | '), '') as categories,
        categories[1] as primary_category,
        len(categories) as category_count,
        tag_count,
        comment_count,
        comments_open,
        word_count,
        repost_lag_days,
        is_complete,
        comment_observations as dumps_seen_in
    from post_details
)

select * from final;

comment on view bi_posts is 'BI: one row per post (grain: post_id), names resolved, dates bucketed, categories as text. Start here for post counts, lengths and comments.';
comment on column bi_posts.post_id is 'Key. The post: stable hash of title and byline (posts.post_id).';
comment on column bi_posts.title is 'Title line of the post.';
comment on column bi_posts.author is 'Byline author (field A in `By A | S | D`), ''(no author)'' when the byline names none.';
comment on column bi_posts.source is 'Byline outlet (field S in `By A | S | D`), ''(no source)'' when the byline names none.';
comment on column bi_posts.published_date is 'Byline date D: when the outlet published the article.';
comment on column bi_posts.posted_date is 'Footer date (`DATE Posted by | …`): when the blog posted it. NULL for excerpts and cut-off posts.';
comment on column bi_posts.posted_week is 'Monday of the ISO week of posted_date.';
comment on column bi_posts.posted_month is 'First day of the month of posted_date.';
comment on column bi_posts.posted_weekday is 'Weekday name of posted_date (Monday … Sunday).';
comment on column bi_posts.categories is 'Footer categories in footer order, joined with '' | '' (category names can contain commas); empty if none.';
comment on column bi_posts.primary_category is 'First footer category, NULL if none.';
comment on column bi_posts.category_count is 'Number of footer categories.';
comment on column bi_posts.tag_count is 'Tag links in the footer (names are lost in dumps).';
comment on column bi_posts.comment_count is 'Latest footer comment count (Leave a comment = 0, N Comments = N); NULL when comments are off or unknown.';
comment on column bi_posts.comments_open is 'False for "Comments Off on …"; NULL when unknown.';
comment on column bi_posts.word_count is 'Words in the body.';
comment on column bi_posts.repost_lag_days is 'Footer date minus byline date, in days; NULL unless both are known.';
comment on column bi_posts.is_complete is 'False for excerpts (… continue) and posts cut off at the end of a dump.';
comment on column bi_posts.dumps_seen_in is 'Number of dump documents the post''s comment footer was seen in.';
