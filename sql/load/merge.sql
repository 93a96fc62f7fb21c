-- Merge the staged tables of one run (staged_<table>, in the attached staging database)
-- into the warehouse.
-- Runs on the run's private copy of the database. Posts are never duplicated: a post already
-- stored is kept, unless the stored copy is an excerpt or cut off and the staged copy is
-- complete; then the post's text and its categories are replaced by the complete copy.

create or replace temp table merge_new_posts as
select s.post_id
from staged_posts as s
anti join posts as p on s.post_id = p.post_id;

create or replace temp table merge_upgraded_posts as
select s.post_id
from staged_posts as s
inner join posts as p on s.post_id = p.post_id
where s.is_complete and not p.is_complete;

-- Partitions (table, run) of earlier runs whose rows this merge replaces or updates: the
-- run rewrites their Parquet files (etl/load.py, export_parquet).
create or replace temp table merge_touched as
select
    'posts' as table_name,
    p.run_id
from posts as p
semi join merge_upgraded_posts as u on p.post_id = u.post_id
union
select
    'post_tags' as table_name,
    t.run_id
from post_tags as t
semi join merge_upgraded_posts as u on t.post_id = u.post_id
union
select
    'documents' as table_name,
    d.run_id
from documents as d
semi join staged_documents as s on d.document_id = s.document_id
union
select
    'comment_entries' as table_name,
    c.run_id
from comment_entries as c
semi join staged_comment_entries as s on c.post_id = s.post_id and c.position = s.position;

insert or replace into documents by name
select * from staged_documents;

insert or ignore into sources by name
select * from staged_sources;

insert or ignore into authors by name
select * from staged_authors;

insert or ignore into tags by name
select * from staged_tags;

delete from post_tags
where post_id in (select u.post_id from merge_upgraded_posts as u);

-- Only columns without a foreign key: DuckDB updates a foreign-key column as a delete and
-- an insert, which fails while comments or post_tags reference the post. author_id and
-- source_id cannot differ (the post_id hashes the byline); document_id, line_number and
-- run_id keep pointing at the copy that first brought the post.
update posts
set
    title = s.title,
    subtitle = s.subtitle,
    image_credit = s.image_credit,
    published_on = s.published_on,
    published_on_guess = s.published_on_guess,
    posted_on = s.posted_on,
    body = s.body,
    word_count = s.word_count,
    tag_count = s.tag_count,
    is_complete = s.is_complete
from staged_posts as s
where
    posts.post_id = s.post_id
    and posts.post_id in (select u.post_id from merge_upgraded_posts as u);

insert into posts by name
select s.*
from staged_posts as s
semi join merge_new_posts as n on s.post_id = n.post_id;

insert into post_tags by name
select s.*
from staged_post_tags as s
where
    s.post_id in (select n.post_id from merge_new_posts as n)
    or s.post_id in (select u.post_id from merge_upgraded_posts as u);

insert or ignore into comments by name
select * from staged_comments;

insert or replace into comment_entries by name
select * from staged_comment_entries;

insert into document_warnings by name
select * from staged_document_warnings;
