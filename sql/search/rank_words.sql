-- The ranked page of `etl search` for a query without phrases (each alternative one term) of
-- at most 62 groups: sql/search/rank.sql in one pass over the postings, without positions
-- (not read at all). The same parameters. Each term carries the groups it holds as bits
-- (a term may be in several), so a post's groups are the bit_or of its terms' masks: it
-- matches when that has every group's bit.
with

q as (
    select unnest($query, recursive := true)
),

masks as (
    select
        term,
        bit_or(1::bigint << grp) as mask
    from q
    group by term
),

p as materialized (
    select
        term,
        doc,
        impact
    from search_postings
    where term in ({terms})
),

idf as (
    select
        df.term,
        ln(1 + (s.docs - df.df + 0.5) / (df.df + 0.5)) as idf
    from (select term, count(*)::double as df from p group by term) as df
    cross join (select * from search_stats order by next_doc desc, docs limit 1) as s  -- the latest row
),

excluded as (
    select doc
    from search_postings
    where {excluded}
),

ranked as (
    select
        p.doc,
        sum(idf.idf * p.impact / 255) as score
    from p
    inner join masks as m on p.term = m.term
    inner join idf on p.term = idf.term
    anti join excluded as e on p.doc = e.doc
    {allowed}
    group by p.doc
    having bit_or(m.mask) = (1::bigint << $groups) - 1
)

select
    doc,
    score
from ranked
order by score desc, doc
limit $limit
