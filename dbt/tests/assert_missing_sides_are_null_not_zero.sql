-- A side that was not measured has null metrics and a reason; a measured side has no reason.
select call_id
from {{ ref('fct_call_kpis') }}
where (agent_metrics_missing_reason is not null)
        <> (speech_rate_wpm is null and agent_turns is null)
    or (customer_metrics_missing_reason is not null)
        <> (customer_talk_s is null and longest_customer_story_s is null)
    or (
        (agent_metrics_missing_reason is not null or customer_metrics_missing_reason is not null)
        and coalesce(talk_ratio, speaker_switches, interactivity_per_min, patience_s,
            agent_interruptions, customer_interruptions, silence_share) is not null
    )
