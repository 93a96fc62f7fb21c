-- Categories of the kept copy of each post. Not sorted (no table's rows have an order): a sort
-- carried every row through memory, 90 MB at 1.5 GB of input.
with final as (
    select
        t.post_id,
        t.tag_id,
        t.position,
        t.run_id
    from raw_post_tags as t
    semi join chosen_posts as c on t.seq = c.seq
)

select * from final
