-- One row per survey answer, joined to its call: the NPS class (promoter 9-10, passive 7-8,
-- detractor 0-6) and the trackers the call hit, for NPS by tracker. A response is in the mart
-- when the call's agent track allows the mart's purposes; a hit counts when its words do.
with

responses as (
    select * from {{ ref('stg_lydspor__survey_responses') }}
    where {{ call_date_window() }}
),

calls as (
    select * from {{ ref('fct_calls') }}
    where {{ call_date_window() }}
        and {{ purposes_allow('fct_survey_responses', 'agent_purposes') }}
),

trackers_hit as (
    select call_id, list_sort(list_distinct(list(tracker))) as trackers_hit
    from {{ ref('fct_tracker_hits') }}
    where {{ call_date_window() }}
        and {{ purposes_allow('fct_survey_responses') }}
        -- Only calls with an answer: most calls have none.
        and call_id in (select call_id from responses)
    group by call_id
)

select
    responses.response_id,
    responses.call_id,
    responses.call_date,
    cast(date_trunc('week', responses.call_date) as date) as week_start,
    calls.agent_id,
    calls.team,
    calls.campaign,
    calls.direction,
    calls.outcome,
    responses.nps_score,
    case
        when responses.nps_score >= 9 then 'promoter'
        when responses.nps_score >= 7 then 'passive'
        else 'detractor'
    end as nps_class,
    coalesce(trackers_hit.trackers_hit, cast([] as varchar[])) as trackers_hit,  -- noqa: LT01
    calls.agent_legal_basis as legal_basis,
    calls.agent_purposes as purposes
from responses
inner join calls on calls.call_id = responses.call_id
left join trackers_hit on trackers_hit.call_id = responses.call_id
