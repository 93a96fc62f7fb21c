-- One comment-count row per post and document: the first copy of the post in that document.
-- (An aggregate and a semi join, not a window: both spill to disk beyond DuckDB's memory
-- limit, which a window over every raw row did not, at 10 GB of input.)
with firsts as (
    select min(seq) as seq
    from raw_comments
    group by post_id, document_id
),

final as (
    select r.* exclude (seq)
    from raw_comments as r
    semi join firsts as f on r.seq = f.seq
    order by r.seq
)

select * from final
