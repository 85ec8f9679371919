with

source as (
    select * from {{ source('lydspor', 'retention_state') }}
),

renamed as (
    select
        object_key,
        call_id,
        call_date,
        kind,
        object_class,
        legal_basis,
        purposes,
        created_at,
        deadline,
        deleted_at,
        in_store,
        in_ledger
    from source
)

select * from renamed
