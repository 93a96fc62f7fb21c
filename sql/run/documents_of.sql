-- The raw documents rows of the document ids in $1 (a list): the documents a run rejects
-- after validation, with the file each came from (its seq).
with final as (
    select
        document_id,
        path,
        size_bytes,
        seq
    from raw_documents
    where list_contains($1, document_id)
)

select * from final
