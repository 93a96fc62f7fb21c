-- Outlets of the kept posts, by their canonical name.
with final as (
    select
        source_id,
        arg_min(source, first_seq) as name,
        any_value(run_id) as run_id
    from chosen_posts
    where source_id is not null
    group by source_id
    order by min(first_seq)
)

select * from final
