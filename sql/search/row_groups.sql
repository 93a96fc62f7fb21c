-- Larger row groups for the postings than the lake's 16,384 rows (set for 3 KB bodies): a
-- term lookup reads every row group's min/max in the footers, 8x fewer at 131,072 rows
-- (bench/spike/search/RESULTS.md). Postings rows are small: 131,072 of them stay far under
-- the lake's 8 MB row-group limit.
call {alias}.set_option('parquet_row_group_size', '131072', table_name => 'search_postings')
