-- Authors, sources and tags whose name is not in NFC: stored by a release before NFC keys from
-- a dump that was not (a Mac's NFD), and keyed as read (etl/run/rekey.py gives each the id of its
-- NFC name).
with final as (
    select
        'authors' as table_name,
        author_id as old_id,
        name,
        null as kind
    from authors
    where name <> nfc_normalize(name)
    union all
    select
        'sources' as table_name,
        source_id as old_id,
        name,
        null as kind
    from sources
    where name <> nfc_normalize(name)
    union all
    select
        'tags' as table_name,
        tag_id as old_id,
        name,
        kind
    from tags
    where name <> nfc_normalize(name)
)

select * from final
