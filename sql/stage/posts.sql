with final as (
    select r.* exclude (seq, author, source)
    from raw_posts as r
    inner join chosen_posts as c on r.seq = c.seq
    order by c.first_seq
)

select * from final
