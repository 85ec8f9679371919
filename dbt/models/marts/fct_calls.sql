-- One row per call: what was recorded, on which basis, and what became of the customer's voice.
with

calls as (
    select * from {{ ref('stg_lydspor__calls') }}
    where {{ call_date_window() }}
),

agent_audio as (
    select * from {{ ref('stg_lydspor__agent_audio') }}
),

bases as (
    select * from {{ ref('stg_lydspor__track_bases') }}
),

customer_audio as (
    select
        call_id,
        count(*) as customer_audio_objects,
        count(deleted_at) as customer_audio_deleted,
        max(deleted_at) as customer_audio_deleted_at,
        min(deadline) filter (where deleted_at is null) as customer_audio_next_deadline
    from {{ ref('stg_lydspor__stored_objects') }}
    where object_class = 'customer_audio' and call_id is not null
    group by call_id
)

select
    calls.call_id,
    calls.call_date,
    calls.started_at,
    calls.direction,
    calls.dialer,
    calls.agent_id,
    calls.team,
    calls.campaign,
    calls.language,
    calls.recording_mode,
    calls.outcome,
    calls.nps,
    calls.duration_s,
    agent_audio.agent_audio_status,
    agent_basis.legal_basis as agent_legal_basis,
    agent_basis.purposes as agent_purposes,
    customer_basis.legal_basis as customer_legal_basis,
    customer_basis.purposes as customer_purposes,
    customer_basis.consent_valid as customer_consent_valid,
    customer_basis.basis_reason as customer_basis_reason,
    case
        when calls.recording_mode = 'agent_only' then 'never_recorded'
        when coalesce(customer_audio.customer_audio_objects, 0) = 0 then 'unknown'
        when customer_audio.customer_audio_deleted = customer_audio.customer_audio_objects
            then 'deleted'
        when customer_basis.legal_basis = 'consent' then 'kept_with_consent'
        else 'awaiting_deletion'
    end as customer_audio_status,
    customer_audio.customer_audio_deleted_at,
    customer_audio.customer_audio_next_deadline
from calls
left join agent_audio on agent_audio.call_id = calls.call_id
left join bases as agent_basis
    on agent_basis.call_id = calls.call_id and agent_basis.track = 'agent'
left join bases as customer_basis
    on customer_basis.call_id = calls.call_id and customer_basis.track = 'customer'
left join customer_audio on customer_audio.call_id = calls.call_id
-- Purpose limitation: a call is in this mart only if its agent track may serve it.
where {{ purposes_allow('fct_calls', 'agent_basis.purposes') }}
