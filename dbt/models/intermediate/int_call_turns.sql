{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_call_date_window() }}",
        on_schema_change='sync_all_columns',
    )
}}

-- Speech turns per call and track (agent, customer) from word timings: a pause of turn_gap_s
-- or more starts a new turn. One sorted pass over the words marks where turns start and end
-- and keeps running counts; only those boundary words go through a second, small pass. A
-- table, rebuilt per call-date window, because every coaching mart reads it.
with

words as (
    select
        call_id,
        call_date,
        track,
        word_index,
        start_s,
        end_s,
        cast(word like '%?' as integer) as is_question,
        legal_basis,
        purposes
    from {{ ref('stg_lydspor__transcript_words') }}
    where {{ call_date_window() }}
),

marked as (
    select
        *,
        coalesce(start_s - lag(end_s) over by_track >= {{ var('turn_gap_s') }}, true)
            as starts_turn,
        coalesce(lead(start_s) over by_track - end_s >= {{ var('turn_gap_s') }}, true)
            as ends_turn,
        row_number() over by_track as word_position,
        sum(is_question) over by_track as questions_so_far
    from words
    window by_track as (partition by call_id, track order by word_index)
),

boundaries as (
    select
        *,
        -- A turn that does not end on its first word ends on the next boundary word.
        lead(end_s) over by_track as next_end_s,
        lead(word_position) over by_track as next_word_position,
        lead(questions_so_far) over by_track as next_questions_so_far
    from marked
    where starts_turn or ends_turn
    window by_track as (partition by call_id, track order by word_index)
),

turns as (
    select
        call_id,
        call_date,
        track,
        row_number() over (partition by call_id, track order by word_index) as turn_index,
        start_s,
        case when ends_turn then end_s else next_end_s end as end_s,
        case when ends_turn then 1 else next_word_position - word_position + 1 end as word_count,
        case
            when ends_turn then is_question
            else next_questions_so_far - questions_so_far + is_question
        end as question_count,
        legal_basis,
        purposes
    from boundaries
    where starts_turn
)

select
    call_id || ':' || track || ':' || cast(turn_index as varchar) as turn_id,
    call_id,
    call_date,
    track,
    cast(turn_index as integer) as turn_index,
    start_s,
    end_s,
    end_s - start_s as duration_s,
    cast(word_count as integer) as word_count,
    cast(question_count as integer) as question_count,
    legal_basis,
    purposes
from turns
