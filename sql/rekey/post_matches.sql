-- The stored posts in rekey_candidates that a copy in rekey_copies (post_id, nfd_post_id,
-- title: read again, or a run's own) is the NFC form of: the copy's nfd_post_id is the stored
-- id, and the titles agree in NFC. A post that copies of different ids claim is left as it is.
with matches as (
    select distinct
        c.post_id as old_id,
        k.post_id as new_id
    from rekey_candidates as c
    inner join posts as p on c.post_id = p.post_id
    inner join rekey_copies as k on c.post_id = k.nfd_post_id and nfc_normalize(p.title) = k.title
),

final as (
    select
        old_id,
        new_id
    from matches
    qualify count(*) over (partition by old_id) = 1
)

select * from final
