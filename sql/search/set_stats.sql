-- The index's one row, replaced (numbers formatted in by etl/search/index.py).
delete from search_stats;

insert into search_stats (docs, avg_title, avg_body, next_doc)
values ({docs}, {avg_title}, {avg_body}, {next_doc});
