"""Frame by frame, what is kept: the agent alone, clearly, and nothing near anyone else.

Errors are not equal. Keeping a customer's word is the compliance failure; losing an agent's word
costs a little coaching material. So a frame is kept only where the agent is likely, everyone else
unlikely, no overlap is likely and the windows that see the frame agree; a guard of silence is
laid around every frame where someone else speaks, and kept stretches never grow into a frame
where someone else is possible; short kept stretches beside someone else's
speech (an interjection, a mis-timed turn edge) are silenced too.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from assets.agent_audio.tracks import Timeline


@dataclass(frozen=True)
class Rules:
    """The decision's thresholds (from ``IsolationSettings``)."""

    keep_agent: float
    max_other: float
    max_overlap: float
    max_disagreement: float
    other_speech: float
    guard_s: float
    pad_s: float
    bridge_s: float
    min_island_s: float


def kept_frames(line: Timeline, rules: Rules) -> np.ndarray:
    """Boolean per frame: audible in the agent audio."""
    keep = (
        (line.agent >= rules.keep_agent)
        & (line.other < rules.max_other)
        & (line.overlap < rules.max_overlap)
        & (line.disagreement < rules.max_disagreement)
    )
    someone_else = line.other >= rules.other_speech
    guard = round(rules.guard_s / line.frame_step)
    near_other = _dilate(someone_else, guard)
    keep &= ~near_other
    keep = _bridge(keep, near_other, round(rules.bridge_s / line.frame_step))
    # The pad reaches into silence only: a turn's tail fades under the next speaker's onset
    # long after the model stops being sure of it, so it stops where someone else is possible.
    possible_other = near_other | (line.other >= rules.max_other)
    keep = _pad(keep, possible_other, round(rules.pad_s / line.frame_step))
    return _drop_islands(keep, near_other, round(rules.min_island_s / line.frame_step), guard)


def speech_frames(line: Timeline, threshold: float) -> np.ndarray:
    return (line.speech >= threshold) | (line.agent + line.other >= threshold)


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, end) index pairs of the True runs of ``mask`` (end exclusive)."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))


def _dilate(mask: np.ndarray, by: int) -> np.ndarray:
    if by <= 0 or not mask.any():
        return mask.copy()
    kernel = np.ones(2 * by + 1)
    return np.convolve(mask.astype(float), kernel, mode="same") > 0


def _bridge(keep: np.ndarray, blocked: np.ndarray, gap: int) -> np.ndarray:
    """Pauses of at most ``gap`` frames between kept runs are kept, unless someone else is near."""
    out = keep.copy()
    spans = runs(keep)
    for (_, end), (start, _) in itertools.pairwise(spans):
        if start - end <= gap and not blocked[end:start].any():
            out[end:start] = True
    return out


def _pad(keep: np.ndarray, blocked: np.ndarray, by: int) -> np.ndarray:
    """Kept runs grown by ``by`` frames on each side (word onsets and tails the model places
    a little late or early), never into ``blocked`` frames."""
    if by <= 0:
        return keep
    return (_dilate(keep, by) & ~blocked) | keep


def _drop_islands(
    keep: np.ndarray, near_other: np.ndarray, shortest: int, reach: int
) -> np.ndarray:
    """Kept runs shorter than ``shortest`` frames within ``reach`` frames of someone else's
    speech are silenced."""
    out = keep.copy()
    n = keep.size
    for a, b in runs(keep):
        if b - a >= shortest:
            continue
        lo, hi = max(0, a - reach - 1), min(n, b + reach + 1)
        if near_other[lo:hi].any():
            out[a:b] = False
    return out
