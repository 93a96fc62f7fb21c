-- The data dictionary (etl/storage/described.py): every key constraint of the DDL's tables.
select table_name, constraint_type, constraint_column_names, referenced_table, referenced_column_names
from duckdb_constraints()
where schema_name = 'main' and constraint_type in ('PRIMARY KEY', 'FOREIGN KEY', 'UNIQUE')
order by table_name, constraint_index;
