-- search(q): full-text search for SQL users and BI tools, in plain SQL over the index
-- tables (sql/tables/search_*.sql), on DuckDB 1.1 and later with no extension:
--     select * from search('sanctions iran');
--     select * from search('sanctions iran', max_hits := 50);
-- Every word of q is required (no phrases, -word or OR: those are `etl search`'s). The
-- words are folded (lower case, accents off) and split as the index splits them; stop
-- words are dropped (the list is etl/search/analyze.py's STOP_WORDS); each word is stemmed
-- by a lookup in search_forms, which holds every word the index has seen whose stem differs
-- from it (a word it never saw is searched as written). Ranked by BM25F, as `etl search`.
create or replace macro search(q, max_hits := 10) as table
with

words as (
    select distinct unnest(regexp_split_to_array(lower(strip_accents(q)), '[^a-z0-9]+')) as form
),

query_terms as (
    select distinct coalesce(f.term, w.form) as term
    from words as w
    left join search_forms as f on w.form = f.form
    where
        w.form <> ''
        and length(w.form) <= 40
        and w.form not in (
            'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'if', 'in', 'into', 'is', 'it',
            'no', 'not', 'of', 'on', 'or', 'such', 'that', 'the', 'their', 'then', 'there', 'these', 'they',
            'this', 'to', 'was', 'will', 'with'
        )
),

p as (
    select
        sp.term,
        sp.doc,
        sp.impact
    from search_postings as sp
    where sp.term in (select qt.term from query_terms as qt)
),

df as (
    select
        term,
        count(*)::double as df
    from p
    group by term
),

ranked as (
    select
        p.doc,
        sum(ln(1 + (s.docs - df.df + 0.5) / (df.df + 0.5)) * p.impact / 255) as score
    from p
    inner join df on p.term = df.term
    cross join (select * from search_stats order by next_doc desc, docs limit 1) as s  -- the latest row
    group by p.doc
    having count(*) = (select count(*) from query_terms)
    order by score desc, p.doc
    limit max_hits
)

select
    d.post_id,
    po.title,
    so.name as source,
    au.name as author,
    coalesce(po.published_on, po.posted_on) as date,
    round(r.score, 3) as score
from ranked as r
inner join search_docs as d on r.doc = d.doc
inner join posts as po on d.post_id = po.post_id
left join sources as so on po.source_id = so.source_id
left join authors as au on po.author_id = au.author_id
order by r.score desc, r.doc;
