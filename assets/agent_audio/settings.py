"""Isolation settings: the tenant's (the policy file's ``isolation:`` block) and the method's
(``IsolationSettings``: every knob of mono-call isolation, with its rule and unit)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field


class IsolationPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: A mono call whose isolation confidence is below this goes to review and nothing of it
    #: is kept (``IsolationSettings.min_confidence``).
    min_confidence: float = Field(default=0.9, gt=0, lt=1)


@dataclass(frozen=True)
class IsolationSettings:
    """How a mono call is isolated (``isolation.isolate``): every knob, its rule and unit.

    Frames are the segmentation's (16.9 ms); probabilities are 0-1; cosines are between CAM++
    embeddings (unit vectors).

    Attributes:
      min_confidence: A call whose confidence (0-1, from the evidence: see ``confidence``) is
        below this goes to review, and nothing of it is kept. Set from the policy file's
        ``isolation.min_confidence`` (``IsolationPolicy``).
      max_lost_share: A call whose estimated share of the agent's speech not kept (0-1,
        ``confidence.lost_share``: the agent's expected speech time, from the segmentation and
        the voices, that the decision silenced) is above this goes to review too, whatever its
        confidence: 0.03 is the target of under 3 % of the agent lost.
      window_step_s: Seconds between the starts of the segmentation's 10 s windows; every
        frame is seen by about 10 / window_step_s windows.
      active: A local speaker's frame probability above which the speaker counts as talking.
      min_piece_s: A local speaker with less speech on their own in a window (seconds) is not
        embedded; their speech in that window counts as someone else's.
      max_embed_s: Seconds of a local speaker's solo speech embedded per window, taken from the
        window's middle.
      edge_s: Seconds over which a window's weight ramps up from its edges when windows are
        averaged.
      one_voice_silhouette: Below this best mean silhouette (cosine, call-centred embeddings)
        no split of the pieces is better than "one voice".
      agent_spread: Clusters whose centre is within this cosine of the voiceprint's nearest
        cluster's are the agent's too (one voice cut in two).
      hidden_gap: Pieces of the agent's cluster whose cosine to the voiceprint is more than this
        below its best-matching pieces' (of at least 1 s) are someone else.
      min_spread: Floor on the spread (cosine) of the agent discriminant, so a handful of
        pieces cannot make it overconfident.
      keep_agent: A frame is kept only where the agent's probability is at least this.
      max_other: ... and anyone else's is below this,
      max_overlap: ... and the probability of two people speaking at once is below this,
      max_disagreement: ... and the windows seeing the frame disagree about the agent's share
        by less than this.
      other_speech: Someone else speaks in a frame where their probability is at least this.
      guard_s: Seconds of silence kept on each side of someone else's speech.
      pad_s: Kept stretches grow by this many seconds on each side (onsets and word tails),
        never to within ``guard_s`` of someone else's speech and never into a frame where
        someone else's probability is ``max_other`` or more (a turn's fading tail under the
        agent's onset).
      bridge_s: A pause of at most this many seconds between two kept stretches is kept too,
        unless someone else speaks within ``guard_s`` of it.
      min_island_s: A kept stretch shorter than this (seconds) within ``guard_s`` of someone
        else's speech is silenced.
      speech_threshold: A frame is speech (listed in the segments) where the probability that
        anyone speaks is at least this.
      lone_voice_confidence: Call confidence when the call holds one voice only: a customer who
        sounds like the agent cannot be told from the agent alone.
      margin_scale: Cosine margin (agent's cluster against the next one, to the voiceprint) at
        which that evidence alone gives confidence 1 - e^-1.
      separation_scale: Separation of the agent's cluster from the others (discriminant units:
        gap of the means over the pooled spread) at which that evidence gives 1 - e^-1.
      risky_share_limit: Share of the kept time in risky frames (windows disagree, someone
        else or an overlap is possible) at which the call's confidence falls to zero.
      merge_penalty: Call confidence is multiplied by (1 - merge_penalty x the share of the
        agent's speech that came from joined clusters) and likewise for hidden voices.
      ok_print_scatter: Standard deviation (cosine) of the agent's pieces' similarity to the
        voiceprint up to which the agent's cluster counts as one voice.
      max_print_scatter: ... and at which the call's confidence falls to zero (linear between).
      verify_window_s: Seconds of kept audio per window in the second opinion (``verify``).
      verify_hop_s: Seconds between those windows' starts.
      verify_margin: A window whose cosine to the agent's cluster centre leads the nearest
        other centre's by less than this is silenced.
      disputed_share_limit: Share of the kept time so silenced at which the call's confidence
        falls to zero (linear from none).
      risky_other: A kept frame is risky where any window gives someone else at least this.
    """

    min_confidence: float = 0.9
    max_lost_share: float = 0.03
    window_step_s: float = 5.0
    active: float = 0.5
    min_piece_s: float = 0.5
    max_embed_s: float = 3.0
    edge_s: float = 1.0
    one_voice_silhouette: float = 0.12
    agent_spread: float = 0.06
    hidden_gap: float = 0.25
    min_spread: float = 0.02
    keep_agent: float = 0.5
    max_other: float = 0.15
    max_overlap: float = 0.3
    max_disagreement: float = 0.5
    other_speech: float = 0.5
    guard_s: float = 0.15
    pad_s: float = 0.15
    bridge_s: float = 0.5
    min_island_s: float = 0.4
    speech_threshold: float = 0.5
    lone_voice_confidence: float = 0.5
    margin_scale: float = 0.05
    separation_scale: float = 1.0
    risky_share_limit: float = 0.5
    risky_other: float = 0.2
    merge_penalty: float = 0.5
    ok_print_scatter: float = 0.07
    verify_window_s: float = 1.5
    verify_hop_s: float = 0.75
    verify_margin: float = 0.0
    disputed_share_limit: float = 0.3
    max_print_scatter: float = 0.12
