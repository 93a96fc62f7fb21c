-- Categories of the kept posts, spelled as where they first occur.
with kept as (
    select
        t.*,
        c.first_seq
    from raw_post_tags as t
    inner join chosen_posts as c on t.seq = c.seq
),

final as (
    select
        tag_id,
        arg_min(name, (first_seq, position)) as name,
        any_value(kind) as kind,
        any_value(run_id) as run_id
    from kept
    group by tag_id
    order by min((first_seq, position))
)

select * from final
