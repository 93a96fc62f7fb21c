-- The documents that hold a copy of a post in rekey_candidates, each with the posts it holds
-- and every path a run read it at (documents, input_files): the document each post was first
-- seen in first, then those it was seen in again (comments has a row for each).
with held as (
    select
        p.post_id,
        p.document_id,
        0 as rank
    from posts as p
    semi join rekey_candidates as c on p.post_id = c.post_id
    union all
    select
        m.post_id,
        m.document_id,
        1 as rank
    from comments as m
    semi join rekey_candidates as c on m.post_id = c.post_id
),

paths as (
    select
        document_id,
        path
    from documents
    where status = 'loaded'
    union
    select
        document_id,
        path
    from input_files
),

final as (
    select
        h.document_id,
        list(distinct h.post_id order by h.post_id) as posts,
        list(distinct p.path order by p.path) as paths
    from held as h
    inner join paths as p on h.document_id = p.document_id
    group by h.document_id
    order by min(h.rank), h.document_id
)

select * from final
