-- search_index off (etl/search/index.py drop): the index's tables dropped, in the run's open
-- transaction, then made again, empty, from sql/tables/ (a change of the catalog only: no data
-- file is read or deleted; earlier snapshots keep their index until retention expires them).
drop table search_postings;
drop table search_docs;
drop table search_forms;
drop table search_stats;
