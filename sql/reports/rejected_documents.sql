-- Rejected documents: the dump files runs refused, and why.
-- param since: date = 1900-01-01
-- param limit: integer = 100
with

final as (
    select
        d.path,
        d.size_bytes,
        d.error,
        d.run_id,
        r.started_at as rejected_at
    from documents as d
    inner join runs as r on d.run_id = r.run_id
    where d.status = 'rejected' and r.started_at::date >= $since
    order by r.started_at desc, d.path
    limit $limit
)

select * from final;
