-- Speech turns per call and track (agent, customer) from word timings: a pause of turn_gap_s
-- or more starts a new turn. Each track's words are gathered into one list, in order
-- (a few dozen words each): far cheaper than a window sorting all 50 M words by call, track and
-- position. The turns are cut within the list and unnested. A table, rebuilt per call-date
-- window, because every coaching mart reads it.
with

-- Only what the cut needs: every extra byte per word costs at 50 M words. A turn's basis and
-- purposes are its track's (stg_lydspor__track_bases; per call in fct_calls): the marts filter
-- on those per track or per call, not on six million copies written here.
gathered as (
    select
        call_id,
        track,
        any_value(call_date) as call_date,
        list({
            'word_index': word_index,
            'start_s': start_s,
            'end_s': end_s,
            'is_question': cast(word like '%?' as integer)
        }) as words
    from {{ ref('stg_lydspor__transcript_words') }}
    where {{ call_date_window() }}
    group by call_id, track
),

-- list() keeps a track's words in the order they were read, nearly always the order they were
-- written (0, 1, ... per track: word_index is tested dense from 0). Only a list out of that
-- order is sorted (a struct list sorts on its first field, the position): checking is cheaper
-- than sorting a million lists, and CASE sorts only the rows that need it.
tracks as (
    select
        call_id,
        track,
        call_date,
        case
            when list_bool_and(list_transform(words, (w, k) -> w.word_index = k - 1)) then words
            else list_sort(words)
        end as words
    from gathered
),

-- The position (1-based) of each turn's first word.
turn_starts as (
    select
        *,
        list_filter(
            range(1, len(words) + 1),
            k -> k = 1
                or coalesce(words[k].start_s - words[k - 1].end_s >= {{ var('turn_gap_s') }}, true)
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

unnested as (
    -- A struct unnested recursively gives its fields as columns: there is no one name to give.
    select call_id, call_date, track, unnest(turns, recursive := true)  -- noqa: AL03
    from turns
)

-- The key is call_id, track, turn_index (tested as a dense index per track): no six million
-- concatenated ids to build and store.
select
    call_id,
    call_date,
    track,
    cast(turn_index as integer) as turn_index,
    start_s,
    end_s,
    end_s - start_s as duration_s,
    cast(word_count as integer) as word_count,
    cast(question_count as integer) as question_count
from unnested
