-- Whether the committed search_postings table lacks its row-group size (sql/search/row_groups.sql):
-- read from the DuckLake's own catalog, which holds committed tables only (DuckLake refuses
-- the option on a table created in the open transaction: a --full-refresh's; the next run sets it).
select count(*) > 0
from __ducklake_metadata_{alias}.ducklake_table as t
where
    t.table_name = 'search_postings'
    and t.end_snapshot is null
    and not exists (
        select 1
        from __ducklake_metadata_{alias}.ducklake_metadata as m
        where m.key = 'parquet_row_group_size' and m.scope = 'table' and m.scope_id = t.table_id
    )
