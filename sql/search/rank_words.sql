-- The ranked page of `etl search` for a query without phrases: sql/search/rank.sql without
-- the positions (not read at all), each alternative one term. The same parameters.
with

q as (
    select unnest($query, recursive := true)
),

p as materialized (
    select
        term,
        doc,
        impact
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

candidates as (
    select p.doc
    from p
    inner join q on p.term = q.term
    group by p.doc
    having count(distinct q.grp) = $groups
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
