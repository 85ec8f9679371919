-- Key pains per team: the pain trackers ranked by how many of the team's searched calls raised
-- them, over all weeks and over the latest four weeks with calls.
with

weekly as (
    select * from {{ ref('fct_tracker_weekly') }}
    where tracker_category = 'pain'
        and {{ purposes_allow('fct_team_key_pains') }}
),

latest as (
    select team, max(week_start) as latest_week from weekly group by team
),

totals as (
    select
        weekly.team,
        weekly.tracker,
        sum(weekly.calls_searched) as calls_searched,
        sum(weekly.calls_with_hit) as calls_with_pain,
        sum(weekly.hits) as hits,
        sum(weekly.customer_hits) as customer_hits,
        sum(weekly.calls_searched) filter (
            where weekly.week_start > latest.latest_week - interval 4 week
        ) as recent_calls_searched,
        sum(weekly.calls_with_hit) filter (
            where weekly.week_start > latest.latest_week - interval 4 week
        ) as recent_calls_with_pain,
        min(weekly.week_start) filter (where weekly.hits > 0) as first_week,
        max(weekly.week_start) filter (where weekly.hits > 0) as last_week,
        list_sort(list_distinct(flatten(list(weekly.purposes)))) as purposes
    from weekly
    inner join latest on latest.team = weekly.team
    group by weekly.team, weekly.tracker
)

select
    team || ':' || tracker as team_pain_id,
    team,
    tracker,
    cast(rank() over (partition by team order by calls_with_pain desc, hits desc) as integer)
        as pain_rank,
    cast(calls_searched as integer) as calls_searched,
    cast(calls_with_pain as integer) as calls_with_pain,
    round(calls_with_pain / calls_searched, 3) as call_share,
    cast(hits as integer) as hits,
    cast(customer_hits as integer) as customer_hits,
    round(recent_calls_with_pain / nullif(recent_calls_searched, 0), 3) as recent_call_share,
    first_week,
    last_week,
    purposes
from totals
where calls_with_pain > 0
