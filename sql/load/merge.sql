-- Merge the staged tables of one run (the staged_<table> views of sql/stage/) into the
-- warehouse's tables, inside the run's one DuckLake transaction. The table format has no
-- key constraints: each statement keeps its table's key unique itself.
-- Posts are never duplicated: a post already stored is kept, unless the stored copy is an
-- excerpt or cut off and the staged copy is complete; then the post (every column
-- but three) and its categories are replaced by the complete copy (document_id, line_number and run_id keep
-- pointing at the copy that first brought the post).

-- The new posts, with the seq of their kept copy (chosen_posts has one row per staged post):
-- their insert below reads the raw rows through one join on integers, which DuckDB spills
-- beyond its memory limit; staged_posts would add a second join in the same pipeline.
create or replace temp table merge_new_posts as
select
    c.post_id,
    c.seq
from chosen_posts as c
anti join posts as p on c.post_id = p.post_id;

create or replace temp table merge_upgraded_posts as
select s.post_id
from staged_posts as s
inner join posts as p on s.post_id = p.post_id
where s.is_complete and not p.is_complete;

-- A document loaded again (--retry-rejected after a rejection) replaces its row.
delete from documents
where document_id in (select s.document_id from staged_documents as s);

insert into documents by name
select * from staged_documents;

insert into sources by name
select s.* from staged_sources as s
anti join sources as t on s.source_id = t.source_id;

insert into authors by name
select s.* from staged_authors as s
anti join authors as t on s.author_id = t.author_id;

insert into tags by name
select s.* from staged_tags as s
anti join tags as t on s.tag_id = t.tag_id;

delete from post_tags
where post_id in (select u.post_id from merge_upgraded_posts as u);

-- The staged copies of those posts, apart: the statements below join them, never every staged
-- post with its body (a hash table of all the run's bodies outgrows the writer's memory limit).
create or replace temp table merge_upgrades as
select s.*
from staged_posts as s
semi join merge_upgraded_posts as u on s.post_id = u.post_id;

-- A completed post: every column of the complete copy but the three that name where the post
-- was first seen. Replaced as a whole row, so that no column of the DDL can be left out.
create or replace temp table merge_completed_posts as
select s.* replace (p.document_id as document_id, p.line_number as line_number, p.run_id as run_id)
from merge_upgrades as s
inner join posts as p on s.post_id = p.post_id;

delete from posts
where post_id in (select u.post_id from merge_upgraded_posts as u);

insert into posts by name
select * from merge_completed_posts;

-- The columns of staged_posts (sql/stage/posts.sql).
insert into posts by name
select r.* exclude (seq, author, source, nfd_post_id)
from raw_posts as r
semi join merge_new_posts as n on r.seq = n.seq;

insert into post_tags by name
select s.*
from staged_post_tags as s
semi join (
    select n.post_id from merge_new_posts as n
    union all
    select u.post_id from merge_upgraded_posts as u
) as c on s.post_id = c.post_id;

insert into comments by name
select s.* from staged_comments as s
anti join comments as t on s.post_id = t.post_id and s.document_id = t.document_id;

-- A longer copy of a thread replaces the entries at the same positions.
delete from comment_entries
where (post_id, position) in (select (s.post_id, s.position) from staged_comment_entries as s);

insert into comment_entries by name
select * from staged_comment_entries;

insert into document_warnings by name
select * from staged_document_warnings;
