-- raw_<table>: the rows the extract workers wrote to the Parquet files {files}, less those
-- of the input files the run set aside (excluded_files: a second copy of a document met
-- earlier in the run, or a document whose rows failed validation).
select *
from read_parquet('{files}')
where seq // {stride} not in (select e.file_index from excluded_files as e)
