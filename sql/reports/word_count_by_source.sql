-- Word-count distribution by source: quartiles of post length (words in the body) per outlet.
-- param since: date = 1900-01-01
-- param limit: integer = 50
with

lengths as (
    select
        source,
        word_count
    from bi_posts
    where coalesce(posted_date, $since) >= $since
),

per_source as (
    select
        source,
        count(*) as posts,
        min(word_count) as min_words,
        quantile_cont(word_count, 0.25) as p25_words,
        quantile_cont(word_count, 0.5) as median_words,
        quantile_cont(word_count, 0.75) as p75_words,
        max(word_count) as max_words,
        round(avg(word_count), 1) as avg_words
    from lengths
    group by source
),

final as (
    select * from per_source
    order by posts desc, median_words desc, source
    limit $limit
)

select * from final;
