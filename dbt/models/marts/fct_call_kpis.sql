-- Conversation KPIs per call from both sides' turns. The agent's side needs the agent's
-- transcript; the customer's side needs a transcript the customer consented to, for purposes
-- this mart serves. A side that is not there gives null metrics and a reason, never zeros.
with

calls as (
    select
        *,
        {{ purposes_allow('fct_call_kpis', 'customer_purposes') }} as customer_allowed
    from {{ ref('fct_calls') }}
    where {{ call_date_window() }}
        and {{ purposes_allow('fct_call_kpis', 'agent_purposes') }}
),

turns as (
    select * from {{ ref('int_call_turns') }}
    where {{ call_date_window() }}
),

-- Purpose limitation per track: the customer's words may allow fewer purposes than the agent's.
-- A track's purposes are its basis's, which fct_calls carries per call (the agent's already
-- checked above): one test per call, not per turn. Only calls whose agent audio holds the
-- agent alone (an isolation under review may not).
usable_turns as (
    select turns.* from turns
    inner join calls on calls.call_id = turns.call_id
    where (turns.track = 'agent' or calls.customer_allowed)
        and calls.agent_audio_status in {{ usable_agent_audio_statuses() }}
),

per_side as (
    select
        call_id,
        count(*) filter (where track = 'agent') as agent_turns,
        sum(duration_s) filter (where track = 'agent') as agent_talk_s,
        sum(word_count) filter (where track = 'agent') as agent_words,
        max(duration_s) filter (where track = 'agent') as longest_monologue_s,
        sum(question_count) filter (where track = 'agent') as agent_questions,
        count(*) filter (where track = 'customer') as customer_turns,
        sum(duration_s) filter (where track = 'customer') as customer_talk_s,
        sum(word_count) filter (where track = 'customer') as customer_words,
        max(duration_s) filter (where track = 'customer') as longest_customer_story_s
    from usable_turns
    group by call_id
),

both_sides as (
    select call_id from per_side where agent_turns > 0 and customer_turns > 0
),

-- Both sides' turns in time order: who spoke before, until when anyone spoke.
sequenced as (
    select
        call_id,
        track,
        start_s,
        end_s,
        lag(track) over by_time as previous_track,
        lag(end_s) over by_time as previous_end_s,
        max(end_s) over (
            partition by call_id order by start_s, track
            rows between unbounded preceding and 1 preceding
        ) as speech_until_s
    from usable_turns
    where call_id in (select call_id from both_sides)
    window by_time as (partition by call_id order by start_s, track)
),

dynamics as (
    select
        call_id,
        count(*) filter (where track <> previous_track) as speaker_switches,
        count(*) filter (
            where track = 'agent' and previous_track = 'customer'
                and start_s < previous_end_s - {{ var('interruption_overlap_s') }}
        ) as agent_interruptions,
        count(*) filter (
            where track = 'customer' and previous_track = 'agent'
                and start_s < previous_end_s - {{ var('interruption_overlap_s') }}
        ) as customer_interruptions,
        -- Patience: the pause before the agent answers a customer turn it did not interrupt.
        count(*) filter (
            where track = 'agent' and previous_track = 'customer'
                and start_s >= previous_end_s - {{ var('interruption_overlap_s') }}
        ) as agent_answers,
        avg(greatest(start_s - speech_until_s, 0)) filter (
            where track = 'agent' and previous_track = 'customer'
                and start_s >= previous_end_s - {{ var('interruption_overlap_s') }}
        ) as patience_s,
        sum(greatest(start_s - coalesce(speech_until_s, 0), 0)) as gaps_s,
        max(end_s) as speech_end_s
    from sequenced
    group by call_id
),

reasons as (
    select
        calls.call_id,
        case
            when coalesce(per_side.agent_turns, 0) > 0 then null
            when calls.agent_audio_status not in {{ usable_agent_audio_statuses() }}
                or calls.agent_audio_status is null
                then {{ agent_audio_missing_reason('calls.agent_audio_status') }}
            else 'no agent speech transcribed'
        end as agent_metrics_missing_reason,
        case
            when coalesce(per_side.customer_turns, 0) > 0 then null
            when calls.recording_mode = 'agent_only'
                then 'customer not recorded: agent-only recording'
            when calls.recording_mode = 'mono'
                then 'customer not kept: mono recording (only the agent is isolated)'
            when calls.customer_legal_basis is null or calls.customer_legal_basis <> 'consent'
                or not coalesce(calls.customer_consent_valid, false)
                then 'customer speech not kept: no valid consent ('
                    || coalesce(calls.customer_legal_basis, 'no basis') || ')'
            when not calls.customer_allowed
                then 'customer consent does not cover this mart''s purposes'
            else 'no customer speech transcribed'
        end as customer_metrics_missing_reason
    from calls
    left join per_side on per_side.call_id = calls.call_id
),

measured as (
    select
        calls.*,
        per_side.* exclude (call_id),
        dynamics.* exclude (call_id),
        reasons.agent_metrics_missing_reason,
        reasons.customer_metrics_missing_reason,
        calls.duration_s / 60.0 as call_minutes
    from calls
    left join per_side on per_side.call_id = calls.call_id
    left join dynamics on dynamics.call_id = calls.call_id
    left join reasons on reasons.call_id = calls.call_id
)

select
    call_id,
    call_date,
    cast(date_trunc('week', call_date) as date) as week_start,
    agent_id,
    team,
    language,
    direction,
    recording_mode,
    outcome,
    duration_s as call_duration_s,
    -- The agent's side.
    cast(agent_turns as integer) as agent_turns,
    round(agent_talk_s, 2) as agent_talk_s,
    cast(agent_words as integer) as agent_words,
    round(agent_words / nullif(agent_talk_s / 60.0, 0), 1) as speech_rate_wpm,
    round(longest_monologue_s, 2) as longest_monologue_s,
    cast(agent_questions as integer) as agent_questions,
    round(agent_questions / nullif(call_minutes, 0), 2) as question_rate_per_min,
    -- The customer's side.
    cast(customer_turns as integer) as customer_turns,
    round(customer_talk_s, 2) as customer_talk_s,
    cast(customer_words as integer) as customer_words,
    round(longest_customer_story_s, 2) as longest_customer_story_s,
    -- The conversation: both sides known (dynamics is only computed then).
    round(agent_talk_s / nullif(agent_talk_s + customer_talk_s, 0), 3) as talk_ratio,
    cast(speaker_switches as integer) as speaker_switches,
    round(speaker_switches / nullif(call_minutes, 0), 2) as interactivity_per_min,
    cast(agent_answers as integer) as agent_answers,
    round(patience_s, 2) as patience_s,
    cast(agent_interruptions as integer) as agent_interruptions,
    cast(customer_interruptions as integer) as customer_interruptions,
    round(gaps_s + greatest(duration_s - speech_end_s, 0), 2) as silence_s,
    -- least() would skip a null: keep the unknown share null instead of 1.
    case
        when gaps_s is not null then round(
            least((gaps_s + greatest(duration_s - speech_end_s, 0)) / nullif(duration_s, 0), 1), 3
        )
    end as silence_share,
    agent_metrics_missing_reason,
    customer_metrics_missing_reason,
    agent_legal_basis as legal_basis,
    agent_purposes as purposes,
    customer_legal_basis,
    customer_purposes
from measured
