"""Find the agent in a mono recording and keep only their speech.

Voice activity detection finds speech; each speech span is cut into short windows, each window
gets a CAM++ speaker embedding, the windows are clustered by voice, and the agent is the cluster
whose centre is nearest the agent's voiceprint. Every window then gets a probability of being
the agent; only windows the model is sure of (``min_confidence``) stay audible, everything else
is silent, on the recording's own timeline.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

import numpy as np
import polars as pl

from assets.agent_audio.clustering import (
    ONE_VOICE_SILHOUETTE,
    centroids,
    cluster_silhouette,
    cluster_voices,
    reveal_hidden_voice,
)
from assets.agent_audio.embeddings import in_band
from assets.agent_audio.speech import Span, band_top_hz, speech_spans, to_model_rate

AGENT, OTHER = "agent", "other"

ISOLATED = "isolated"  # agent found with confidence; agent-only audio written
REVIEW = "isolation_review"  # agent not found with confidence: flagged, uncertain parts silent
NO_VOICEPRINT = "isolation_no_voiceprint"  # the agent is not enrolled yet
NO_SPEECH = "isolation_no_speech"  # nobody speaks in the recording
FAILED = "isolation_failed"  # isolation raised; the customer's voice is deleted all the same

SEGMENT_SCHEMA = pl.Schema(
    {"start": pl.Float64, "end": pl.Float64, "role": pl.String, "confidence": pl.Float64}
)


@dataclass(frozen=True)
class IsolationSettings:
    """How a mono call is isolated; every tuning knob, with its rule and unit.

    Attributes:
      min_confidence: Speech the agent model is less sure of than this (a probability) is
        silent in the agent audio, and a call whose agent cluster is less sure is flagged for
        review: nothing of it is kept.
      window_s: Length (s) of the windows speech is cut into and embedded.
      refine_window_s: Length (s) of the shorter views a window is looked at again in.
      refine_step_s: Step (s) between those shorter views.
      refine_below: A window with a lower agent probability than this is "unsure": each of
        its cells takes the least agent-like shorter view. In a surer window a shorter view
        counts only where it is as sure of someone else as the window was of the agent (a
        quieter customer's short reply or barge-in onset leaves a 3 s window agent-like).
      sharpen_steps: Halvings (count) of the cells at a change of voice with no pause between
        (0.5 s -> 0.25 s -> 0.125 s); each costs one short embedding per change.
      onset_probe_s: Length (s) of the probe where the agent's turn gives way to someone else,
        so a customer barging in weighs in it from their first quarter second.
      guard_s: Silence (s) kept on the agent's side of a voice change without a pause: longer
        leaks less of a barge-in and loses more of the agent.
      bridge_s: A pause (s) this short between two kept agent segments is kept too (breaths,
        commas).
      min_island_s: A kept stretch (s) shorter than this with someone else's speech within
        ``bridge_s`` before or after it is silenced: at the edge of or inside a customer's
        turn, such an island is far more often a mis-scored piece of the customer than a word
        of the agent's.
      call_temperature: Softness (cosine) of the call-level decision: how much nearer the
        voiceprint the agent's cluster must be than the next.
      agent_spread: Clusters this close (cosine) to the voiceprint's nearest one are the
        agent's as well.
      lone_voice_confidence: The call confidence when no voice apart from the agent's is found.
        CAM++ puts some voices (a colleague, a caller of the agent's sex and accent, a phone
        line) as near the voiceprint as the agent's own, so "only the agent speaks" cannot be
        told from "the caller sounds like the agent": below ``min_confidence``, such calls go
        to review.
      min_agent_silhouette: Mean silhouette the agent's cluster needs to count as a voice apart
        (the same floor under which the clustering calls a call one voice); below it the call
        confidence is capped at ``lone_voice_confidence``.
      hidden_voice_gap: A part of the agent's cluster (in the clustering with one voice more)
        this much further (cosine) from the voiceprint than another part is someone else: a
        voice that speaks little can hide in the agent's cluster, since the silhouette prefers
        the call's biggest split. Parts of clusters holding only the agent differ by less.
      clear_agent_silhouette: Below this silhouette the agent's cluster may still be one voice
        cut in two by k-means (a caller who sounds like the agent mixed into both halves); such
        a call passes only with ``decisive_confidence``. Set just above where sound-alike
        calls lie: an error in this direction sends a call to review, which keeps nothing.
      decisive_confidence: The voiceprint margin (confidence) such a call needs to pass.
    """

    min_confidence: float = 0.9
    window_s: float = 3.0
    refine_window_s: float = 1.0
    refine_step_s: float = 0.5
    refine_below: float = 0.95
    sharpen_steps: int = 2
    onset_probe_s: float = 0.5
    guard_s: float = 0.2
    bridge_s: float = 0.4
    min_island_s: float = 0.5
    call_temperature: float = 0.02
    agent_spread: float = 0.04
    lone_voice_confidence: float = 0.5
    min_agent_silhouette: float = ONE_VOICE_SILHOUETTE
    hidden_voice_gap: float = 0.12
    clear_agent_silhouette: float = 0.19
    decisive_confidence: float = 0.99


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
    confidence: float  # that the cluster chosen is the agent (0 when there is none)
    segments: tuple[Segment, ...]
    speakers: int
    #: Agent audio at the input's rate and length, or None when nothing can be kept.
    agent_audio: np.ndarray | None

    @property
    def agent_seconds(self) -> float:
        return sum(s.end - s.start for s in self.segments if s.role == AGENT)

    def segments_frame(self) -> pl.DataFrame:
        return pl.DataFrame([s.as_json() for s in self.segments], schema=SEGMENT_SCHEMA)

    def segments_json(self) -> str:
        return json.dumps([s.as_json() for s in self.segments], indent=1)


def isolate(
    samples: np.ndarray,
    rate: int,
    voiceprint: np.ndarray | None,
    encoder,
    settings: IsolationSettings | None = None,
) -> Isolation:
    """Agent-only audio and a segment table for one mono recording (any rate)."""
    settings = settings or IsolationSettings()
    audio = to_model_rate(samples, rate)
    top_hz = band_top_hz(audio, rate)
    spans = speech_spans(audio, top_hz=top_hz)
    if not spans:
        return Isolation(NO_SPEECH, 0.0, (), 0, None)
    if voiceprint is None:
        # Nothing tells the agent apart; the speech is listed, but no voice is kept.
        table = tuple(Segment(s.start, s.end, OTHER, 0.0) for s in spans)
        return Isolation(NO_VOICEPRINT, 0.0, table, 0, None)

    encoder = in_band(encoder, top_hz)
    windows = _windows(spans, settings.window_s)
    embeddings = encoder.embed(audio, windows)
    weights = np.array([w.duration for w in windows])
    labels = cluster_voices(embeddings, weights)
    labels = reveal_hidden_voice(embeddings, labels, weights, voiceprint, settings.hidden_voice_gap)
    centres = centroids(embeddings, labels, weights)
    # The agent's voice can come out as two clusters (a louder and a quieter stretch, say):
    # every cluster as near the voiceprint as the nearest one, give or take, is the agent's.
    to_print = centres @ voiceprint
    agent_like = to_print >= to_print.max() - settings.agent_spread
    labels = np.where(agent_like[labels], int(np.argmax(to_print)), labels)
    labels = np.unique(labels, return_inverse=True)[1]
    centres = centroids(embeddings, labels, weights)
    to_print = centres @ voiceprint
    agent = int(np.argmax(to_print))
    call_conf = _call_confidence(to_print, agent, settings)
    if centres.shape[0] > 1:
        apart = cluster_silhouette(embeddings, labels, weights, agent)
        call_conf = _weighed_by_separation(call_conf, apart, settings)

    model = _WindowModel.fit(embeddings, labels, centres, agent)
    p_agent = model.probability(embeddings)
    windows, p_agent = _refine(audio, windows, p_agent, encoder, model, settings)
    for _ in range(settings.sharpen_steps):
        windows, p_agent = _sharpen(audio, windows, p_agent, encoder, model, settings)
    cells = _guarded(_cells(windows, p_agent * call_conf, settings), settings.guard_s)
    segments = _bridge(_merge(cells), settings.bridge_s)
    segments = _drop_islands(segments, settings.min_island_s, settings.bridge_s)
    kept = [s for s in segments if s.role == AGENT]
    status = ISOLATED if call_conf >= settings.min_confidence else REVIEW
    return Isolation(
        status, call_conf, tuple(segments), int(centres.shape[0]), _mask(samples, rate, kept)
    )


def _windows(spans: list[Span], length: float) -> list[Span]:
    """Each span cut into equal windows of about ``length`` seconds; no overlap, so every
    second of speech is embedded once."""
    out = []
    for span in spans:
        count = max(1, round(span.duration / length))
        edges = np.linspace(span.start, span.end, count + 1)
        out.extend(Span(float(a), float(b)) for a, b in itertools.pairwise(edges))
    return out


def _weighed_by_separation(call_conf: float, apart: float, settings: IsolationSettings) -> float:
    """The call confidence, capped where the agent's cluster does not stand apart (its mean
    silhouette ``apart``) well enough to be sure it is a voice of its own."""
    unclear = apart < settings.clear_agent_silhouette and call_conf < settings.decisive_confidence
    if apart < settings.min_agent_silhouette or unclear:
        return min(call_conf, settings.lone_voice_confidence)
    return call_conf


def _call_confidence(to_print: np.ndarray, agent: int, settings: IsolationSettings) -> float:
    others = np.delete(to_print, agent)
    if not others.size:
        return settings.lone_voice_confidence
    return float(_sigmoid((to_print[agent] - float(others.max())) / settings.call_temperature))


@dataclass(frozen=True)
class _WindowModel:
    """How far nearer the agent's centre than any other a window is, and what that distance
    says in this call: a normal model per side, fitted on the clustered windows themselves, so
    a noisy line or similar voices give honest, lower probabilities."""

    centres: np.ndarray
    agent: int
    agent_mean: float
    other_mean: float
    spread: float

    @classmethod
    def fit(cls, embeddings, labels, centres, agent) -> _WindowModel:
        if centres.shape[0] == 1:
            return cls(centres, agent, 1.0, -1.0, 1.0)
        d = _lead(embeddings, centres, agent)
        mine, rest = d[labels == agent], d[labels != agent]
        pooled = np.concatenate([mine - mine.mean(), rest - rest.mean()])
        # A floor on the spread: a handful of windows must not make the model overconfident.
        spread = max(float(np.sqrt(np.mean(pooled**2))), 0.02)
        return cls(centres, agent, float(mine.mean()), float(rest.mean()), spread)

    def probability(self, embeddings: np.ndarray) -> np.ndarray:
        if self.centres.shape[0] == 1:
            return np.ones(embeddings.shape[0])
        d = _lead(embeddings, self.centres, self.agent)
        # Log-odds of two normals with one spread (linear discriminant), equal priors.
        gap = self.agent_mean - self.other_mean
        log_odds = gap * (d - 0.5 * (self.agent_mean + self.other_mean)) / self.spread**2
        return 1.0 / (1.0 + np.exp(-np.clip(log_odds, -50, 50)))


def _lead(embeddings: np.ndarray, centres: np.ndarray, agent: int) -> np.ndarray:
    sims = embeddings @ centres.T
    return sims[:, agent] - np.delete(sims, agent, axis=1).max(axis=1)


def _refine(audio, windows, p_agent, encoder, model, settings):
    """Windows not clearly the agent's: score shorter overlapping windows inside them, so a
    voice change within a window is placed to half a second. Windows clearly someone else's
    are looked at too: with a barge-in (or a pause too short for the VAD) a window holds the
    end of the agent's turn and the customer's onset, and the voice that dominates it would
    take the agent's part down with it.

    Windows clearly the agent's are looked at as well: the agent is often the louder voice, so a
    customer's short reply or the onset of a barge-in inside an agent window leaves its
    embedding agent-like. There a shorter view overrules the window only where it is as sure
    of someone else as the window was of the agent (``q < 1 - p``): a one-second view of the
    agent is noisier than three seconds of it, and a merely less sure view must not cost the
    agent their speech."""
    long_enough = [i for i, w in enumerate(windows) if w.duration > 1.5 * settings.refine_window_s]
    if not long_enough:
        return windows, p_agent
    sure = {i for i in long_enough if p_agent[i] >= settings.refine_below}
    step, size = settings.refine_step_s, settings.refine_window_s
    subs, owners = [], []
    for i in long_enough:
        w = windows[i]
        starts = np.arange(w.start, max(w.start, w.end - size) + 1e-6, step)
        for s in starts:
            subs.append(Span(float(s), float(min(w.end, s + size))))
            owners.append(i)
    sub_p = model.probability(encoder.embed(audio, subs))
    # Grouped once: every long window is refined, so no scan of every sub-window per window.
    scored: dict[int, list[tuple[Span, float]]] = {}
    for owner, sub, q in zip(owners, subs, sub_p, strict=True):
        scored.setdefault(owner, []).append((sub, q))
    new_windows, new_p = [], []
    for i, (w, p) in enumerate(zip(windows, p_agent, strict=True)):
        if i not in scored:
            new_windows.append(w)
            new_p.append(p)
            continue
        mine = scored[i]
        edges = [*np.arange(w.start, w.end, step).tolist(), w.end]
        for a, b in itertools.pairwise(edges):
            covering = [q for s, q in mine if s.start < b and s.end > a]
            new_windows.append(Span(a, b))
            # The least agent-like view wins: a customer's voice must not slip through.
            q = min(covering) if covering else p
            new_p.append(q if i not in sure or q < 1 - p else p)
    return new_windows, np.array(new_p)


def _sharpen(audio, windows, p_agent, encoder, model, settings):
    """Where a kept cell meets an unkept one with no pause between, score a window that
    reaches from the agent's side to the middle of the unkept cell: if it is still clearly the
    agent, the half next to the agent is the agent's. One halving per call; the cells'
    boundaries after the refinement are only half a second apart, and each change of voice
    cost up to that much of the agent's speech."""
    keep = p_agent >= settings.min_confidence
    size = settings.refine_window_s
    probes, where = [], []
    for i in range(len(windows) - 1):
        a, b = windows[i], windows[i + 1]
        if abs(a.end - b.start) > 1e-6 or keep[i] == keep[i + 1]:
            continue
        if any(j in (i, i + 1) for j, _ in where):
            continue  # a cell between two changes is halved from one side only
        if keep[i]:  # the agent, then someone else: does the agent reach b's middle?
            mid = 0.5 * (b.start + b.end)
            probes.append(Span(max(0.0, mid - settings.onset_probe_s), mid))
            where.append((i + 1, "head"))
        else:  # someone else, then the agent: does the agent start at a's middle?
            mid = 0.5 * (a.start + a.end)
            probes.append(Span(mid, mid + size))
            where.append((i, "tail"))
    if not probes:
        return windows, p_agent
    probe_p = model.probability(encoder.embed(audio, probes))
    split = {i: (part, q) for (i, part), q in zip(where, probe_p, strict=True)}
    new_windows, new_p = [], []
    for i, (w, p) in enumerate(zip(windows, p_agent, strict=True)):
        if i not in split:
            new_windows.append(w)
            new_p.append(p)
            continue
        part, q = split[i]
        mid = 0.5 * (w.start + w.end)
        # The probe covers the agent's side and this half: agent-like only if both are.
        halves = [(Span(w.start, mid), q), (Span(mid, w.end), p)]
        if part == "tail":
            halves = [(Span(w.start, mid), p), (Span(mid, w.end), q)]
        for span, prob in halves:
            new_windows.append(span)
            new_p.append(prob)
    return new_windows, np.array(new_p)


