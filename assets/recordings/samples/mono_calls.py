"""Mono calls with known turns, for measuring agent isolation: two (or more) synthetic voices
mixed into one channel, with optional overlap, telephone band, noise and length.

Everything is derived from the case's seed, so a case always renders the same samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assets.recordings.samples.audio import normalise, resample, trim
from assets.recordings.samples.scripts import SCRIPTS
from assets.recordings.samples.tts import NATIVE_RATE, VoiceSpec, synthesize_isolated

AGENT = "agent"
OTHER = "other"


@dataclass(frozen=True)
class Turn:
    speaker: str  # "agent", or a name for anyone else
    start: float
    end: float


@dataclass(frozen=True)
class MonoCase:
    name: str
    agent: VoiceSpec
    others: tuple[VoiceSpec, ...]
    language: str = "en"
    rate: int = 16_000
    #: Seconds each non-agent turn starts before the previous turn ends (barge-in), when > 0.
    overlap_s: float = 0.0
    #: Signal-to-noise ratio of added background noise, None for a clean line.
    snr_db: float | None = None
    #: Dialogue turns to lay out (scripts repeat to reach it).
    turns: int = 14
    seed: int = 1


#: The voices the isolation tests and benchmark cast as agents, and as callers (who speak a
#: little faster), by espeak voice: the voice and its pitch.
AGENT_VOICES = {
    "f2": VoiceSpec("f2", pitch=50),
    "f5": VoiceSpec("f5", pitch=50),
    "m3": VoiceSpec("m3", pitch=45),
    "m6": VoiceSpec("m6", pitch=40),
}
CALLER_VOICES = {
    voice: VoiceSpec(voice, pitch=pitch, rate=165)
    for voice, pitch in {"f3": 52, "f4": 55, "m1": 48, "m2": 30, "m3": 42, "m7": 34}.items()
}


def mono_case(name: str, agent: str, callers: list[str], **options) -> MonoCase:
    """A case spoken by the cast: ``mono_case("barge-in", "m6", ["f3"], overlap_s=0.5)``."""
    return MonoCase(name, AGENT_VOICES[agent], tuple(CALLER_VOICES[c] for c in callers), **options)


@dataclass(frozen=True)
class MonoCall:
    case: MonoCase
    samples: np.ndarray  # float32 mono at case.rate
    rate: int
    turns: tuple[Turn, ...]
    #: The agent alone, other sentences (an enrolment recording), 16 kHz float32.
    enrolment: np.ndarray = field(repr=False)
    enrolment_rate: int = 16_000
    #: What was said, in order: (speaker, text) per turn, as in ``turns``.
    lines: tuple[tuple[str, str], ...] = ()


def render_mono_call(case: MonoCase) -> MonoCall:
    rng = np.random.default_rng(case.seed)
    lines = _dialogue(case.language, case.turns, len(case.others), rng)
    enrol_texts = _enrolment_texts(case.language)
    voices = {AGENT: case.agent} | {f"other{i}": v for i, v in enumerate(case.others)}
    unique = sorted(
        {(speaker, text) for speaker, text in lines} | {(AGENT, t) for t in enrol_texts}
    )
    audio = synthesize_isolated([(text, case.language, voices[spk]) for spk, text in unique])
    rate = 16_000
    spoken = {
        key: normalise(resample(trim(raw), NATIVE_RATE, rate), 0.5 if key[0] == AGENT else 0.4)
        for key, raw in zip(unique, audio, strict=True)
    }
    mix, turns = _lay_out(rng, lines, spoken, rate, case.overlap_s)
    enrolment = np.concatenate(
        [np.concatenate([spoken[(AGENT, t)], np.zeros(int(0.4 * rate))]) for t in enrol_texts]
    )
    if case.snr_db is not None:
        mix = _add_noise(rng, mix, case.snr_db, rate)
    if case.rate != rate:
        mix = _telephone_band(mix, rate, case.rate)
    mix = mix + rng.normal(0.0, 0.001, mix.shape)
    return MonoCall(
        case=case,
        samples=np.clip(mix, -1, 1).astype(np.float32),
        rate=case.rate,
        turns=tuple(turns),
        enrolment=enrolment.astype(np.float32),
        enrolment_rate=rate,
        lines=tuple(lines),
    )


def _dialogue(
    language: str, count: int, others: int, rng: np.random.Generator
) -> list[tuple[str, str]]:
    """Alternating agent/other lines from the sample scripts; with several others, each other
    turn goes to one of them at random."""
    pool = [s for s in SCRIPTS if s.language == language]
    values = {"agent": "Maria", "customer": "Alex", "company": "Northwind", "phone": "five five"}
    lines: list[tuple[str, str]] = []
    script_index = 0
    while len(lines) < count:
        script = pool[script_index % len(pool)]
        script_index += 1
        for i, text in enumerate(script.turns):
            speaker = AGENT if i % 2 == 0 else f"other{int(rng.integers(0, others))}"
            lines.append((speaker, text.format(**values)))
    return lines[:count]


def _enrolment_texts(language: str) -> list[str]:
    """Sentences the agent reads to enrol: the customers' lines, so none of them is in a call's
    agent part."""
    pool = [s for s in SCRIPTS if s.language == language and s.kind == "support"]
    return [s.turns[i] for s in pool for i in (1, 3)][:6]


def _lay_out(rng, lines, spoken, rate, overlap_s) -> tuple[np.ndarray, list[Turn]]:
    cursor = int(0.5 * rate)
    placed: list[tuple[int, np.ndarray, str]] = []
    turns: list[Turn] = []
    previous_end = cursor
    for i, (speaker, text) in enumerate(lines):
        audio = spoken[(speaker, text)]
        if i and overlap_s > 0 and speaker != AGENT:
            start = max(previous_end - int(overlap_s * rate), previous_end - audio.size // 2)
        elif i:
            start = previous_end + int(rng.uniform(0.3, 0.8) * rate)
        else:
            start = cursor
        placed.append((start, audio, speaker))
        turns.append(Turn(speaker, start / rate, (start + audio.size) / rate))
        previous_end = start + audio.size
    total = max(s + a.size for s, a, _ in placed) + int(0.5 * rate)
    mix = np.zeros(total)
    for start, audio, _ in placed:
        mix[start : start + audio.size] += audio
    return mix, turns


def _add_noise(rng, mix: np.ndarray, snr_db: float, rate: int) -> np.ndarray:
    """Office-like noise: pink-ish hum plus hiss, scaled against the speech's power."""
    white = rng.normal(0, 1, mix.size)
    # A one-pole low-pass turns white noise into a darker, more room-like noise.
    from scipy.signal import lfilter

    dark = lfilter([0.05], [1, -0.95], white)
    hum = 0.3 * np.sin(2 * np.pi * 100 * np.arange(mix.size) / rate)
    noise = dark / np.std(dark) + 0.3 * white + hum
    speech_power = np.mean(mix[np.abs(mix) > 0.01] ** 2)
    noise *= np.sqrt(speech_power / 10 ** (snr_db / 10) / np.mean(noise**2))
    return mix + noise


def _telephone_band(mix: np.ndarray, rate: int, target: int) -> np.ndarray:
    """What an 8 kHz phone line keeps: 300-3400 Hz, resampled to the line's rate."""
    from scipy.signal import butter, sosfiltfilt

    sos = butter(4, [300, 3400], btype="bandpass", fs=rate, output="sos")
    return resample(sosfiltfilt(sos, mix), rate, target)
