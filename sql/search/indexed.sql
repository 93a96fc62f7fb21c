-- Whether the snapshot read has a search index: the posts it holds (no row: none).
select docs from search_stats
order by next_doc desc, docs
limit 1
