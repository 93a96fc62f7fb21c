-- The dashboard: the documents a published run rejected. Parameter: the run id.
select path, size_bytes, error
from documents
where run_id = ? and status = 'rejected'
order by path;
