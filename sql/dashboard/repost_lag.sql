-- The dashboard's repost-lag chart: posts by source and days between publication and repost.
select source, repost_lag_days as lag_days, count(*) as posts
from bi_posts
where repost_lag_days is not null
group by all
order by source, lag_days;
