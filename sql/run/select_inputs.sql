-- The input files a run reads (etl/run/inputs.py choose_inputs), in input order, with their size: every
-- discovered file (index, path, size, time and inode, null where it cannot be read: a Parquet
-- file of the run's) except those an earlier run read (input_files) with the same size, time
-- and inode, whose document needs no reading: loaded, or rejected and not retried (unless the
-- run retries rejected documents). etl/run/inputs.py choose_inputs fills in the file and true or false.
with discovered as (
    select * from read_parquet({discovered_files})
),

judged as (
    select
        d.file_index,
        d.path,
        d.size_bytes,
        coalesce(
            d.size_bytes = i.size_bytes
            and d.modified_ns = i.modified_ns
            and d.inode = i.inode
            and (k.status = 'loaded' or (k.status is not null and not {retry_rejected})),
            false
        ) as unchanged
    from discovered as d
    left join input_files as i on d.path = i.path
    left join documents as k on i.document_id = k.document_id
),

final as (
    select
        file_index,
        path,
        size_bytes
    from judged
    where not unchanged
    order by file_index
)

select * from final
