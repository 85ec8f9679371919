-- One row per tracker hit: a phrase of the seed tracker_phrases said on a call, in the call's
-- language, by either side, with the words as transcribed and when they were said. Words
-- compare after normalise_token (case and surrounding punctuation ignored). Where phrases of
-- one tracker overlap ("too expensive", "expensive") only the longest counts.
-- Built for 50 M words: only words some phrase contains are matched, with keys and a phrase
-- id, carrying their text and times; phrases of several words start from adjacent pairs of
-- words that can begin one, and each hit is joined to its track's call and basis once.
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

-- Every token some phrase of the language contains, and whether it can be a phrase of one
-- word, begin a longer phrase, come second in one, or come third or later. A word that is no
-- phrase token can be in no hit.
token_roles as (
    select
        language,
        token,
        bool_or(phrase_length = 1 and position = 1) as is_single,
        bool_or(phrase_length > 1 and position = 1) as is_first,
        bool_or(position = 2) as is_second,
        bool_or(position > 2) as is_later
    from (
        select
            language,
            phrase_length,
            unnest(phrase_tokens) as token,
            unnest(range(1, phrase_length + 1)) as position
        from phrases
    ) as phrase_words
    group by language, token
),

-- The words as trackers compare them, only phrase tokens, with their roles, text and times. The
-- purposes are checked on the hits (a track's words all carry its purposes), not on 50 M words.
tokens as (
    select
        words.call_id,
        words.track,
        words.word_index,
        words.language,
        words.token,
        token_roles.is_single,
        token_roles.is_first,
        token_roles.is_second,
        token_roles.is_later,
        words.word,
        words.start_s,
        words.end_s
    from (
        select
            call_id,
            track,
            word_index,
            language,
            word,
            start_s,
            end_s,
            {{ normalise_token('word') }} as token
        from {{ ref('stg_lydspor__transcript_words') }}
        where {{ call_date_window() }}
    ) as words
    inner join token_roles
        on token_roles.language = words.language
        and token_roles.token = words.token
),

single_word_matches as (
    select
        tokens.call_id,
        tokens.track,
        tokens.word_index,
        phrases.phrase_id,
        tokens.word,
        tokens.start_s,
        tokens.end_s
    from tokens
    inner join phrases
        on phrases.language = tokens.language
        and phrases.phrase_tokens[1] = tokens.token
        and phrases.phrase_length = 1
    where tokens.is_single
),

-- A phrase of several words starts at an adjacent pair: a word that can begin one, then a word
-- that can come second. Joining those two small sets is far cheaper than matching every first
-- word's phrases against all tokens; the pair then picks its phrases. Materialized, so the
-- pairs are found before the phrases are looked up: left to itself the planner gives every
-- first word its phrases before pairing, which makes four times the rows.
pairs as materialized (
    select
        firsts.call_id,
        firsts.track,
        firsts.word_index,
        firsts.language,
        firsts.token,
        seconds.token as second_token,
        firsts.word || ' ' || seconds.word as words,
        firsts.start_s,
        seconds.end_s
    from (select * from tokens where is_first) as firsts
    inner join (select * from tokens where is_second) as seconds
        on seconds.call_id = firsts.call_id
        and seconds.track = firsts.track
        and seconds.word_index = firsts.word_index + 1
),

bigram_matches as (
    select
        pairs.call_id,
        pairs.track,
        pairs.word_index,
        phrases.phrase_id,
        phrases.phrase_length,
        pairs.words,
        pairs.start_s,
        pairs.end_s
    from pairs
    inner join phrases
        on phrases.language = pairs.language
        and phrases.phrase_tokens[1] = pairs.token
        and phrases.phrase_tokens[2] = pairs.second_token
),

-- Phrases of three words or more: each further token must follow at the next positions.
longer_matches as (
    select
        candidates.call_id,
        candidates.track,
        candidates.word_index,
        candidates.phrase_id,
        any_value(candidates.words) as words,
        any_value(candidates.start_s) as start_s
    from (
        select *, unnest(range(2, phrase_length)) as offset_index from bigram_matches
        where phrase_length > 2
    ) as candidates
    inner join phrases on phrases.phrase_id = candidates.phrase_id
    inner join (select * from tokens where is_later) as tokens
        on tokens.call_id = candidates.call_id
        and tokens.track = candidates.track
        and tokens.word_index = candidates.word_index + candidates.offset_index
        and tokens.token = phrases.phrase_tokens[candidates.offset_index + 1]
    group by candidates.call_id, candidates.track, candidates.word_index, candidates.phrase_id
    having count(*) = any_value(candidates.phrase_length) - 2
),

matches as (
    select call_id, track, word_index, phrase_id, word, start_s, end_s from single_word_matches
    union all
    select call_id, track, word_index, phrase_id, words, start_s, end_s from bigram_matches
    where phrase_length = 2
    union all
    select call_id, track, word_index, phrase_id, words, start_s, null as end_s from longer_matches
),

matched as (
    select
        matches.*,
        phrases.language,
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

-- The hits a longer phrase of their tracker covers, found from the few multi-word hits'
-- positions rather than by testing every hit against them.
covered as (
    select distinct matched.call_id, matched.track, matched.word_index, matched.phrase_id
    from (
        select *, unnest(range(word_index, last_word_index + 1)) as position
        from multi_word_hits
    ) as longer
    inner join matched
        on matched.call_id = longer.call_id
        and matched.track = longer.track
        and matched.word_index = longer.position
        and matched.tracker = longer.tracker
    where matched.last_word_index <= longer.last_word_index
        and (
            longer.phrase_length > matched.phrase_length
            or (longer.phrase_length = matched.phrase_length and longer.phrase < matched.phrase)
        )
),

longest as (
    select * from matched
    anti join covered
        on covered.call_id = matched.call_id
        and covered.track = matched.track
        and covered.word_index = matched.word_index
        and covered.phrase_id = matched.phrase_id
),

-- Each hit's words as transcribed and their times: a hit of one or two words has them
-- already (from its word or pair); a longer phrase adds its third and later words, which are
-- tokens that can come third or later.
hit_words as (
    select
        call_id,
        track,
        word_index,
        tracker,
        tracker_category,
        phrase,
        language,
        start_s,
        end_s,
        word as matched_words
    from longest
    where phrase_length <= 2
    union all
    select
        longest.call_id,
        longest.track,
        longest.word_index,
        longest.tracker,
        any_value(longest.tracker_category) as tracker_category,
        any_value(longest.phrase) as phrase,
        any_value(longest.language) as language,
        any_value(longest.start_s) as start_s,
        max(tokens.end_s) as end_s,
        any_value(longest.word) || ' '
            || string_agg(tokens.word, ' ' order by tokens.word_index) as matched_words
    from (
        select *, unnest(range(word_index + 2, last_word_index + 1)) as position
        from longest
        where phrase_length > 2
    ) as longest
    inner join (select * from tokens where is_later) as tokens
        on tokens.call_id = longest.call_id
        and tokens.track = longest.track
        and tokens.word_index = longest.position
    group by longest.call_id, longest.track, longest.word_index, longest.tracker
),

calls as (
    select call_id, call_date, agent_id, team from {{ ref('stg_lydspor__calls') }}
    where {{ call_date_window() }}
),

-- Each track the mart may hold, with its call's date, agent and team: joined once per track
-- (a million), so each of millions of hits takes one lookup instead of two.
tracks as (
    select bases.call_id, bases.track, bases.legal_basis, bases.purposes,
        calls.call_date, calls.agent_id, calls.team
    from {{ ref('stg_lydspor__track_bases') }} as bases
    inner join calls on calls.call_id = bases.call_id
    where {{ call_date_window('bases.call_date') }}
        and {{ purposes_allow('fct_tracker_hits', 'bases.purposes') }}
)

select
    hit_words.call_id || ':' || hit_words.track || ':' || cast(hit_words.word_index as varchar)
        || ':' || hit_words.tracker as hit_id,
    hit_words.call_id,
    tracks.call_date,
    cast(date_trunc('week', tracks.call_date) as date) as week_start,
    tracks.agent_id,
    tracks.team,
    hit_words.language,
    hit_words.track,
    hit_words.tracker_category,
    hit_words.tracker,
    hit_words.phrase,
    hit_words.matched_words,
    hit_words.word_index,
    hit_words.start_s,
    hit_words.end_s,
    tracks.legal_basis,
    tracks.purposes
from hit_words
inner join tracks on tracks.call_id = hit_words.call_id and tracks.track = hit_words.track
