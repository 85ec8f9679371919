with

source as (
    select * from {{ source('lydspor', 'transcript_words') }}
),

renamed as (
    select
        call_id || ':' || track || ':' || cast(word_index as varchar) as word_id,
        call_id,
        call_date,
        track,
        word_index,
        segment_index,
        word,
        start_s,
        end_s,
        end_s - start_s as duration_s,
        probability,
        language,
        legal_basis,
        purposes
    from source
)

select * from renamed
