-- Remember the input files this run read (staged_input_files): a file read again replaces
-- its row, so a later run skips it unread while it stays unchanged.
delete from input_files
where path in (select s.path from staged_input_files as s);

insert into input_files by name
select * from staged_input_files;
