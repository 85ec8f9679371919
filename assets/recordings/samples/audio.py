"""Audio helpers of the sample calls: trimming silence, normalising loudness, resampling."""

from __future__ import annotations

from math import gcd

import numpy as np

from assets.recordings.samples.tts import NATIVE_RATE


def trim(samples: np.ndarray, threshold: float = 0.004, margin_s: float = 0.01) -> np.ndarray:
    """Cut espeak's leading and trailing silence so turn times are tight."""
    loud = np.flatnonzero(np.abs(samples) > threshold)
    if loud.size == 0:
        return samples[:0]
    margin = int(margin_s * NATIVE_RATE)
    return samples[max(0, loud[0] - margin) : loud[-1] + margin + 1]


def normalise(samples: np.ndarray, peak: float) -> np.ndarray:
    top = float(np.max(np.abs(samples))) if samples.size else 0.0
    return samples * (peak / top) if top > 0 else samples


def resample(samples: np.ndarray, src_rate: int, dst_rate: int, half_width: int = 24) -> np.ndarray:
    """Band-limited resampling with a Kaiser-windowed sinc, evaluated polyphase in numpy."""
    if src_rate == dst_rate or samples.size == 0:
        return samples.astype(np.float64)
    factor = gcd(src_rate, dst_rate)
    up, down = dst_rate // factor, src_rate // factor
    # Cut off a little below the lower Nyquist so the transition band does not alias.
    cutoff = 0.94 * min(1.0, up / down)
    taps = np.arange(-half_width + 1, half_width + 1)
    offsets = taps[None, :] - np.arange(up)[:, None] / up
    window = np.i0(8.0 * np.sqrt(np.clip(1 - (offsets / half_width) ** 2, 0, None))) / np.i0(8.0)
    table = cutoff * np.sinc(cutoff * offsets) * window
    table /= table.sum(axis=1, keepdims=True)

    positions = np.arange(samples.size * up // down) * down
    base, phase = positions // up, positions % up
    padded = np.pad(samples.astype(np.float64), half_width)
    out = np.empty(positions.size)
    step = 1 << 16
    for i in range(0, positions.size, step):
        index = base[i : i + step, None] + (taps + half_width)[None, :]
        out[i : i + step] = np.einsum("ij,ij->i", padded[index], table[phase[i : i + step]])
    return out
