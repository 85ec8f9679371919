-- No transcript of the customer's speech unless the call's customer track has valid consent.
select words.word_id, words.call_id
from {{ ref('stg_lydspor__transcript_words') }} as words
left join {{ ref('stg_lydspor__track_bases') }} as bases
    on bases.call_id = words.call_id and bases.track = 'customer'
where words.track = 'customer'
  and (
      bases.legal_basis is null
      or bases.legal_basis <> 'consent'
      or not coalesce(bases.consent_valid, false)
  )
