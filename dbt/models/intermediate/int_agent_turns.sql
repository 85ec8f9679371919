-- The agent's speech cut into turns: a pause of turn_gap_s or more starts a new turn.
with

agent_words as (
    select * from {{ ref('stg_lydspor__transcript_words') }}
    where track = 'agent'
),

marked as (
    select
        *,
        case
            when lag(end_s) over by_call is null then 1
            when start_s - lag(end_s) over by_call >= {{ var('turn_gap_s') }} then 1
            else 0
        end as starts_turn
    from agent_words
    window by_call as (partition by call_id order by word_index)
),

numbered as (
    select
        *,
        sum(starts_turn) over (
            partition by call_id order by word_index rows unbounded preceding
        ) as turn_index
    from marked
),

turns as (
    select
        call_id,
        call_date,
        turn_index,
        min(start_s) as start_s,
        max(end_s) as end_s,
        count(*) as word_count
    from numbered
    group by call_id, call_date, turn_index
)

select
    call_id || ':' || cast(turn_index as varchar) as turn_id,
    call_id,
    call_date,
    turn_index,
    start_s,
    end_s,
    end_s - start_s as duration_s,
    word_count
from turns
