-- touched_{table} (etl/pipeline.py): the rows of {table}, as the run will publish it, that share
-- a value of one of its uniqueness keys with the run's new rows (staged_{table}): the rows its
-- uniqueness expectations check. Every earlier snapshot passed them, so a duplicate can only
-- involve a key the run brings, and the check costs what the run adds, not the warehouse.
with final as (
    select t.*
    from "{table}" as t
    where {condition}
)

select * from final
