-- A transparent score per call: points for the outcome (seed outcome_points) and for each
-- measured KPI inside its target band (seed kpi_targets); score = earned / possible * 100,
-- over what was measured only, so a KPI that is unknown neither helps nor hurts. Calls without
-- the agent's speech get no score (null) and the reason.
with

kpis as (
    select * from {{ ref('fct_call_kpis') }}
    where {{ call_date_window() }}
        and {{ purposes_allow('fct_call_scores') }}
),

calls as (
    select call_id, nps from {{ ref('fct_calls') }}
    where {{ call_date_window() }}
),

-- Each band's text is the same for every call: written once per seed row, not per call.
targets as (
    select
        *,
        ' (target '
            || case
                when min_value is null then '<= ' || printf('%g', max_value)
                when max_value is null then '>= ' || printf('%g', min_value)
                else printf('%g', min_value) || '-' || printf('%g', max_value)
            end || ')' as band_text
    from {{ ref('kpi_targets') }}
),

outcomes as (
    select *, 'outcome ' || outcome || ' (' || outcome_class || ')' as described
    from {{ ref('outcome_points') }}
),

measured as (
    select
        kpis.call_id,
        -- Customer-side KPIs count only where the customer's purposes allow this mart.
        kpis.speech_rate_wpm,
        kpis.longest_monologue_s,
        kpis.question_rate_per_min,
        case when customer_allowed then kpis.talk_ratio end as talk_ratio,
        case when customer_allowed then kpis.patience_s end as patience_s,
        case when customer_allowed then cast(kpis.agent_interruptions as double) end
            as agent_interruptions,
        cast(calls.nps as double) as nps
    from (
        select
            *,
            {{ purposes_allow('fct_call_scores', 'customer_purposes') }}
                as customer_allowed
        from kpis
    ) as kpis
    left join calls on calls.call_id = kpis.call_id
    where kpis.agent_metrics_missing_reason is null
),

kpi_values as (
    unpivot measured
    on speech_rate_wpm, longest_monologue_s, question_rate_per_min, talk_ratio, patience_s,
        agent_interruptions, nps
    into name kpi value kpi_value
),

components as (
    select
        kpi_values.call_id,
        targets.label,
        targets.points as possible,
        case
            when kpi_value >= coalesce(targets.min_value, kpi_value)
                and kpi_value <= coalesce(targets.max_value, kpi_value)
                then targets.points
            else 0
        end as earned,
        targets.label || ' ' || printf('%g', round(kpi_value, 2)) || targets.band_text
            as described
    from kpi_values
    inner join targets on targets.kpi = kpi_values.kpi
    union all
    select
        kpis.call_id,
        'outcome' as label,
        (select max(best.points) from outcomes as best) as possible,
        outcomes.points as earned,
        outcomes.described
    from kpis
    inner join outcomes on outcomes.outcome = kpis.outcome
    where kpis.agent_metrics_missing_reason is null
),

-- Unordered aggregation, then one small sort per call: DuckDB's ordered aggregates cost ten
-- times as much at a million calls. A struct list sorts field by field: points, then label.
scored as (
    select
        call_id,
        sum(earned) as score_points,
        sum(possible) as score_possible,
        list_sort(list({
            'rank': -possible, 'label': label, 'described': described,
            'earned': earned, 'possible': possible
        })) as parts
    from components
    group by call_id
)

select
    kpis.call_id,
    kpis.call_date,
    kpis.week_start,
    kpis.agent_id,
    kpis.team,
    kpis.language,
    kpis.outcome,
    outcomes.outcome_class,
    cast(calls.nps as integer) as nps,
    round(100.0 * scored.score_points / nullif(scored.score_possible, 0), 1) as call_score,
    cast(scored.score_points as integer) as score_points,
    cast(scored.score_possible as integer) as score_possible,
    coalesce(
        list_transform(list_filter(scored.parts, p -> p.earned = p.possible), p -> p.described),
        -- sqlfluff's DuckDB dialect reads varchar[] as a keyword and a bracket.
        cast([] as varchar[])  -- noqa: LT01
    ) as strengths,
    coalesce(
        list_transform(list_filter(scored.parts, p -> p.earned < p.possible), p -> p.described),
        cast([] as varchar[])  -- noqa: LT01
    ) as weaknesses,
    array_to_string(
        list_transform(
            scored.parts,
            p -> p.described || ' ' || cast(p.earned as varchar) || '/'
                || cast(p.possible as varchar)
        ),
        '; '
    ) as score_explanation,
    kpis.agent_metrics_missing_reason as score_missing_reason,
    kpis.legal_basis,
    kpis.purposes
from kpis
left join calls on calls.call_id = kpis.call_id
left join outcomes on outcomes.outcome = kpis.outcome
left join scored on scored.call_id = kpis.call_id
