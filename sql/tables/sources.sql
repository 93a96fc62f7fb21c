create table if not exists sources (
    source_id varchar primary key,
    name varchar not null,
    run_id varchar not null references runs (run_id)
);

comment on table sources is 'Outlets posts were taken from, one row per outlet after spelling normalization (data/source_aliases.csv).';
comment on column sources.source_id is 'Key. Hash of the normalized outlet name.';
comment on column sources.name is 'Outlet name: the canonical spelling (data/known_sources.txt, aliases) or the first seen. Byline field S in `By A | S | D`.';
comment on column sources.run_id is 'The run that first loaded the outlet.';
