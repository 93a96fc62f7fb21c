"""Full-text search over the posts: an inverted index kept as tables of the warehouse's own
DuckLake (sql/tables/search_*.sql), written by each run in its own commit, ranked by BM25F
in SQL (sql/search/). `analyze` turns text into terms, `index` writes the index, `query`
parses a query, `searcher` runs it. docs/search.md describes the design."""
