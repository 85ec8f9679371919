-- A phrase appears once per tracker and language, already in the form words are compared in.
select language, tracker, phrase, count(*) as copies
from {{ ref('tracker_phrases') }}
group by language, tracker, phrase
having count(*) > 1
    or phrase <> {{ normalise_token('phrase') }}
    or phrase like '%  %'
