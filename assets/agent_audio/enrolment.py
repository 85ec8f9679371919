"""A voiceprint: the mean CAM++ embedding of an agent's speech. It holds no audio."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assets.agent_audio.embeddings import in_band, normalise_rows
from assets.agent_audio.speech import Span, band_top_hz, speech_spans, to_model_rate

#: Enough of one recording to know a voice; more only costs time.
MAX_ENROL_SPEECH_S = 30.0
#: Less speech than this gives no usable voiceprint.
MIN_ENROL_SPEECH_S = 3.0
ENROL_WINDOW_S = 1.5


class NotEnoughSpeech(ValueError):
    """The recording holds too little speech to enrol a voice."""


@dataclass(frozen=True)
class Enrolment:
    embedding: np.ndarray  # unit vector
    speech_s: float
    windows: int


def enrol(samples: np.ndarray, rate: int, encoder) -> Enrolment:
    """The voiceprint of the one voice in ``samples`` (an agent-only track or sample)."""
    audio = to_model_rate(samples, rate)
    top_hz = band_top_hz(audio, rate)
    windows: list[Span] = []
    total = 0.0
    for span in speech_spans(audio, top_hz=top_hz):
        start = span.start
        while start < span.end and total < MAX_ENROL_SPEECH_S:
            end = min(span.end, start + ENROL_WINDOW_S)
            if end - start >= 0.5:
                windows.append(Span(start, end))
                total += end - start
            start = end
    if total < MIN_ENROL_SPEECH_S:
        raise NotEnoughSpeech(
            f"{total:.1f} s of speech; at least {MIN_ENROL_SPEECH_S:.0f} s are needed to enrol"
        )
    # A narrowband track (an 8 kHz line) is embedded as isolation embeds such calls.
    vectors = in_band(encoder, top_hz).embed(audio, windows)
    weights = np.array([w.duration for w in windows])[:, None]
    mean = normalise_rows((vectors * weights).sum(axis=0, keepdims=True))[0]
    return Enrolment(mean, round(total, 2), len(windows))


def combine(embeddings: list[np.ndarray], speech_s: list[float]) -> np.ndarray:
    """One voiceprint from several enrolments, each weighted by its speech."""
    stacked = np.stack(embeddings) * np.asarray(speech_s)[:, None]
    return normalise_rows(stacked.sum(axis=0, keepdims=True))[0]
