-- Onboarding: each agent's KPIs by tenure week, counted from the first call of theirs that
-- lydspor has seen (week 0 = their first seven days). Per-call values are averaged per week,
-- so a curve shows how a typical call of that week looked.
with

first_calls as (
    select agent_id, min(call_date) as first_call_date
    from {{ ref('stg_lydspor__calls') }}
    group by agent_id
),

kpis as (
    select * from {{ ref('fct_call_kpis') }}
    where {{ purposes_allow('fct_onboarding_curves') }}
),

scores as (
    select call_id, call_score, outcome_class from {{ ref('fct_call_scores') }}
),

calls as (
    select
        kpis.*,
        scores.call_score,
        scores.outcome_class,
        first_calls.first_call_date,
        cast(floor(date_diff('day', first_calls.first_call_date, kpis.call_date) / 7) as integer)
            as tenure_week,
        {{ purposes_allow('fct_onboarding_curves', 'kpis.customer_purposes') }}
            as customer_allowed
    from kpis
    inner join first_calls on first_calls.agent_id = kpis.agent_id
    left join scores on scores.call_id = kpis.call_id
)

select
    agent_id || ':' || cast(tenure_week as varchar) as agent_tenure_week_id,
    agent_id,
    arg_max(team, call_date) as team,
    first_call_date,
    tenure_week,
    cast(first_call_date + 7 * tenure_week as date) as tenure_week_start,
    cast(count(*) as integer) as calls,
    cast(count(*) filter (where agent_metrics_missing_reason is null) as integer)
        as calls_agent_measured,
    round(avg(speech_rate_wpm), 1) as speech_rate_wpm,
    round(avg(longest_monologue_s), 2) as longest_monologue_s,
    round(avg(question_rate_per_min), 2) as question_rate_per_min,
    round(avg(talk_ratio) filter (where customer_allowed), 3) as talk_ratio,
    round(avg(longest_customer_story_s) filter (where customer_allowed), 2)
        as longest_customer_story_s,
    round(avg(interactivity_per_min) filter (where customer_allowed), 2) as interactivity_per_min,
    round(avg(patience_s) filter (where customer_allowed), 2) as patience_s,
    round(avg(silence_share) filter (where customer_allowed), 3) as silence_share,
    round(avg(call_score), 1) as call_score,
    round(
        avg(cast(outcome_class = 'success' as integer)) filter (where outcome_class is not null), 3
    )
        as success_rate,
    case
        when count(*) filter (where agent_metrics_missing_reason is null) = 0
            then 'no call measured: ' || string_agg(distinct agent_metrics_missing_reason, '; ')
    end as agent_metrics_missing_reason,
    case
        when count(talk_ratio) filter (where customer_allowed) = 0
            then 'no call with both sides measured'
    end as customer_metrics_missing_reason,
    list_sort(list_distinct(flatten(list(purposes)))) as purposes
from calls
group by agent_id, first_call_date, tenure_week
