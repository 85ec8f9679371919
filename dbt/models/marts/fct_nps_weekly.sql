-- NPS per ISO week by agent, team and tracker (and overall): promoter, passive and detractor
-- counts and NPS = 100 * (promoters - detractors) / responses. Counts add up across weeks, so
-- a longer period's NPS is recomputed from them, never averaged.
with

responses as (
    select * from {{ ref('fct_survey_responses') }}
    where {{ purposes_allow('fct_nps_weekly') }}
),

by_dimension as (
    select week_start, 'overall' as dimension, 'all' as dimension_value, * exclude (week_start)
    from responses
    union all by name
    select week_start, 'agent' as dimension, agent_id as dimension_value, * exclude (week_start)
    from responses
    union all by name
    select week_start, 'team' as dimension, team as dimension_value, * exclude (week_start)
    from responses
    union all by name
    select
        week_start,
        'tracker' as dimension,
        unnest(trackers_hit) as dimension_value,
        * exclude (week_start)
    from responses
),

counted as (
    select
        week_start,
        dimension,
        dimension_value,
        count(*) as responses,
        count(*) filter (where nps_class = 'promoter') as promoters,
        count(*) filter (where nps_class = 'passive') as passives,
        count(*) filter (where nps_class = 'detractor') as detractors,
        list_sort(list_distinct(flatten(list(purposes)))) as purposes
    from by_dimension
    group by week_start, dimension, dimension_value
)

select
    strftime(week_start, '%Y-%m-%d') || ':' || dimension || ':' || dimension_value
        as nps_group_id,
    week_start,
    dimension,
    dimension_value,
    cast(responses as integer) as responses,
    cast(promoters as integer) as promoters,
    cast(passives as integer) as passives,
    cast(detractors as integer) as detractors,
    round(100.0 * (promoters - detractors) / responses, 1) as nps,
    purposes
from counted
