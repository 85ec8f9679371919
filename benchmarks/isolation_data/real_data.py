"""The real recordings in ``shared/real-speech`` as scored two-speaker calls.

Ground truth comes from labels that are not the isolator's: each SpokenWOZ party's own channel
(Silero VAD on that channel alone; the isolator never uses Silero), and pyAudioAnalysis's
hand-made ``.segments``. In every case the agent is enrolled from that person's speech *outside*
the audio that is scored, and that enrolment audio is not part of the isolator's input.

SpokenWOZ ``MUL1011`` (182.8 s, 8 kHz, one party per channel): the first ``SPOKENWOZ_ENROL_S``
seconds are the enrolment part: the agent's voiceprint is made from the agent's *own channel*
there (at most 30 s of its speech, as ``voiceprint.enrol`` takes it); the isolator gets the mono
mix (sum of both channels) from ``SPOKENWOZ_ENROL_S`` to the end, which is what is scored. Each
party is the agent once.

pyAudioAnalysis ``diarizationExample`` (4 speakers) and ``diarizationExample2`` (6 speakers):
one speaker is the agent, all others are "customer". The agent's enrolment is the start of one of
their own turns (``enrol``, seconds); that stretch is cut out of the recording and the rest is
joined and scored.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from isolation_data.scoring import AGENT, ScoredCall, Turn

SPOKENWOZ_ENROL_S = 30.0
#: Silero settings for a channel's ground truth: a pause shorter than this stays inside a turn.
TRUTH_MIN_SILENCE_MS = 250
TRUTH_THRESHOLD = 0.5


def spokenwoz_calls(shared: Path) -> list[ScoredCall]:
    import soundfile as sf

    path = shared / "spokenwoz" / "MUL1011.opus"
    if not path.is_file():
        return []
    stereo, rate = sf.read(str(path), dtype="float32", always_2d=True)
    channel_turns = [channel_speech(stereo[:, c], rate) for c in range(2)]
    cut = int(SPOKENWOZ_ENROL_S * rate)
    mix = stereo.sum(axis=1)
    mix = mix / max(1.0, float(np.abs(mix).max()) / 0.99)
    out = []
    for agent in (0, 1):
        turns = []
        for c, spans in enumerate(channel_turns):
            who = AGENT if c == agent else f"party{c}"
            for a, b in spans:
                if b > SPOKENWOZ_ENROL_S:
                    turns.append(
                        Turn(
                            who,
                            max(a, SPOKENWOZ_ENROL_S) - SPOKENWOZ_ENROL_S,
                            b - SPOKENWOZ_ENROL_S,
                        )
                    )
        out.append(
            ScoredCall(
                name=f"SpokenWOZ MUL1011, agent=ch{agent}",
                samples=np.ascontiguousarray(mix[cut:]),
                rate=rate,
                turns=turns,
                enrolment=np.ascontiguousarray(stereo[:cut, agent]),
                enrolment_rate=rate,
                source="shared/real-speech/spokenwoz/MUL1011.opus",
                notes=f"scored {SPOKENWOZ_ENROL_S:.0f}-{stereo.shape[0] / rate:.1f} s of the mix; "
                f"enrolled from ch{agent} 0-{SPOKENWOZ_ENROL_S:.0f} s",
            )
        )
    return out


#: (file, agent, enrolment start, enrolment end): the start of one of the agent's own turns.
PYAUDIOANALYSIS_CASES = (
    ("diarizationExample", "speakerB", 6.3, 11.3),
    ("diarizationExample", "speakerC", 11.3, 15.8),
    ("diarizationExample", "speakerA", 0.0, 4.0),
    ("diarizationExample2", "speakerD", 10.6, 14.1),
)


def pyaudioanalysis_calls(shared: Path) -> list[ScoredCall]:
    import soundfile as sf

    out = []
    for stem, agent, e0, e1 in PYAUDIOANALYSIS_CASES:
        wav = shared / "pyaudioanalysis" / f"{stem}.wav"
        seg = wav.with_suffix(".segments")
        if not wav.is_file() or not seg.is_file():
            continue
        audio, rate = sf.read(str(wav), dtype="float32", always_2d=True)
        labels = [line.split() for line in seg.read_text().splitlines() if line.strip()]
        labels = [(float(a), float(b), s) for a, b, s in labels]
        name = f"pyAA {stem[-8:]} agent={agent[-1]}"
        source = f"shared/real-speech/pyaudioanalysis/{stem}.wav"
        out.append(
            cut_out_enrolment(name, audio.mean(axis=1), rate, labels, agent, [(e0, e1)], source)
        )
    return out


#: The held-out call: never looked at while the method was set. (agent, enrolment stretches:
#: the agent's own speech where the other does not speak, cut out of the scored audio).
PYANNOTE_SAMPLE_CASES = (
    ("speaker90", ((11.03, 14.49), (18.59, 21.49))),
    ("speaker91", ((21.78, 27.85),)),
)


def pyannote_sample_calls() -> list[ScoredCall]:
    """The call shipped in the pyannote-audio wheel (``pyannote/audio/sample``, 30 s, two
    speakers, its own RTTM labels), each speaker the agent once; empty when not installed."""
    import importlib.util

    import soundfile as sf

    spec = importlib.util.find_spec("pyannote.audio")
    if spec is None or not spec.submodule_search_locations:
        return []
    folder = Path(next(iter(spec.submodule_search_locations))) / "sample"
    wav, rttm = folder / "sample.wav", folder / "sample.rttm"
    if not wav.is_file() or not rttm.is_file():
        return []
    audio, rate = sf.read(str(wav), dtype="float32", always_2d=True)
    labels = []
    for line in rttm.read_text().splitlines():
        f = line.split()
        if len(f) >= 8 and f[0] == "SPEAKER":
            labels.append((float(f[3]), float(f[3]) + float(f[4]), f[7]))
    return [
        cut_out_enrolment(
            f"pyannote sample agent={agent[-2:]}",
            audio.mean(axis=1),
            rate,
            labels,
            agent,
            stretches,
            "pyannote-audio wheel: pyannote/audio/sample/sample.wav",
        )
        for agent, stretches in PYANNOTE_SAMPLE_CASES
    ]


def cut_out_enrolment(name, audio, rate, labels, agent, stretches, source) -> ScoredCall:
    """``agent``'s enrolment from ``stretches`` (seconds, their own speech), cut out of the
    recording; the rest joined and scored against ``labels`` (start, end, speaker)."""
    keep = np.ones(audio.size, bool)
    for e0, e1 in stretches:
        keep[int(e0 * rate) : int(e1 * rate)] = False
    enrolment = np.concatenate([audio[int(a * rate) : int(b * rate)] for a, b in stretches])
    # Seconds of the original timeline -> seconds of the joined one.
    shift = np.concatenate([[0], np.cumsum(~keep)]) / rate
    turns = []
    for s0, s1, spk in labels:
        who = AGENT if spk == agent else spk
        pieces = [(s0, s1)]
        for e0, e1 in stretches:
            pieces = [
                p for a, b in pieces for p in ((a, min(b, e0)), (max(a, e1), b)) if p[1] > p[0]
            ]
        for x0, x1 in pieces:
            t0 = x0 - shift[min(int(x0 * rate), audio.size)]
            t1 = x1 - shift[min(int(x1 * rate), audio.size)]
            if t1 > t0:
                turns.append(Turn(who, float(t0), float(t1)))
    spans = ", ".join(f"{a}-{b}" for a, b in stretches)
    return ScoredCall(
        name=name,
        samples=np.ascontiguousarray(audio[keep]),
        rate=rate,
        turns=turns,
        enrolment=np.ascontiguousarray(enrolment),
        enrolment_rate=rate,
        source=source,
        notes=f"enrolled from {agent} {spans} s, cut out",
    )


def channel_speech(channel: np.ndarray, rate: int) -> list[tuple[float, float]]:
    """Where one channel's speaker talks (Silero VAD on that channel alone), in seconds."""
    import torch
    from scipy.signal import resample_poly
    from silero_vad import get_speech_timestamps, load_silero_vad

    audio = channel if rate == 16_000 else resample_poly(channel, 16_000, rate)
    model = load_silero_vad()
    stamps = get_speech_timestamps(
        torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32)),
        model,
        threshold=TRUTH_THRESHOLD,
        min_silence_duration_ms=TRUTH_MIN_SILENCE_MS,
        speech_pad_ms=30,
        sampling_rate=16_000,
    )
    return [(s["start"] / 16_000, s["end"] / 16_000) for s in stamps]
