-- Documents already in the warehouse, to skip them by SHA-256.
select
    document_id,
    status,
    path
from documents;
