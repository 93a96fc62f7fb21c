-- The ranked page of `etl search` (etl/search/searcher.py), over the index tables of one
-- snapshot. Parameters: $query, one row per term of each alternative of each group
-- (grp, alt, term, off, size, phrase: etl/search/query.py Query.rows); $groups, how many
-- groups; $limit. Formatted in by the searcher: the query's terms as literals (a literal
-- IN list lets the scan skip the row groups of other terms: the postings are sorted by
-- term), the condition on the excluded terms (term in (…), or false: then DuckDB reads
-- nothing for it), and the filter of sql/search/allowed.sql if any.
-- A post matches when every group holds: one of its alternatives has all its terms, a
-- phrase at their offsets. Its score is BM25F: the sum over the query's terms it has of
-- idf x impact (the term's tf / (k1 + tf) in the post, title weighted, frozen at index time).
with

q as (
    select unnest($query, recursive := true)
),

p as materialized (
    select
        term,
        doc,
        impact,
        pos
    from search_postings
    where term in ({terms})
),

df as (
    select
        term,
        count(*)::double as df
    from p
    group by term
),

alt_hits as (
    select
        p.doc,
        q.grp,
        q.alt,
        any_value(q.phrase) as phrase
    from p
    inner join q on p.term = q.term
    group by p.doc, q.grp, q.alt
    having count(distinct q.off) = any_value(q.size)
),

aligned as (
    select distinct
        doc,
        grp,
        alt
    from (
        select
            p.doc,
            q.grp,
            q.alt,
            q.off,
            q.size,
            unnest(p.pos) - q.off as start
        from p
        inner join q on p.term = q.term
        semi join (select * from alt_hits where phrase) as h on p.doc = h.doc and q.grp = h.grp and q.alt = h.alt
    )
    group by doc, grp, alt, start
    having count(distinct off) = any_value(size)
),

held as (
    select doc, grp from alt_hits where not phrase
    union all
    select doc, grp from aligned
),

candidates as (
    select doc
    from held
    group by doc
    having count(distinct grp) = $groups
),

excluded as (
    select doc
    from search_postings
    where {excluded}
),

ranked as (
    select
        p.doc,
        sum(ln(1 + (s.docs - df.df + 0.5) / (df.df + 0.5)) * p.impact / 255) as score
    from p
    semi join candidates as c on p.doc = c.doc
    anti join excluded as e on p.doc = e.doc
    {allowed}
    inner join df on p.term = df.term
    cross join (select * from search_stats order by next_doc desc, docs limit 1) as s  -- the latest row
    group by p.doc
)

select
    doc,
    score
from ranked
order by score desc, doc
limit $limit
