{#- The purposes a row needs to appear in a mart: the tenant policy's mart_purposes, passed by
    Dagster as a var; the defaults below (kept equal to data/policies/default.yaml) apply when
    dbt runs on its own. -#}
{% macro mart_purposes(mart) -%}
    {%- set defaults = {
        'fct_calls': ['quality_assurance', 'documentation', 'analytics'],
        'fct_call_coaching': ['coaching'],
        'fct_call_kpis': ['coaching', 'quality_assurance'],
        'fct_agent_weekly_kpis': ['coaching', 'quality_assurance'],
        'fct_call_scores': ['coaching', 'quality_assurance'],
        'fct_best_practice_calls': ['training', 'coaching'],
        'fct_lowest_scoring_calls': ['coaching', 'quality_assurance'],
        'fct_onboarding_curves': ['coaching'],
        'fct_tracker_hits': ['analytics', 'quality_assurance'],
        'fct_tracker_weekly': ['analytics', 'quality_assurance'],
        'fct_team_key_pains': ['analytics', 'quality_assurance'],
        'fct_survey_responses': ['analytics'],
        'fct_nps_weekly': ['analytics'],
    } -%}
    {%- set configured = var('mart_purposes', {}) -%}
    {%- set purposes = configured[mart] if mart in configured else defaults.get(mart, []) -%}
    [{%- for p in purposes -%}'{{ p }}'{{ ', ' if not loop.last }}{%- endfor -%}]::varchar[]
{%- endmacro %}

{#- Purpose limitation, the one rule every mart applies: true where the purposes in `column`
    include one of the mart's purposes. -#}
{% macro purposes_allow(mart, column='purposes') -%}
    list_has_any({{ column }}, {{ mart_purposes(mart) }})
{%- endmacro %}
