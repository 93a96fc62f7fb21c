-- A run of the analyzed postings files (etl/search/index.py: consecutive files, at most
-- POSTINGS_PER_SORT rows: one file for any run up to that) into the index as one file sorted
-- by term, so that a term's lookup reads the row groups whose min/max hold it. Each analyzed
-- file holds its postings by term, then doc already: the sort over those sorted runs takes a
-- quarter less time than over files in doc order (bench/README.md, round 6).
insert into search_postings by name
select * from read_parquet([{files}])
order by term, doc;
