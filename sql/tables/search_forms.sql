create table if not exists search_forms (
    form varchar primary key,
    term varchar not null
);

comment on table search_forms is 'Search index: every folded word the index has seen whose stem differs from it, and that stem. How SQL (the search() macro) stems a query''s words with no extension.';
comment on column search_forms.form is 'Key. A word as folded: lower case, accents off.';
comment on column search_forms.term is 'Its stem (search_postings.term).';
