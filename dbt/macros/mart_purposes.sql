{#- The purposes a row needs to appear in a mart: the tenant policy's mart_purposes, passed by
    Dagster as a var; the defaults below apply when dbt runs on its own. -#}
{% macro mart_purposes(mart) -%}
    {%- set configured = var('mart_purposes', {}) -%}
    {%- set defaults = {
        'fct_call_coaching': ['coaching'],
        'fct_calls': ['quality_assurance', 'documentation', 'analytics'],
    } -%}
    {%- set purposes = configured.get(mart, defaults.get(mart, [])) -%}
    [{%- for p in purposes -%}'{{ p }}'{{ ', ' if not loop.last }}{%- endfor -%}]
{%- endmacro %}
