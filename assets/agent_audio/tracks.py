"""From the segmentation's local speakers to what can be embedded, and back to one timeline.

A *piece* is one local speaker of one window: the frames where that speaker talks alone (no one
else, no overlap). Each piece is embedded once and, once the voices are known, gets a probability
of being the agent. ``timeline`` spreads those probabilities back over every window's frames and
averages the windows that cover a frame, so each frame of the recording ends up with how likely
the agent, and how likely anyone else, speaks in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assets.agent_audio.segmentation import LocalActivity

FBANK_FRAME_S = 0.01


@dataclass(frozen=True)
class Piece:
    window: int
    speaker: int  # local speaker index in that window
    frames: np.ndarray  # local frame indices where the speaker talks alone
    seconds: float  # how much clean speech that is


def pieces(activity: LocalActivity, active: float, min_clean_s: float) -> list[Piece]:
    """Every local speaker with at least ``min_clean_s`` of speech on their own (probability
    above ``active``, everyone else and the overlap below it)."""
    out = []
    for c in range(activity.speakers.shape[0]):
        probs = activity.speakers[c]
        for k in range(probs.shape[1]):
            others = np.delete(probs, k, axis=1).max(axis=1)
            alone = (probs[:, k] > active) & (others < active) & (activity.overlap[c] < active)
            seconds = float(alone.sum() * activity.frame_step)
            if seconds >= min_clean_s:
                out.append(Piece(c, k, np.flatnonzero(alone), seconds))
    return out


def embedding_frames(activity: LocalActivity, piece: Piece, max_s: float) -> np.ndarray:
    """The filterbank frames (10 ms) under a piece, at most ``max_s`` seconds of them, taken
    nearest the window's centre, where the segmentation sees the most context."""
    frames = piece.frames
    limit = max(1, int(max_s / activity.frame_step))
    if frames.size > limit:
        centre = activity.speakers.shape[1] / 2
        frames = np.sort(frames[np.argsort(np.abs(frames - centre), kind="stable")[:limit]])
    start = activity.starts[piece.window]
    t0 = start + frames * activity.frame_step
    t1 = t0 + activity.frame_step
    out = [
        np.arange(int(a / FBANK_FRAME_S), max(int(a / FBANK_FRAME_S) + 1, int(b / FBANK_FRAME_S)))
        for a, b in zip(t0, t1, strict=True)
    ]
    return np.unique(np.concatenate(out)) if out else np.zeros(0, dtype=int)


@dataclass(frozen=True)
class Timeline:
    """Per global frame: probability that the agent speaks, that anyone else does, that two
    speak at once, that anyone speaks, and how much the windows disagree about the agent."""

    agent: np.ndarray
    other: np.ndarray
    overlap: np.ndarray
    speech: np.ndarray
    disagreement: np.ndarray
    #: The highest probability of someone else that any window gives the frame.
    other_max: np.ndarray
    frame_step: float
    frame_duration: float

    def seconds(self, frame: np.ndarray) -> np.ndarray:
        return np.asarray(frame) * self.frame_step + 0.5 * self.frame_duration


def timeline(
    activity: LocalActivity, agent_prob: dict[tuple[int, int], float], edge_s: float
) -> Timeline:
    """Each window's local speakers weighted by their agent probability (0 for a speaker who was
    never embedded: unknown counts as someone else), averaged over the windows covering a frame
    with a weight that falls towards a window's edges (``edge_s`` seconds of ramp): the model
    sees least context there."""
    n = activity.frames
    windows, per = activity.speakers.shape[0], activity.speakers.shape[1]
    # pyannote's aggregation weight (a Hamming window), with a floor so a recording shorter
    # than one window still counts at its ends; ``edge_s`` seconds at each end get at most the
    # weight the Hamming window has there.
    weight = np.maximum(np.hamming(per), 1e-3).astype(np.float32)
    edge = max(1, int(edge_s / activity.frame_step))
    weight[:edge] = np.minimum(weight[:edge], weight[edge])
    weight[-edge:] = np.minimum(weight[-edge:], weight[-edge - 1])
    sums = {key: np.zeros(n, dtype=np.float64) for key in ("agent", "other", "overlap", "speech")}
    total = np.zeros(n)
    lo = np.full(n, np.inf)
    hi = np.full(n, -np.inf)
    other_max = np.zeros(n)
    for c in range(windows):
        a = np.array([agent_prob.get((c, k), 0.0) for k in range(activity.speakers.shape[2])])
        probs = activity.speakers[c]
        agent = probs @ a
        other = probs @ (1.0 - a)
        speech = np.clip(probs.sum(axis=1) - activity.overlap[c], 0.0, 1.0)
        sl = slice(activity.offsets[c], activity.offsets[c] + per)
        w = weight[: n - activity.offsets[c]]
        for key, value in (
            ("agent", agent),
            ("other", other),
            ("overlap", activity.overlap[c]),
            ("speech", speech),
        ):
            sums[key][sl] += w * value[: w.size]
        total[sl] += w
        # Disagreement only from the trusted middle of each window.
        core = w >= 0.5
        share = np.where(speech > 0.5, agent / np.maximum(agent + other, 1e-6), np.nan)[: w.size]
        idx = np.arange(sl.start, sl.start + w.size)[core & ~np.isnan(share)]
        vals = share[core & ~np.isnan(share)]
        lo[idx] = np.minimum(lo[idx], vals)
        hi[idx] = np.maximum(hi[idx], vals)
        seen = np.arange(sl.start, sl.start + w.size)[core]
        other_max[seen] = np.maximum(other_max[seen], other[: w.size][core])
    total = np.maximum(total, 1e-9)
    spread = np.where(np.isfinite(lo), hi - lo, 0.0)
    return Timeline(
        agent=(sums["agent"] / total).astype(np.float32),
        other=(sums["other"] / total).astype(np.float32),
        overlap=(sums["overlap"] / total).astype(np.float32),
        speech=(sums["speech"] / total).astype(np.float32),
        disagreement=spread.astype(np.float32),
        other_max=other_max.astype(np.float32),
        frame_step=activity.frame_step,
        frame_duration=activity.frame_duration,
    )
