-- The input files whose document (the same bytes) another file of the run has, earlier in
-- input order: their rows are set aside (excluded_files), only the first copy's are kept.
with documents as (
    select
        document_id,
        seq
    from read_parquet(getvariable('raw_documents_files'))
),

firsts as (
    select min(seq) as seq
    from documents
    group by document_id
),

final as (
    select d.seq // {stride} as file_index
    from documents as d
    anti join firsts as f on d.seq = f.seq
)

select * from final
