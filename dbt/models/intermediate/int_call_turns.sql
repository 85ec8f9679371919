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

-- Only what the sort needs: every extra byte per word costs at 50 M words. The words carry
-- their track's basis and purposes (the transcripts asset copies them from the consent
-- lineage), so the turns take them from there, once per track.
words as (
    select
        call_id,
        call_date,
        track,
        word_index,
        start_s,
        end_s,
        cast(word like '%?' as integer) as is_question
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
        end as question_count
    from boundaries
    where starts_turn
),

bases as (
    select call_id, track, legal_basis, purposes from {{ ref('stg_lydspor__track_bases') }}
)

select
    turns.call_id || ':' || turns.track || ':' || cast(turns.turn_index as varchar) as turn_id,
    turns.call_id,
    turns.call_date,
    turns.track,
    cast(turns.turn_index as integer) as turn_index,
    turns.start_s,
    turns.end_s,
    turns.end_s - turns.start_s as duration_s,
    cast(turns.word_count as integer) as word_count,
    cast(turns.question_count as integer) as question_count,
    bases.legal_basis,
    bases.purposes
from turns
left join bases on bases.call_id = turns.call_id and bases.track = turns.track