@dataclass(frozen=True)
class _Cell:
    span: Span
    role: str
    confidence: float
    kept: bool


def _cells(windows: list[Span], p_agent: np.ndarray, settings: IsolationSettings) -> list[_Cell]:
    cells = []
    for w, p in zip(windows, p_agent, strict=True):
        keep = p >= settings.min_confidence
        # An unsure window is silenced, so it is reported as "other" with the probability of
        # that being right: a low confidence there marks speech that may be the agent's.
        cells.append(_Cell(w, AGENT if keep else OTHER, float(p if keep else 1 - p), keep))
    return cells


def _guarded(cells: list[_Cell], guard: float) -> list[_Cell]:
    """Trim ``guard`` seconds off agent cells that touch another voice with no pause between."""
    out = list(cells)
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        if abs(a.span.end - b.span.start) > 1e-6 or a.role == b.role:
            continue
        if a.role == AGENT:
            out[i : i + 2] = [_shrink(a, end=-guard), _grow(b, start=-guard)]
        else:
            out[i : i + 2] = [_grow(a, end=guard), _shrink(b, start=guard)]
    return [c for c in out if c.span.duration > 1e-6]


def _shrink(cell: _Cell, start: float = 0.0, end: float = 0.0) -> _Cell:
    s = Span(cell.span.start + start, max(cell.span.start + start, cell.span.end + end))
    return _Cell(s, cell.role, cell.confidence, cell.kept)


