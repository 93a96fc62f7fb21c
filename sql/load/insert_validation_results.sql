-- Record the outcome of every expectation evaluated in the run.
insert into validation_results by name
select * from staged_validation_results;
