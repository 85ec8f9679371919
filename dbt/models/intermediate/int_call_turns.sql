{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_call_date_window() }}",
        on_schema_change='sync_all_columns',
    )
}}

-- Speech turns per call and track (agent, customer) from word timings: a pause of turn_gap_s
-- or more starts a new turn. Each track's words are gathered into one list and sorted there
-- (a few dozen words each): far cheaper than a window sorting all 50 M words by call, track and
-- position. The turns are cut within the list and unnested. A table, rebuilt per call-date
-- window, because every coaching mart reads it.
with

-- Only what the cut needs: every extra byte per word costs at 50 M words. The words carry
-- their track's basis and purposes (the transcripts asset copies them from the consent
-- lineage), so the turns take them from there, once per track.
tracks as (
    select
        call_id,
        track,
        any_value(call_date) as call_date,
        -- A struct list sorts on its first field: the word's position.
        list_sort(list({
            'word_index': word_index,
            'start_s': start_s,
            'end_s': end_s,
            'is_question': cast(word like '%?' as integer)
        })) as words
    from {{ ref('stg_lydspor__transcript_words') }}
    where {{ call_date_window() }}
    group by call_id, track
),

-- The position (1-based) of each turn's first word.
turn_starts as (
    select
        *,
        list_filter(
            range(1, len(words) + 1),
            k -> k = 1 or coalesce(words[k].start_s - words[k - 1].end_s >= {{ var('turn_gap_s') }}, true)
        ) as firsts
    from tracks
),

-- A turn runs to the word before the next turn's first (or to the track's last word).
track_turns as (
    select
        call_id,
        call_date,
        track,
        list_transform(
            range(1, len(firsts) + 1),
            j -> {
                'turn_index': j,
                'first': firsts[j],
                'last': coalesce(firsts[j + 1] - 1, len(words))
            }
        ) as bounds,
        words
    from turn_starts
),

turns as (
    select
        call_id,
        call_date,
        track,
        list_transform(
            bounds,
            b -> {
                'turn_index': b.turn_index,
                'start_s': words[b.first].start_s,
                'end_s': words[b.last].end_s,
                'word_count': b.last - b.first + 1,
                'question_count': list_sum(
                    list_transform(words[b.first:b.last], w -> w.is_question)
                )
            }
        ) as turns
    from track_turns
),

bases as (
    select call_id, track, legal_basis, purposes from {{ ref('stg_lydspor__track_bases') }}
),

-- The basis joins each track (a million) before its turns are unnested (six million).
unnested as (
    select
        turns.call_id,
        turns.call_date,
        turns.track,
        bases.legal_basis,
        bases.purposes,
        unnest(turns.turns, recursive := true)
    from turns
    left join bases on bases.call_id = turns.call_id and bases.track = turns.track
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
    turns.legal_basis,
    turns.purposes
from unnested as turns
