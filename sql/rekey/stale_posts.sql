-- Posts whose id a release before NFC keys may have made from text that was not NFC: a title
-- not in NFC, or an author or source whose id changes with its name in NFC (their ids: $1,
-- $2; a post that holds the new id already was keyed from NFC text). '{unsafe}' holds every
-- character a text not in NFC has one of (etl/run/rekey.py): titles without one are passed over
-- without being normalized.
with final as (
    select
        post_id,
        title,
        list_contains($1, author_id) or list_contains($2, source_id) as byline_changed
    from posts
    where
        (regexp_matches(title, '{unsafe}') and title <> nfc_normalize(title))
        or list_contains($1, author_id)
        or list_contains($2, source_id)
)

select * from final
