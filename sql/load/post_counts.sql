-- How many staged posts the merge added as new and how many it upgraded to a complete copy.
select
    (select count(*) from merge_new_posts) as posts_new,
    (select count(*) from merge_upgraded_posts) as posts_updated;
