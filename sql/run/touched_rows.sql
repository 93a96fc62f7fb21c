-- touched_{table} (etl/run/pipeline.py): the key ({key}) of every row of {table}, as the run will
-- publish it, that shares it with one of the run's new rows (staged_{table}): what the table's
-- uniqueness expectation checks. Every earlier snapshot passed it, so a duplicate can only
-- involve a key the run brings, and the check costs what the run adds, not the warehouse.
-- Narrow, and written once (etl/run/transform.py materialize): GX's uniqueness query joins its
-- relation with itself, and a view would repeat this semi join in each of its two sides.
with final as (
    select {key}
    from "{table}" as t
    semi join staged_{table} as s on {on}
)

select * from final
