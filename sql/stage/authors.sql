-- Authors of the kept posts, spelled as where they first occur.
with final as (
    select
        author_id,
        arg_min(author, first_seq) as name,
        any_value(run_id) as run_id
    from chosen_posts
    where author_id is not null
    group by author_id
    order by min(first_seq)
)

select * from final
