-- Conversation KPIs per agent and ISO week (weeks start on Monday), from the per-call KPIs.
-- Rates are pooled over the week's calls (total words / total talk minutes), not averages of
-- per-call rates, so a short call weighs as little as it lasted. Customer-side metrics pool
-- only the calls where both sides were measured and the customer's purposes allow this mart.
with

calls as (
    select * from {{ ref('fct_call_kpis') }}
    where {{ purposes_allow('fct_agent_weekly_kpis') }}
),

flagged as (
    select
        *,
        agent_metrics_missing_reason is null as agent_measured,
        agent_metrics_missing_reason is null
            and customer_metrics_missing_reason is null
            and {{ purposes_allow('fct_agent_weekly_kpis', 'customer_purposes') }}
            as both_measured
    from calls
),

weekly as (
    select
        agent_id,
        week_start,
        arg_max(team, call_date) as team,
        count(*) as calls,
        count(*) filter (where agent_measured) as calls_agent_measured,
        count(*) filter (where both_measured) as calls_both_measured,
        sum(call_duration_s) / 60.0 as call_minutes,
        sum(agent_words) filter (where agent_measured) as agent_words,
        sum(agent_talk_s) filter (where agent_measured) as agent_talk_s,
        max(longest_monologue_s) filter (where agent_measured) as longest_monologue_s,
        sum(agent_questions) filter (where agent_measured) as agent_questions,
        sum(call_duration_s) filter (where agent_measured) as agent_measured_s,
        sum(agent_talk_s) filter (where both_measured) as both_agent_talk_s,
        sum(customer_talk_s) filter (where both_measured) as both_customer_talk_s,
        max(longest_customer_story_s) filter (where both_measured) as longest_customer_story_s,
        sum(speaker_switches) filter (where both_measured) as speaker_switches,
        sum(call_duration_s) filter (where both_measured) as both_measured_s,
        sum(agent_answers) filter (where both_measured) as agent_answers,
        sum(patience_s * agent_answers) filter (where both_measured) as patience_total_s,
        sum(agent_interruptions) filter (where both_measured) as agent_interruptions,
        sum(customer_interruptions) filter (where both_measured) as customer_interruptions,
        sum(silence_s) filter (where both_measured) as silence_s,
        string_agg(
            distinct agent_metrics_missing_reason, '; ' order by agent_metrics_missing_reason
        )
            as agent_reasons,
        string_agg(
            distinct coalesce(
                customer_metrics_missing_reason,
                'customer consent does not cover this mart''s purposes'
            ),
            '; ' order by coalesce(
                customer_metrics_missing_reason,
                'customer consent does not cover this mart''s purposes'
            )
        ) filter (where agent_measured and not both_measured) as customer_reasons,
        list_sort(list_distinct(flatten(list(purposes)))) as purposes
    from flagged
    group by agent_id, week_start
)

select
    agent_id || ':' || strftime(week_start, '%Y-%m-%d') as agent_week_id,
    agent_id,
    week_start,
    team,
    cast(calls as integer) as calls,
    cast(calls_agent_measured as integer) as calls_agent_measured,
    cast(calls_both_measured as integer) as calls_both_measured,
    round(call_minutes, 2) as call_minutes,
    round(agent_words / nullif(agent_talk_s / 60.0, 0), 1) as speech_rate_wpm,
    round(longest_monologue_s, 2) as longest_monologue_s,
    round(agent_questions / nullif(agent_measured_s / 60.0, 0), 2) as question_rate_per_min,
    round(both_agent_talk_s / nullif(both_agent_talk_s + both_customer_talk_s, 0), 3)
        as talk_ratio,
    round(longest_customer_story_s, 2) as longest_customer_story_s,
    round(speaker_switches / nullif(both_measured_s / 60.0, 0), 2) as interactivity_per_min,
    round(patience_total_s / nullif(agent_answers, 0), 2) as patience_s,
    cast(agent_interruptions as integer) as agent_interruptions,
    cast(customer_interruptions as integer) as customer_interruptions,
    round(agent_interruptions / nullif(calls_both_measured, 0), 2) as agent_interruptions_per_call,
    round(silence_s / nullif(both_measured_s, 0), 3) as silence_share,
    case when calls_agent_measured = 0 then 'no call measured: ' || agent_reasons end
        as agent_metrics_missing_reason,
    case
        when calls_both_measured = 0
            then 'no call with both sides: ' || coalesce(customer_reasons, agent_reasons)
    end as customer_metrics_missing_reason,
    purposes
from weekly
