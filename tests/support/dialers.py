"""The tenant the dialer tests read exports under: the one data/dialers/'s samples were made for."""

from __future__ import annotations

from pathlib import Path

from assets.recordings.dialers import AdapterDefaults
from assets.recordings.metadata import Direction, RecordingMode

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "dialers"
PURPOSES = ("coaching", "quality_assurance")
TENANT = AdapterDefaults(
    language="nb",
    recording_mode=RecordingMode.STEREO,
    agent_channel=0,
    lia_reference="LIA-2026-01",
    team="Salg Oslo",
    consent_accept_keys=frozenset({"1"}),
    consent_prompt_version="ivr-consent-v3",
    consent_purposes=PURPOSES,
)
#: Adversus exports no direction: an outbound tenant says so.
OUTBOUND_TENANT = TENANT.model_copy(update={"direction": Direction.OUTBOUND})
