-- The comment thread of each post: from its copy with the longest thread (of equal ones, the
-- last in input order). The kept copy is often a listing page, which shows no thread; the
-- thread comes from the post's own page. Not sorted, as post_tags.
with threads as (
    select
        post_id,
        seq,
        count(*) as entries
    from raw_comment_entries
    group by post_id, seq
),

longest as (
    select seq
    from threads
    qualify row_number() over (partition by post_id order by entries desc, seq desc) = 1
),

final as (
    select r.* exclude (seq)
    from raw_comment_entries as r
    semi join longest as l on r.seq = l.seq
)

select * from final
