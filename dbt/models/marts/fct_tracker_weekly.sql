-- Tracker trends: per ISO week, team and tracker, how many of the calls that could be searched
-- (a transcript whose purposes allow this mart) had a hit. Every tracker appears in every
-- team-week, with zeros, so trends have no gaps.
with

-- Per searchable track first (a few per call, not one per turn), then per team-week. A track
-- with words has exactly one first turn (turn_index is 1, 2, ... per track, tested), which
-- carries the track's date: a filter instead of grouping six million turns. Its purposes are
-- the track's basis's.
searched_tracks as (
    select turns.call_id, turns.call_date, bases.purposes
    from {{ ref('int_call_turns') }} as turns
    inner join {{ ref('stg_lydspor__track_bases') }} as bases
        on bases.call_id = turns.call_id and bases.track = turns.track
    where turns.turn_index = 1
        and {{ purposes_allow('fct_tracker_weekly', 'bases.purposes') }}
),

team_weeks as (
    select
        cast(date_trunc('week', searched_tracks.call_date) as date) as week_start,
        calls.team,
        count(distinct searched_tracks.call_id) as calls_searched,
        list_sort(list_distinct(flatten(list(searched_tracks.purposes)))) as purposes
    from searched_tracks
    inner join {{ ref('stg_lydspor__calls') }} as calls
        on calls.call_id = searched_tracks.call_id
    group by all
),

trackers as (
    select distinct tracker_category, tracker from {{ ref('tracker_phrases') }}
),

hits as (
    select
        week_start,
        team,
        tracker,
        count(*) as hits,
        count(*) filter (where track = 'agent') as agent_hits,
        count(*) filter (where track = 'customer') as customer_hits,
        count(distinct call_id) as calls_with_hit
    from {{ ref('fct_tracker_hits') }}
    where {{ purposes_allow('fct_tracker_weekly') }}
    group by week_start, team, tracker
)

select
    strftime(team_weeks.week_start, '%Y-%m-%d') || ':' || team_weeks.team || ':'
        || trackers.tracker as team_week_tracker_id,
    team_weeks.week_start,
    team_weeks.team,
    trackers.tracker_category,
    trackers.tracker,
    cast(team_weeks.calls_searched as integer) as calls_searched,
    cast(coalesce(hits.calls_with_hit, 0) as integer) as calls_with_hit,
    cast(coalesce(hits.hits, 0) as integer) as hits,
    cast(coalesce(hits.agent_hits, 0) as integer) as agent_hits,
    cast(coalesce(hits.customer_hits, 0) as integer) as customer_hits,
    round(coalesce(hits.calls_with_hit, 0) / team_weeks.calls_searched, 3) as call_share,
    team_weeks.purposes
from team_weeks
cross join trackers
left join hits
    on hits.week_start = team_weeks.week_start
    and hits.team = team_weeks.team
    and hits.tracker = trackers.tracker
