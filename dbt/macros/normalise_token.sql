{#- A transcribed word as the trackers compare it: lower case, surrounding punctuation gone
    ("Expensive," -> "expensive"). trim() is far cheaper than a regex on tens of millions of words. -#}
{% macro normalise_token(expression) -%}
    lower(trim({{ expression }}, ' .,;:!?¿¡"()[]{}«»…“”„'))
{%- endmacro %}
