-- The documents read (in input order), then those rejected.
with final as (
    select * exclude (seq) from raw_documents
    union all
    select * exclude (seq) from rejected_documents
)

select * from final
