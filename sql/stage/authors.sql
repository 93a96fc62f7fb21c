-- Authors of the kept posts, spelled as where they first occur.
with kept as (
    select
        r.author_id,
        r.author,
        r.run_id,
        c.first_seq
    from raw_posts as r
    inner join chosen_posts as c on r.seq = c.seq
    where r.author_id is not null
),

final as (
    select
        author_id,
        arg_min(author, first_seq) as name,
        any_value(run_id) as run_id
    from kept
    group by author_id
    order by min(first_seq)
)

select * from final
