-- How many posts the run replaced by a complete copy (sql/load/merge.sql).
select count(*) from merge_upgraded_posts
