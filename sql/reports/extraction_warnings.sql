-- Extraction warnings: what the extractor found odd but loaded anyway, per kind of warning.
-- param limit: integer = 50
with

per_code as (
    select
        code,
        count(*) as warnings,
        count(distinct document_id) as documents,
        min(message) as example
    from document_warnings
    group by code
),

final as (
    select * from per_code
    order by warnings desc, code
    limit $limit
)

select * from final;
