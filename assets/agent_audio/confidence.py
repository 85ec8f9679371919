"""The call's confidence: how sure the isolation is that what it keeps is the agent alone.

It is built from evidence inside the call, each piece mapped to [0, 1] and multiplied, so any one
weak piece pulls the call down:

- *voiceprint margin*: how much nearer the agent's voiceprint the chosen cluster's centre is than
  the next cluster's (is the right voice chosen?);
- *separation*: how far the agent's pieces lie from the others' (are the voices told apart at
  all, or does the agent's cluster also hold someone who sounds alike?);
- *coherence*: how little the agent's pieces scatter in their similarity to the voiceprint
  (one voice scatters little; a cluster that also holds a second voice, or pieces where the
  segmentation ran two voices together, scatter more);
- *agreement*: the share of the kept time where CAM++ on short windows of the kept audio places
  it nearer another voice than the agent's (segmentation and embeddings disagree);
- *risky share*: the share of the kept time where the windows disagree about who speaks, any
  window gives someone else a fair chance, or the agent's share is not clear (is what is kept
  clean frame by frame?).

Beside the confidence (which measures the risk of keeping someone else), ``lost_share``
estimates how much of the agent's speech was silenced; a call that loses more than
``max_lost_share`` goes to review too, so a call that keeps too little of the agent never
passes silently.

A call with one voice only gets ``lone_voice_confidence``: nothing in it tells the agent from a
customer who sounds like them. None of this reaches 1.00 unless all evidence is overwhelming.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from assets.agent_audio.settings import IsolationSettings
from assets.agent_audio.tracks import Timeline
from assets.agent_audio.voices import Voices


@dataclass(frozen=True)
class Evidence:
    voices: int
    print_margin: float
    separation: float
    agent_silhouette: float
    risky_share: float
    kept_s: float
    #: Kept time where the agent's probability is below 0.9 (seconds).
    unsure_kept_s: float
    merged_share: float = 0.0
    hidden_share: float = 0.0
    print_scatter: float = 0.0
    #: Share of the kept time that short-window embeddings placed nearer another voice.
    disputed_share: float = 0.0
    #: Estimated share of the agent's speech that is not kept (``lost_share``): the call goes to
    #: review above ``IsolationSettings.max_lost_share`` whatever its confidence.
    lost_share: float = 0.0

    def as_json(self) -> dict:
        return {k: round(float(v), 4) for k, v in asdict(self).items()}


def evidence(
    voices: Voices, line: Timeline, kept: np.ndarray, s: IsolationSettings, disputed: float = 0.0
) -> Evidence:
    kept_n = int(kept.sum())
    risky = (
        (line.disagreement >= 0.5 * s.max_disagreement)
        | (line.other_max >= s.risky_other)
        | (line.overlap >= 0.5 * s.max_overlap)
    )
    share = float((risky & kept).sum() / kept_n) if kept_n else 0.0
    unsure = float(((line.agent < 0.9) & kept).sum() * line.frame_step)
    return Evidence(
        voices=voices.count,
        print_margin=voices.print_margin,
        separation=voices.separation,
        agent_silhouette=voices.agent_silhouette,
        risky_share=share,
        kept_s=kept_n * line.frame_step,
        unsure_kept_s=unsure,
        merged_share=voices.merged_share,
        hidden_share=voices.hidden_share,
        print_scatter=voices.print_scatter,
        disputed_share=disputed,
        lost_share=lost_share(line, kept, s.speech_threshold),
    )


def lost_share(line: Timeline, kept: np.ndarray, speech_threshold: float) -> float:
    """Estimated share (0-1) of the agent's speech that the decision silenced.

    The agent's expected speech is, over the frames where anyone speaks (probability at least
    ``speech_threshold``), the agent's probability less the overlap's (time the agent speaks
    alone, as the targets count it); the estimate is the part of it outside the kept frames:
    speech the model gave the agent but the guard, the islands rule, the thresholds or the
    second opinion silenced as uncertain. It does not see agent speech the segmentation gave
    to someone else, so it runs low on calls where the voices are confused (those lose
    confidence instead). 1.0 when no agent speech is expected."""
    speaking = line.speech >= speech_threshold
    agent = np.where(speaking, line.agent * (1.0 - line.overlap), 0.0)
    expected = float(agent.sum())
    if expected <= 0.0:
        return 1.0
    return float(agent[~kept].sum() / expected)


def call_confidence(ev: Evidence, s: IsolationSettings) -> float:
    if ev.voices < 2:
        return s.lone_voice_confidence
    if ev.kept_s <= 0.0:
        return 0.0
    margin = _saturating(ev.print_margin, s.margin_scale)
    separation = _saturating(ev.separation, s.separation_scale)
    clean = max(0.0, 1.0 - ev.risky_share / s.risky_share_limit)
    joined = max(0.0, 1.0 - s.merge_penalty * (ev.merged_share + ev.hidden_share))
    span = max(s.max_print_scatter - s.ok_print_scatter, 1e-9)
    coherent = float(np.clip(1.0 - (ev.print_scatter - s.ok_print_scatter) / span, 0.0, 1.0))
    agreed = max(0.0, 1.0 - ev.disputed_share / s.disputed_share_limit)
    return float(margin * separation * clean * joined * coherent * agreed)


def _saturating(x: float, scale: float) -> float:
    """0 at x <= 0, 1 - e^-1 at x = scale, approaching 1 beyond."""
    return float(1.0 - np.exp(-max(x, 0.0) / scale))
