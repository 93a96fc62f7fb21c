-- The rows of {table} (unique on {key}, {other}) whose {key} rekey_ids changes (rekey/ids.sql)
-- take the new one, but for those whose new pair is taken: by a row already under the new
-- {key}, or by one moving there first (of the row that stays, then by old id). Those are dropped.
delete from {table}
where ({key}, {other}) in (
    select (m.{key}, m.{other})
    from (
        select
            t.{key},
            t.{other},
            row_number() over (
                partition by coalesce(k.new_id, t.{key}), t.{other}
                order by k.old_id is not null, not coalesce(k.keep, false), t.{key}
            ) as place
        from {table} as t
        left join rekey_ids as k on t.{key} = k.old_id
        where
            t.{key} in (select i.old_id from rekey_ids as i)
            or t.{key} in (select i.new_id from rekey_ids as i)
    ) as m
    where m.place > 1
);

update {table}
set {key} = k.new_id
from rekey_ids as k
where {table}.{key} = k.old_id;
