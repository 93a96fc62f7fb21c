-- The analyzed posts (etl/search/index.py staged them as Parquet in the run's folder) into
-- the index, in the run's open transaction: the docs in doc order, so that a page's docs are
-- read from the row groups that hold them (sql/search/docs.sql); the forms the index had not
-- seen. The postings follow (sql/search/insert_postings.sql). A run of many posts executes
-- these on more threads (etl/search/index.py), so each order is explicit.
insert into search_docs by name
select * from read_parquet('{folder}/*-docs.parquet')
order by doc;

insert into search_forms by name
select distinct f.form, f.term
from read_parquet('{folder}/*-forms.parquet') as f
anti join search_forms as s on f.form = s.form
order by f.form;
