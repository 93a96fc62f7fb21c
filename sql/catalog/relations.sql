-- The data dictionary (etl/storage/described.py): every table and view of the DDL, with its comment.
select table_name, 'table', comment from duckdb_tables() where schema_name = 'main' and not temporary
union all
select view_name, 'view', comment from duckdb_views()
where schema_name = 'main' and not internal and not temporary;
