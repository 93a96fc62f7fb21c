-- The analyzed posts (etl/search/index.py staged them as Parquet in the run's folder) into
-- the index, in the run's open transaction. The postings as one file sorted by term, so that
-- a term's lookup reads the row groups whose min/max hold it; the docs in doc order, so that a
-- page's docs are read from the row groups that hold them (sql/search/docs.sql). A run of
-- many posts executes this on more threads (etl/search/index.py), so each order is explicit.
-- Each analyzed file holds its postings by term, then doc already: the sort over those sorted
-- runs takes a quarter less time than over files in doc order (bench/README.md, round 6).
insert into search_docs by name
select * from read_parquet('{folder}/*-docs.parquet')
order by doc;

insert into search_postings by name
select * from read_parquet('{folder}/*-postings.parquet')
order by term, doc;

insert into search_forms by name
select distinct f.form, f.term
from read_parquet('{folder}/*-forms.parquet') as f
anti join search_forms as s on f.form = s.form
order by f.form;
