create table if not exists input_files (
    path varchar not null,
    size_bytes bigint not null,
    modified_ns bigint not null,
    inode bigint not null,
    document_id varchar not null
);

comment on table input_files is 'Storage-internal: every input file a run read, as it was then, so a later run skips it unread while its size, modification time and inode are unchanged.';
comment on column input_files.path is 'Key. Path of the file, written as documents.path.';
comment on column input_files.size_bytes is 'Size in bytes when read.';
comment on column input_files.modified_ns is 'Modification time (ns since the epoch) when read.';
comment on column input_files.inode is 'Inode when read.';
comment on column input_files.document_id is 'SHA-256 of the bytes read (documents.document_id).';
