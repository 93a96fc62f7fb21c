-- The kept copy of each post. Not sorted: sorting would carry every body through memory.
with final as (
    select r.* exclude (seq, author, source, nfd_post_id)
    from raw_posts as r
    semi join chosen_posts as c on r.seq = c.seq
)

select * from final
