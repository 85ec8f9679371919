{#- Agent audio the metrics may be computed from: a stereo agent channel, an agent-only
    recording, or a mono call whose agent was isolated with confidence (kept equal to the
    statuses in assets/agent_audio). A call under isolation review is left out: its agent track
    may still hold the customer's turns. -#}
{% macro usable_agent_audio_statuses() -%}
    ('extracted', 'passthrough', 'isolated')
{%- endmacro %}

{% macro agent_audio_missing_reason(status) -%}
    case
        when {{ status }} = 'isolation_review'
            then 'agent isolation below confidence: under review'
        else 'no agent-only audio: ' || coalesce({{ status }}, 'not processed')
    end
{%- endmacro %}
