-- raw_<table>: the rows the extract workers wrote to the Parquet files of the variable
-- raw_<table>_files (a glob, set by etl/run/transform.py open_stage), less those
-- of the input files the run set aside (excluded_files: a second copy of a document met
-- earlier in the run, or a document whose rows failed validation).
select *
from read_parquet(getvariable('raw_{table}_files'))
where seq // {stride} not in (select e.file_index from excluded_files as e)
