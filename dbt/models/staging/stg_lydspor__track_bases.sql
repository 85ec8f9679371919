with

source as (
    select * from {{ source('lydspor', 'consent_lineage') }}
),

renamed as (
    select
        call_id || ':' || track as track_id,
        call_id,
        call_date,
        track,
        legal_basis,
        purposes,
        consent_valid,
        reason as basis_reason,
        consent_mechanism,
        consent_at,
        prompt_version,
        lia_reference
    from source
)

select * from renamed
