with final as (
    select * exclude (seq) from raw_document_warnings
)

select * from final
