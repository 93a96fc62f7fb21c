-- What the run has staged to load: documents read and parsed, and the posts in them
-- (every copy, before a post's copies are reduced to one).
with final as (
    select
        (select count(*) from staged_documents where status = 'loaded') as documents,
        (select count(*) from raw_posts) as posts
)

select * from final
