-- The analyzed posts (etl/search/index.py staged them as Parquet in the run's folder) into
-- the index, in the run's open transaction. The postings as one file sorted by term, so that
-- a term's lookup reads the row groups whose min/max hold it.
insert into search_docs by name
select * from read_parquet('{folder}/docs-*.parquet');

insert into search_postings by name
select * from read_parquet('{folder}/postings-*.parquet')
order by term, doc;

insert into search_forms by name
select distinct f.form, f.term
from read_parquet('{folder}/forms-*.parquet') as f
anti join search_forms as s on f.form = s.form
order by f.form;
