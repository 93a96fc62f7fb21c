-- {table}: each row in rekey_mapping (old_id, new_id{name_column}: etl/run/rekey.py) takes its new
-- {id}. Several rows may get one id (their names in two forms, or the id already stored): the
-- row stored under it stays, else the first by old id; the others are dropped, their
-- references moved (rekey/move_rows.sql). rekey_ids: the mapping and which rows stay (keep).
create or replace temp table rekey_ids as
with others as (
    select t.{id}
    from {table} as t
    anti join rekey_mapping as m on t.{id} = m.old_id
)

select
    m.*,
    o.{id} is null and row_number() over (partition by m.new_id order by m.old_id) = 1 as keep
from rekey_mapping as m
left join others as o on m.new_id = o.{id};

delete from {table}
where {id} in (select k.old_id from rekey_ids as k where not k.keep);

update {table}
set {id} = k.new_id{name_update}
from rekey_ids as k
where {table}.{id} = k.old_id;
