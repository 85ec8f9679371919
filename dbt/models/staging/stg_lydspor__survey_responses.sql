-- Post-call survey answers. Today the dialer reports the NPS answer (0-10) in the call's
-- metadata (raw.recordings.nps), so a response is a call with an answer; a separate survey
-- source would replace this model and keep its columns.
with

source as (
    select * from {{ source('lydspor', 'recordings') }}
),

renamed as (
    select
        call_id as response_id,
        call_id,
        call_date,
        cast(nps as integer) as nps_score
    from source
    where nps is not null
)

select * from renamed
