-- The best-practice library: per outcome, the best-scoring calls (fct_call_scores), at least
-- best_practice_min_score, at most best_practice_per_outcome of them, each with why it was picked.
with

scores as (
    select * from {{ ref('fct_call_scores') }}
    where call_score is not null
        and {{ purposes_allow('fct_best_practice_calls') }}
),

ranked as (
    select
        *,
        row_number() over by_outcome as rank_in_outcome,
        count(*) over (partition by outcome) as calls_with_outcome
    from scores
    window by_outcome as (
        partition by outcome order by call_score desc, call_date desc, call_id asc
    )
)

select
    {{ scored_call_columns() }},
    cast(rank_in_outcome as integer) as rank_in_outcome,
    call_score,
    'rank ' || cast(rank_in_outcome as varchar) || ' of ' || cast(calls_with_outcome as varchar)
        || ' scored "' || coalesce(outcome, 'unknown') || '" calls, score '
        || cast(call_score as varchar) || '/100; strong: '
        || coalesce(nullif(array_to_string(strengths, ', '), ''), 'nothing in particular')
        || case
            when len(weaknesses) > 0 then '; could improve: ' || array_to_string(weaknesses, ', ')
            else ''
        end as why_picked,
    strengths,
    weaknesses,
    legal_basis,
    purposes
from ranked
where rank_in_outcome <= {{ var('best_practice_per_outcome') }}
    and call_score >= {{ var('best_practice_min_score') }}
