with final as (
    select * from raw_documents
)

select * from final
