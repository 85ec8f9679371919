{#- Every row of the mart carries a purpose the policy allows for that mart. -#}
{% test purposes_allow_mart(model, column_name, mart) %}
select *
from {{ model }}
where {{ column_name }} is null
   or not {{ purposes_allow(mart, column_name) }}
{% endtest %}
