-- One observation per post and document: its first occurrence in the document.
with final as (
    select * exclude (seq)
    from raw_comments
    qualify row_number() over (partition by post_id, document_id order by seq) = 1
    order by seq
)

select * from final
