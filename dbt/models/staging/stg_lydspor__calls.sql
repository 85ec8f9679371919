-- One row per call. The customer's phone number stays in raw: no mart needs it.
with

source as (
    select * from {{ source('lydspor', 'recordings') }}
),

renamed as (
    select
        call_id,
        call_date,
        dialer,
        direction,
        started_at,
        ended_at,
        agent_id,
        team,
        campaign,
        language,
        recording_mode,
        outcome,
        nps,
        duration_s,
        channels,
        sample_rate,
        ingested_at
    from source
)

select * from renamed
