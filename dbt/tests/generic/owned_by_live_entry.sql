{#- Every row of a mart derives from personal data whose ledger entry is alive: the call's
    entry of `owner_class` (the ledger, as retention_state reconciles it) is not deleted.
    A row that outlives its owner is personal data past its deadline; the sweep purges such
    rows (assets/retention/copies.py), so a failure here means a copy escaped it. Rows past a
    deadline the sweep has not reached yet are the compliance gate's (it knows legal holds). -#}
{% test owned_by_live_entry(model, column_name, owner_class='call_metadata') %}
with

live as (
    select distinct call_id
    from {{ ref('stg_lydspor__stored_objects') }}
    where object_class = '{{ owner_class }}' and deleted_at is null
)

select rows_.{{ column_name }}
from {{ model }} as rows_
where
    rows_.{{ column_name }} is not null
    and rows_.{{ column_name }} not in (select live.call_id from live)
{% endtest %}
