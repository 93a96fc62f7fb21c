-- The columns of the raw rows of a run, which the extract workers write as Parquet files
-- (etl/core/schemas.py raw_schemas reads them off these tables, created after sql/tables/): the
-- columns of the warehouse tables plus what staging needs to pick one copy of each post.
-- `seq` orders rows as they occur in the inputs: file index * 2^20 + position in the file.
create table raw_documents as
select
    *,
    0::bigint as seq
from documents limit 0;

create table raw_document_warnings as
select
    *,
    0::bigint as seq
from document_warnings limit 0;

-- nfd_post_id: the id releases before NFC keys gave the post's NFD form, when it differs
-- (etl/run/transform.py nfd_post_id): a post such a release stored is found by it (etl/run/rekey.py).
create table raw_posts as
select
    *,
    0::bigint as seq,
    ''::varchar as author,
    ''::varchar as source,
    ''::varchar as nfd_post_id
from posts limit 0;

create table raw_post_tags as
select
    *,
    0::bigint as seq,
    ''::varchar as name,
    ''::varchar as kind,
    ''::varchar as document_id
from post_tags limit 0;

create table raw_comments as
select
    *,
    0::bigint as seq
from comments limit 0;

create table raw_comment_entries as
select
    *,
    0::bigint as seq
from comment_entries limit 0;

-- Every input file a worker read, as it was then: not a table's rows, not set aside with them.
create table raw_input_files as
select *
from input_files limit 0;
