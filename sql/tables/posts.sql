create table if not exists posts (
    post_id varchar primary key,
    title varchar not null,
    subtitle varchar,
    image_credit varchar,
    author_id varchar references authors (author_id),
    source_id varchar references sources (source_id),
    published_on date,
    published_on_guess varchar,
    posted_on date,
    body varchar not null,
    word_count integer not null,
    tag_count integer not null,
    is_complete boolean not null,
    document_id varchar not null references documents (document_id),
    line_number integer not null,
    run_id varchar not null references runs (run_id)
);

comment on table posts is 'One row per distinct post, however many dumps it was seen in.';
comment on column posts.post_id is 'Key. Stable hash of the normalized title and byline (case, spaces, punctuation and Unicode form ignored): the same post in two dumps gets the same id.';
comment on column posts.title is 'Title line of the post, whitespace (non-breaking spaces too) collapsed.';
comment on column posts.subtitle is 'Caption or subtitle lines between title and byline (repeated lines once), NULL if none.';
comment on column posts.image_credit is 'The © credit line between title and byline, NULL if none.';
comment on column posts.author_id is 'Author from the byline (By A | …), NULL if the byline names none.';
comment on column posts.source_id is 'Outlet from the byline, NULL if none.';
comment on column posts.published_on is 'Date in the byline: when the outlet published it. NULL if the byline has no date.';
comment on column posts.published_on_guess is 'For an ambiguous slash date (01/07/2020): the reading taken, month-first or day-first (the one nearest the footer date). NULL when the date was certain.';
comment on column posts.posted_on is 'Date in the footer: when the blog posted it. NULL only for posts without a footer (excerpts, cut-off posts).';
comment on column posts.body is 'Body paragraphs, separated by blank lines.';
comment on column posts.word_count is 'Words in the body (whitespace-separated).';
comment on column posts.tag_count is 'Tag links in the footer (their names are lost in dumps: k commas mean k+1 tags; no tag field means 0).';
comment on column posts.is_complete is 'False for excerpts (… continue) and posts cut off at the end of a dump.';
comment on column posts.document_id is 'Document the post was first seen in (an excerpt completed later keeps it: see comments for every document it was seen in).';
comment on column posts.line_number is 'Line of the title in document_id.';
comment on column posts.run_id is 'The run that first loaded the post (a later run that completes an excerpt counts it in runs.posts_updated).';
