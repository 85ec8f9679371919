-- The agent's speech cut into turns (see int_call_turns for how turns are cut).
select
    call_id || ':' || cast(turn_index as varchar) as turn_id,
    call_id,
    call_date,
    turn_index,
    start_s,
    end_s,
    duration_s,
    word_count
from {{ ref('int_call_turns') }}
where track = 'agent'
