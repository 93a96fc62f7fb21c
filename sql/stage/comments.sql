-- One comment-count row per post and document: that of the post's first copy in the document,
-- the only one the extract workers write (etl/run/transform.py document_rows). A plain scan: an
-- aggregate over every raw row here took 100 MB at 1.5 GB of input.
with final as (
    select * exclude (seq)
    from raw_comments
)

select * from final
