{#- Every row of the mart carries a purpose the policy allows for that mart. -#}
{% test purposes_allow_mart(model, column_name, mart) %}
select *
from {{ model }}
where {{ column_name }} is null
   or not list_has_any({{ column_name }}, {{ mart_purposes(mart) }})
{% endtest %}
