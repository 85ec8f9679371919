-- Coaching KPIs per call from the agent's own speech. Calls whose agent track may not be used
-- for coaching are left out; calls without usable agent audio get null metrics and a reason.
with

calls as (
    select * from {{ ref('fct_calls') }}
    where {{ call_date_window() }}
        and {{ purposes_allow('fct_call_coaching', 'agent_purposes') }}
),

-- Only calls whose agent audio holds the agent alone (an isolation under review may not).
turns as (
    select turns.* from {{ ref('int_agent_turns') }} as turns
    inner join calls on calls.call_id = turns.call_id
    where calls.agent_audio_status in {{ usable_agent_audio_statuses() }}
),

per_call as (
    select
        call_id,
        count(*) as agent_turns,
        sum(duration_s) as agent_talk_s,
        sum(word_count) as agent_words,
        max(duration_s) as longest_monologue_s
    from turns
    group by call_id
)

select
    calls.call_id,
    calls.call_date,
    calls.agent_id,
    calls.team,
    calls.language,
    calls.direction,
    calls.recording_mode,
    calls.duration_s as call_duration_s,
    cast(per_call.agent_turns as integer) as agent_turns,
    round(per_call.agent_talk_s, 2) as agent_talk_s,
    cast(per_call.agent_words as integer) as agent_words,
    round(per_call.agent_words / nullif(per_call.agent_talk_s / 60.0, 0), 1) as speech_rate_wpm,
    round(per_call.longest_monologue_s, 2) as longest_monologue_s,
    round(per_call.agent_talk_s / nullif(calls.duration_s, 0), 3) as agent_talk_share,
    case
        when calls.agent_audio_status not in {{ usable_agent_audio_statuses() }}
            or calls.agent_audio_status is null
            then {{ agent_audio_missing_reason('calls.agent_audio_status') }}
        when per_call.call_id is null then 'no agent speech transcribed'
    end as metrics_missing_reason,
    calls.agent_legal_basis as legal_basis,
    calls.agent_purposes as purposes
from calls
left join per_call on per_call.call_id = calls.call_id
