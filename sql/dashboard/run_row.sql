-- The dashboard: a run's row of runs (none: the run published nothing). Parameter: the run id.
select * from runs where run_id = ?;
