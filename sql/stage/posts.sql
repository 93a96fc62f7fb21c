with final as (
    select * exclude (seq, first_seq, author, source)
    from chosen_posts
    order by first_seq
)

select * from final
