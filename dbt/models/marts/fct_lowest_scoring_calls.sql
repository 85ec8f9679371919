-- Learning from mistakes: per team and week, the lowest-scoring calls (fct_call_scores), at most
-- lowest_scoring_per_team_week of them, only calls that missed at least one target, with what
-- they missed.
with

scores as (
    select * from {{ ref('fct_call_scores') }}
    where call_score is not null
        and call_score < 100
        and {{ purposes_allow('fct_lowest_scoring_calls') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by team, week_start order by call_score, call_date, call_id
        ) as rank_in_team_week
    from scores
)

select
    {{ scored_call_columns() }},
    cast(rank_in_team_week as integer) as rank_in_team_week,
    call_score,
    'score ' || cast(call_score as varchar) || '/100; missed: '
        || array_to_string(weaknesses, ', ') as why_flagged,
    strengths,
    weaknesses,
    score_explanation,
    legal_basis,
    purposes
from ranked
where rank_in_team_week <= {{ var('lowest_scoring_per_team_week') }}
