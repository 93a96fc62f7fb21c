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

comment on view post_details is 'One row per post with its names resolved (author, source, categories, latest comment count): the view most questions start from. Grain: post_id.';
comment on column post_details.post_id is 'Key. The post (posts.post_id).';
comment on column post_details.title is 'Title line of the post (posts.title).';
comment on column post_details.author is 'Author from the byline field A in `By A | S | D` (authors.name), NULL if none.';
comment on column post_details.source is 'Outlet from the byline field S in `By A | S | D` (sources.name), NULL if none.';
comment on column post_details.published_on is 'Byline date D: when the outlet published it (posts.published_on).';
comment on column post_details.posted_on is 'Footer date: when the blog posted it (posts.posted_on).';
comment on column post_details.categories is 'Footer categories in footer order (tags.name via post_tags); empty list if none.';
comment on column post_details.tag_count is 'Tag links in the footer (posts.tag_count).';
comment on column post_details.comment_count is 'Footer comment count from the latest document that gave one (comments.comment_count); NULL when comments are off or never seen.';
comment on column post_details.comments_open is 'Whether comments were open in that latest observation (comments.comments_open).';
comment on column post_details.word_count is 'Words in the body (posts.word_count).';
comment on column post_details.document_id is 'Document the post was first seen in (posts.document_id); a complete copy that replaces an excerpt keeps it.';
comment on column post_details.is_complete is 'False for excerpts and cut-off posts (posts.is_complete).';
comment on column post_details.subtitle is 'Caption or subtitle lines between title and byline (posts.subtitle).';
comment on column post_details.image_credit is 'The © credit line between title and byline (posts.image_credit).';
comment on column post_details.published_on_guess is 'How an ambiguous slash byline date was read (posts.published_on_guess).';
comment on column post_details.repost_lag_days is 'posted_on minus published_on in days: footer date minus byline date; NULL unless both are known.';
comment on column post_details.comment_observations is 'In how many documents the post''s comment footer was seen (rows of comments).';
comment on column post_details.body is 'Body paragraphs, separated by blank lines (posts.body).';
comment on column post_details.run_id is 'The run that first loaded the post (posts.run_id); a later run that completes an excerpt replaces the text but not this.';