def _grow(cell: _Cell, start: float = 0.0, end: float = 0.0) -> _Cell:
    return _Cell(
        Span(cell.span.start + start, cell.span.end + end), cell.role, cell.confidence, cell.kept
    )


def _merge(cells: list[_Cell]) -> list[Segment]:
    """Adjacent cells of one role become one segment (confidence weighted by duration)."""
    segments: list[Segment] = []
    acc: list[_Cell] = []
    for cell in [*cells, None]:  # type: ignore[list-item]
        if acc and (
            cell is None or cell.role != acc[-1].role or cell.span.start - acc[-1].span.end > 1e-6
        ):
            total = sum(c.span.duration for c in acc)
            conf = sum(c.confidence * c.span.duration for c in acc) / total if total else 0.0
            segments.append(Segment(acc[0].span.start, acc[-1].span.end, acc[0].role, conf))
            acc = []
        if cell is not None:
            acc.append(cell)
    return segments


def _bridge(
    segments: list[Segment], gap: float, roles: tuple[str, ...] = (AGENT,)
) -> list[Segment]:
    """Join neighbouring segments of one role (one of ``roles``) at most ``gap`` seconds apart,
    confidence weighted by duration. By default: agent segments separated only by a short
    pause (no one else speaks in it)."""
    out: list[Segment] = []
    for seg in segments:
        last = out[-1] if out else None
        if last and last.role == seg.role in roles and seg.start - last.end <= gap:
            a, b = last.end - last.start, seg.end - seg.start
            conf = (last.confidence * a + seg.confidence * b) / max(a + b, 1e-9)
            out[-1] = Segment(last.start, seg.end, seg.role, conf)
        else:
            out.append(seg)
    return out


def _drop_islands(segments: list[Segment], shortest: float, gap: float) -> list[Segment]:
    """Short agent segments right next to other speech become "other" (then merged)."""

    def next_to_other(seg: Segment, neighbour: Segment | None) -> bool:
        if neighbour is None or neighbour.role != OTHER:
            return False
        return max(neighbour.start - seg.end, seg.start - neighbour.end) <= gap

    out = list(segments)
    for i, seg in enumerate(segments):
        before = segments[i - 1] if i > 0 else None
        after = segments[i + 1] if i + 1 < len(segments) else None
        beside_other = next_to_other(seg, before) or next_to_other(seg, after)
        if seg.role == AGENT and seg.end - seg.start < shortest and beside_other:
            out[i] = Segment(seg.start, seg.end, OTHER, 1 - seg.confidence)
    return _bridge(out, 1e-6, roles=(AGENT, OTHER))  # touching segments of one role: one


def _mask(samples: np.ndarray, rate: int, kept: list[Segment]) -> np.ndarray:
    """The input with everything outside ``kept`` silent (5 ms fades avoid clicks)."""
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


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + np.exp(-x))
