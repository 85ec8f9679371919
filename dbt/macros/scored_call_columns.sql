{#- The columns that say which call a library built from fct_call_scores lists (the
    best-practice and lowest-scoring libraries), in their contracts' order. -#}
{% macro scored_call_columns() -%}
    call_id,
    call_date,
    week_start,
    agent_id,
    team,
    language,
    outcome,
    outcome_class
{%- endmacro %}
