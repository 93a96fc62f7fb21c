-- The filters of `etl search` (sql/search/rank.sql, present only when one is
-- given, so that a search without filters does not read the posts): the posts of a source,
-- of an author (names compared case-insensitively; % and _ are wildcards), in a category,
-- dated (published_on, else posted_on) from $since to $until. A NULL parameter: no filter.
semi join (
    select d.doc
    from search_docs as d
    inner join posts as p on d.post_id = p.post_id
    left join sources as s on p.source_id = s.source_id
    left join authors as a on p.author_id = a.author_id
    where
        ($source is null or s.name ilike $source)
        and ($author is null or a.name ilike $author)
        and ($since is null or coalesce(p.published_on, p.posted_on) >= $since)
        and ($until is null or coalesce(p.published_on, p.posted_on) <= $until)
        and (
            $category is null
            or p.post_id in (
                select pt.post_id
                from post_tags as pt
                inner join tags as t on pt.tag_id = t.tag_id
                where t.name ilike $category
            )
        )
) as allowed on p.doc = allowed.doc
