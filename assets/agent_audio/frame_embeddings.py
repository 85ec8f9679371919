"""CAM++ speaker embeddings of arbitrary sets of 10 ms frames (not only contiguous spans).

The segmentation names, window by window, the frames where one local speaker talks alone; those
frames are scattered (a speaker's words between someone else's). Filterbank features are computed
once over the whole recording, and each set of frames is gathered, mean-normalised and embedded.
The model is the process's shared CAM++ (``embeddings.shared_encoder``), so these embeddings
compare with stored voiceprints and the weights are loaded once.
"""

from __future__ import annotations

import numpy as np

from assets.agent_audio.embeddings import EMBEDDING_DIM, SpeakerEncoder, bins_above, normalise_rows
from assets.agent_audio.speech import MODEL_RATE

FRAME_S = 0.01
MEL_BINS = 80
#: Pieces are batched by length rounded up to this many frames (filled by repeating the piece):
#: CAM++ pools over every frame, so zero padding would drag an embedding towards silence.
_BUCKET = 25
_BATCH = 32


class FrameEmbedder:
    """Embeds sets of filterbank frames of one recording at a time, with ``encoder``'s model."""

    def __init__(self, encoder: SpeakerEncoder) -> None:
        import torch

        self._torch = torch
        self._model = encoder.model

    def features(self, audio: np.ndarray) -> np.ndarray:
        """Log-mel filterbank of 16 kHz mono ``audio``: (frames, 80), one frame per 10 ms."""
        import torchaudio.compliance.kaldi as kaldi

        torch = self._torch
        if audio.size < int(0.025 * MODEL_RATE):
            return np.zeros((0, MEL_BINS), dtype=np.float32)
        with torch.inference_mode():
            wave = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))[None]
            feats = kaldi.fbank(
                wave, num_mel_bins=MEL_BINS, sample_frequency=MODEL_RATE, dither=0.0
            )
        return feats.numpy()

    def embed(
        self,
        features: np.ndarray,
        pieces: list[np.ndarray],
        top_hz: float | None = None,
        min_frames: int = 20,
    ) -> np.ndarray:
        """One unit vector per piece (an array of frame indices into ``features``). Bins above
        ``top_hz`` (a phone line's 4 kHz) are zeroed after mean normalisation, so the
        near-silence up there does not read as voice (as ``SpeakerEncoder.embed`` does)."""
        torch = self._torch
        out = np.zeros((len(pieces), EMBEDDING_DIM), dtype=np.float32)
        if not pieces:
            return out
        above = bins_above(top_hz)
        ready: dict[int, list[tuple[int, np.ndarray]]] = {}
        for i, frames in enumerate(pieces):
            frames = frames[(frames >= 0) & (frames < features.shape[0])]
            piece = features[frames] if frames.size else np.zeros((1, MEL_BINS), np.float32)
            piece = piece - piece.mean(axis=0, keepdims=True)
            if above is not None:
                piece[:, above] = 0.0
            length = max(min_frames, -(-piece.shape[0] // _BUCKET) * _BUCKET)
            ready.setdefault(length, []).append((i, _repeat_to(piece, length)))
        with torch.inference_mode():
            for group in ready.values():
                for b in range(0, len(group), _BATCH):
                    ids = [i for i, _ in group[b : b + _BATCH]]
                    batch = torch.from_numpy(np.stack([p for _, p in group[b : b + _BATCH]]))
                    out[ids] = self._model(batch).numpy()
        return normalise_rows(out)


def _repeat_to(piece: np.ndarray, length: int) -> np.ndarray:
    reps = -(-length // piece.shape[0])
    return np.ascontiguousarray(np.tile(piece, (reps, 1))[:length], dtype=np.float32)
