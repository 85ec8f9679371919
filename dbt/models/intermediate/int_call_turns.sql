{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_call_date_window() }}",
        on_schema_change='sync_all_columns',
    )
}}

-- Speech turns per call and track (agent, customer) from word timings: a pause of turn_gap_s
-- or more starts a new turn. One sorted pass over the words finds where turns start and counts
-- the questions so far; only the turn starts go through a second, small pass. word_index numbers
-- a track's words 0..n-1 (tested), so a turn's words are counted by subtraction. A table,
-- rebuilt per call-date window, because every coaching mart reads it.
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
        lag(end_s) over by_track as previous_end_s,
        sum(is_question) over by_track - is_question as questions_before
    from words
    window by_track as (partition by call_id, track order by word_index)
),

-- What the last turn of a track runs to. Read apart from the words CTE: DuckDB would keep a
-- CTE used twice in memory, every column of 50 M rows.
track_ends as (
    select
        call_id,
        track,
        count(*) as words,
        sum(cast(word like '%?' as integer)) as questions,
        arg_max(end_s, word_index) as last_end_s
    from {{ ref('stg_lydspor__transcript_words') }}
    where {{ call_date_window() }}
    group by call_id, track
),

-- A turn ends where the next one starts: its last word is the one before that start.
starts as (
    select
        call_id,
        call_date,
        track,
        word_index,
        start_s,
        questions_before,
        row_number() over by_track as turn_index,
        lead(previous_end_s) over by_track as next_previous_end_s,
        lead(word_index) over by_track as next_word_index,
        lead(questions_before) over by_track as next_questions_before
    from marked
    where previous_end_s is null or start_s - previous_end_s >= {{ var('turn_gap_s') }}
    window by_track as (partition by call_id, track order by word_index)
),

turns as (
    select
        starts.call_id,
        starts.call_date,
        starts.track,
        starts.turn_index,
        starts.start_s,
        coalesce(starts.next_previous_end_s, track_ends.last_end_s) as end_s,
        coalesce(starts.next_word_index, track_ends.words) - starts.word_index as word_count,
        coalesce(starts.next_questions_before, track_ends.questions) - starts.questions_before
            as question_count
    from starts
    inner join track_ends
        on track_ends.call_id = starts.call_id and track_ends.track = starts.track
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
