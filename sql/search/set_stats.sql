-- The index's numbers after this update, as a row of its own (formatted in by
-- etl/search/index.py). Rows are added, never replaced: a run then deletes nothing here, so the
-- file of the last published run's row is not one the run must free (etl/storage/maintain.py).
insert into search_stats (docs, avg_title, avg_body, next_doc, located)
values ({docs}, {avg_title}, {avg_body}, {next_doc}, true);
