create table if not exists upgrades (
    upgrade varchar not null,
    run_id varchar not null,
    post_id varchar
);

comment on table upgrades is 'Storage-internal: the data upgrades applied to this state of the warehouse (etl/run/rekey.py), one row each, and the posts one left for a later run. Restored with the data by a rollback: a state from before an upgrade is upgraded again.';
comment on column upgrades.upgrade is 'Which upgrade: nfc-keys (ids of the NFC form of names and titles).';
comment on column upgrades.run_id is 'The run (or etl upgrade) that applied it.';
comment on column upgrades.post_id is 'NULL on the upgrade''s own row. Else a post whose id still comes from text that was not NFC (no dump of it could be read again): the run that next loads a copy of it gives it the id of its NFC form.';
