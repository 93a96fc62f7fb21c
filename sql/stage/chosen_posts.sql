-- The copy of each post that the run keeps: its first complete copy, else its first copy
-- (a complete copy beats an excerpt or a cut-off one). `first_seq` is where the post first
-- occurs, which orders posts and picks the spelling of names. Narrow on purpose: the
-- bodies stay in the raw files until the merge reads them.
with copies as (
    select
        post_id,
        seq,
        row_number() over (partition by post_id order by is_complete desc, seq) as copy_rank,
        min(seq) over (partition by post_id) as first_seq
    from raw_posts
),

final as (
    select
        post_id,
        seq,
        first_seq
    from copies
    where copy_rank = 1
)

select * from final
