-- The data dictionary (etl/storage/described.py): every column of the DDL's tables and views, in order.
select table_name, column_name, data_type, is_nullable, comment
from duckdb_columns()
where schema_name = 'main'
order by table_name, column_index;
