-- Categories of the kept copy of each post.
with final as (
    select
        t.post_id,
        t.tag_id,
        t.position,
        t.run_id
    from raw_post_tags as t
    semi join chosen_posts as c on t.seq = c.seq
    order by t.seq, t.position
)

select * from final
