-- Remember the input files this run read (raw_input_files, written by the extract workers):
-- a file read again replaces its row, so a later run skips it unread while it stays unchanged.
delete from input_files
where path in (select r.path from raw_input_files as r);

-- A file given twice was read twice: one row.
insert into input_files by name
select distinct on (path) *
from raw_input_files;
