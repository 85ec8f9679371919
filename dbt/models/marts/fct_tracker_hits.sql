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
-- Built for 50 M words: only words some phrase contains are matched, with keys and a phrase
-- id; the words' text and times are fetched for the hits alone, at the end.
with

phrases as (
    select
        row_number() over (order by language, tracker, phrase) as phrase_id,
        tracker_category,
        tracker,
        language,
        phrase,
        string_split(phrase, ' ') as phrase_tokens,
        len(string_split(phrase, ' ')) as phrase_length
    from {{ ref('tracker_phrases') }}
),

-- Every token some phrase of the language contains, and the first tokens of phrases of several
-- words: a word outside the first set can be in no hit, and most words are outside it.
phrase_vocabulary as (
    select distinct language, unnest(phrase_tokens) as token from phrases
),

-- The words as trackers compare them, only those that can be in a hit. The purposes are checked
-- on the hits (a track's words all carry its purposes), not on 50 M words. The words' text and
-- times are fetched for the hits alone, at the end.
tokens as (
    select words.call_id, words.track, words.word_index, words.language, words.token
    from (
        select call_id, track, word_index, language, {{ normalise_token('word') }} as token
        from {{ ref('stg_lydspor__transcript_words') }}
        where {{ call_date_window() }}
    ) as words
    semi join phrase_vocabulary
        on phrase_vocabulary.language = words.language
        and phrase_vocabulary.token = words.token
),

anchors as (
    select
        tokens.call_id,
        tokens.track,
        tokens.word_index,
        phrases.phrase_id,
        phrases.phrase_length
    from tokens
    inner join phrases
        on phrases.language = tokens.language and phrases.phrase_tokens[1] = tokens.token
),

-- A phrase of several words matches where each further token follows at the next positions:
-- the second token first, which leaves few candidates, then the rest on those.
bigram_matches as (
    select anchors.call_id, anchors.track, anchors.word_index, anchors.phrase_id,
        anchors.phrase_length
    from anchors
    inner join phrases on phrases.phrase_id = anchors.phrase_id
    inner join tokens
        on tokens.call_id = anchors.call_id
        and tokens.track = anchors.track
        and tokens.word_index = anchors.word_index + 1
        and tokens.token = phrases.phrase_tokens[2]
    where anchors.phrase_length > 1
),

longer_matches as (
    select
        candidates.call_id,
        candidates.track,
        candidates.word_index,
        candidates.phrase_id
    from (
        select *, unnest(range(2, phrase_length)) as offset_index from bigram_matches
        where phrase_length > 2
    ) as candidates
    inner join phrases on phrases.phrase_id = candidates.phrase_id
    inner join tokens
        on tokens.call_id = candidates.call_id
        and tokens.track = candidates.track
        and tokens.word_index = candidates.word_index + candidates.offset_index
        and tokens.token = phrases.phrase_tokens[candidates.offset_index + 1]
    group by all
    having count(*) = any_value(candidates.phrase_length) - 2
),

matches as (
    select call_id, track, word_index, phrase_id from anchors where phrase_length = 1
    union all
    select call_id, track, word_index, phrase_id from bigram_matches where phrase_length = 2
    union all
    select call_id, track, word_index, phrase_id from longer_matches
),

matched as (
    select
        matches.*,
        phrases.tracker_category,
        phrases.tracker,
        phrases.phrase,
        phrases.phrase_length,
        matches.word_index + phrases.phrase_length - 1 as last_word_index
    from matches
    inner join phrases on phrases.phrase_id = matches.phrase_id
),

-- Only a phrase of several words can cover another hit of its tracker.
multi_word_hits as (
    select * from matched where phrase_length > 1
),

longest as (
    select * from matched
    where not exists (
        select 1 from multi_word_hits as longer
        where longer.call_id = matched.call_id
            and longer.track = matched.track
            and longer.tracker = matched.tracker
            and longer.word_index <= matched.word_index
            and longer.last_word_index >= matched.last_word_index
            and (
                longer.phrase_length > matched.phrase_length
                or (longer.phrase_length = matched.phrase_length and longer.phrase < matched.phrase)
            )
    )
),

-- The words of each hit as transcribed, and when they were said: one word for most hits, so
-- only phrases of several words go through the aggregation.
hit_words as (
    select
        longest.call_id,
        longest.track,
        longest.word_index,
        longest.tracker,
        longest.tracker_category,
        longest.phrase,
        words.call_date,
        words.language,
        words.start_s,
        words.end_s,
        words.word as matched_words
    from longest
    inner join (
        select * from {{ ref('stg_lydspor__transcript_words') }} where {{ call_date_window() }}
    ) as words
        on words.call_id = longest.call_id
        and words.track = longest.track
        and words.word_index = longest.word_index
    where longest.phrase_length = 1
    union all
    select
        longest.call_id,
        longest.track,
        longest.word_index,
        longest.tracker,
        any_value(longest.tracker_category) as tracker_category,
        any_value(longest.phrase) as phrase,
        any_value(words.call_date) as call_date,
        any_value(words.language) as language,
        min(words.start_s) as start_s,
        max(words.end_s) as end_s,
        string_agg(words.word, ' ' order by words.word_index) as matched_words
    from (
        select *, unnest(range(word_index, last_word_index + 1)) as position from longest
        where phrase_length > 1
    ) as longest
    inner join (
        select * from {{ ref('stg_lydspor__transcript_words') }} where {{ call_date_window() }}
    ) as words
        on words.call_id = longest.call_id
        and words.track = longest.track
        and words.word_index = longest.position
    group by longest.call_id, longest.track, longest.word_index, longest.tracker
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
    hit_words.call_id || ':' || hit_words.track || ':' || cast(hit_words.word_index as varchar)
        || ':' || hit_words.tracker as hit_id,
    hit_words.call_id,
    hit_words.call_date,
    cast(date_trunc('week', hit_words.call_date) as date) as week_start,
    calls.agent_id,
    calls.team,
    hit_words.language,
    hit_words.track,
    hit_words.tracker_category,
    hit_words.tracker,
    hit_words.phrase,
    hit_words.matched_words,
    hit_words.word_index,
    hit_words.start_s,
    hit_words.end_s,
    bases.legal_basis,
    bases.purposes
from hit_words
inner join calls on calls.call_id = hit_words.call_id
inner join bases on bases.call_id = hit_words.call_id and bases.track = hit_words.track
