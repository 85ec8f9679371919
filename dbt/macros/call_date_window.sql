{% macro call_date_window(column='call_date') -%}
    {%- if var('min_call_date') and var('max_call_date') -%}
        {{ column }} >= cast('{{ var("min_call_date") }}' as date)
        and {{ column }} < cast('{{ var("max_call_date") }}' as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
