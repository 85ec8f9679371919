{#- Pre-hook of the marts rebuilt per call-date window: remove the window's old rows first, so a
    call (or a day) that no longer yields a row - an erased word, a narrowed purpose - loses it.
    Used with incremental_strategy='append'; without a window the whole table is rebuilt. -#}
{% macro delete_call_date_window() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ call_date_window() }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
