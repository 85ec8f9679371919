with

source as (
    select * from {{ source('lydspor', 'agent_audio') }}
),

renamed as (
    select
        call_id,
        call_date,
        status as agent_audio_status,
        agent_key,
        duration_s as agent_audio_duration_s,
        customer_audio_deleted,
        processed_at
    from source
)

select * from renamed
