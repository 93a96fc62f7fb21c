-- The documents in the warehouse a run does not read again, by the first 16 bytes of their
-- id (a SHA-256 in hex), sorted (etl/run/inputs.py Known): those loaded, and those rejected unless
-- the run retries them (the parameter).
with keys as (
    select unhex(left(document_id, 32)) as id_key
    from documents
    where status = 'loaded' or not $1
),

final as (
    select distinct id_key
    from keys
    order by id_key
)

select * from final
