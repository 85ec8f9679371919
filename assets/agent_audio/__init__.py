"""agent audio domain: the agent's voice alone, from stereo, agent-only and mono recordings.

The public API of mono-call isolation is re-exported here; the pipeline's step is
``assets.agent_audio.assets.agent_audio``.
"""

from assets.agent_audio.isolation import (
    AGENT,
    FAILED,
    ISOLATED,
    NO_SPEECH,
    NO_VOICEPRINT,
    OTHER,
    REVIEW,
    Isolation,
    IsolationSettings,
    Models,
    Segment,
    isolate,
    shared_models,
)
from assets.agent_audio.settings import IsolationPolicy

__all__ = [
    "AGENT",
    "FAILED",
    "ISOLATED",
    "NO_SPEECH",
    "NO_VOICEPRINT",
    "OTHER",
    "REVIEW",
    "Isolation",
    "IsolationPolicy",
    "IsolationSettings",
    "Models",
    "Segment",
    "isolate",
    "shared_models",
]
