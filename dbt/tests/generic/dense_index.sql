{#- Within each group (a call's track, say) the column numbers the rows start, start + 1, ...
    (start is 0 unless given): no gap and no repeat, so the group and the column are a unique
    key. One pass with one small group per track instead of a hash table of every key (50 M
    words): count, min and max find gaps and extra rows; a repeat that fills a gap exactly is
    caught by the sum of the values' hashes, which equals that of the expected numbers only
    for the same numbers (a 64-bit hash collision aside). -#}
{% test dense_index(model, column_name, group_by, start=0) %}
with

groups as (
    select
        {{ group_by | join(', ') }},
        count(*) as rows_in_group,
        min({{ column_name }}) as lowest,
        max({{ column_name }}) as highest,
        -- As bigint on both sides: a hash depends on the value's type.
        sum(hash(cast({{ column_name }} as bigint))) as hash_sum
    from {{ model }}
    group by {{ group_by | join(', ') }}
)

select *
from groups
where lowest <> {{ start }}
    or highest <> {{ start }} + rows_in_group - 1
    or hash_sum <> (
        select sum(hash(cast(i as bigint)))
        from range({{ start }}, {{ start }} + rows_in_group) as numbers(i)
    )
{% endtest %}
