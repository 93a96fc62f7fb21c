-- Outlets of the kept posts, by their canonical name.
with kept as (
    select
        r.source_id,
        r.source,
        r.run_id,
        c.first_seq
    from raw_posts as r
    inner join chosen_posts as c on r.seq = c.seq
    where r.source_id is not null
),

final as (
    select
        source_id,
        arg_min(source, first_seq) as name,
        any_value(run_id) as run_id
    from kept
    group by source_id
    order by min(first_seq)
)

select * from final
