with final as (
    select * from raw_document_warnings
)

select * from final
