{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_call_date_window() }}",
        on_schema_change='append_new_columns',
    )
}}

-- One row per tracker hit: a phrase of the seed tracker_phrases said on a call, in the call's
-- language, by either side, with the words as transcribed and when they were said. Words
-- compare after normalise_token (case and surrounding punctuation ignored). Where phrases of
-- one tracker overlap ("too expensive", "expensive") only the longest counts.
with

phrases as (
    select
        tracker_category,
        tracker,
        language,
        phrase,
        string_split(phrase, ' ') as phrase_tokens,
        string_split(phrase, ' ')[1] as first_token,
        len(string_split(phrase, ' ')) as phrase_length
    from {{ ref('tracker_phrases') }}
),

-- The words as trackers compare them, and only the columns matching needs. The purposes are
-- checked on the hits (a track's words all carry its purposes), not on 50 M words.
words as (
    select
        call_id,
        call_date,
        track,
        word_index,
        word,
        start_s,
        end_s,
        language,
        {{ normalise_token('word') }} as token
    from {{ ref('stg_lydspor__transcript_words') }}
    where {{ call_date_window() }}
),

anchors as (
    select
        words.*,
        phrases.tracker_category,
        phrases.tracker,
        phrases.phrase,
        phrases.phrase_tokens,
        phrases.phrase_length
    from words
    inner join phrases
        on phrases.language = words.language and phrases.first_token = words.token
),

-- Every further token of a phrase must follow at the next word positions of the same track.
followers as (
    select
        anchors.call_id,
        anchors.track,
        anchors.word_index,
        anchors.phrase,
        count(*) as matched,
        max(words.end_s) as end_s,
        string_agg(words.word, ' ' order by words.word_index) as words
    from (
        select *, unnest(range(1, phrase_length)) as offset_index from anchors
        where phrase_length > 1
    ) as anchors
    inner join words
        on words.call_id = anchors.call_id
        and words.track = anchors.track
        and words.word_index = anchors.word_index + anchors.offset_index
        and words.token = anchors.phrase_tokens[anchors.offset_index + 1]
    group by all
),

matches as (
    select
        anchors.*,
        anchors.word_index + anchors.phrase_length - 1 as last_word_index,
        coalesce(followers.end_s, anchors.end_s) as hit_end_s,
        anchors.word || coalesce(' ' || followers.words, '') as matched_words
    from anchors
    left join followers
        on followers.call_id = anchors.call_id
        and followers.track = anchors.track
        and followers.word_index = anchors.word_index
        and followers.phrase = anchors.phrase
    where anchors.phrase_length = 1 or followers.matched = anchors.phrase_length - 1
),

longest as (
    select * from matches
    where not exists (
        select 1 from matches as longer
        where longer.call_id = matches.call_id
            and longer.track = matches.track
            and longer.tracker = matches.tracker
            and longer.word_index <= matches.word_index
            and longer.last_word_index >= matches.last_word_index
            and (
                longer.phrase_length > matches.phrase_length
                or (longer.phrase_length = matches.phrase_length and longer.phrase < matches.phrase)
            )
    )
),

calls as (
    select call_id, agent_id, team from {{ ref('stg_lydspor__calls') }}
    where {{ call_date_window() }}
),

bases as (
    select call_id, track, legal_basis, purposes from {{ ref('stg_lydspor__track_bases') }}
    where {{ call_date_window() }}
        and list_has_any(purposes, {{ mart_purposes('fct_tracker_hits') }})
)

select
    longest.call_id || ':' || longest.track || ':' || cast(longest.word_index as varchar) || ':'
        || longest.tracker as hit_id,
    longest.call_id,
    longest.call_date,
    cast(date_trunc('week', longest.call_date) as date) as week_start,
    calls.agent_id,
    calls.team,
    longest.language,
    longest.track,
    longest.tracker_category,
    longest.tracker,
    longest.phrase,
    longest.matched_words,
    longest.word_index,
    longest.start_s,
    longest.hit_end_s as end_s,
    bases.legal_basis,
    bases.purposes
from longest
inner join calls on calls.call_id = longest.call_id
inner join bases on bases.call_id = longest.call_id and bases.track = longest.track
