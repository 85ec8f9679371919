"""Real recorded speech for the WER benchmark (``real_speech_wer.py``): the verified clips,
their phone-band versions, and the scoring.

Reads the clips ``scripts/fetch_real_speech.py`` fetched (Debian and PyPI packages, cached under
``data/state/real-speech-cache``) and those under ``shared/real-speech`` (beside the repository,
or ``$LYDSPOR_REAL_SPEECH``), each checked against ``real_speech_manifest.json`` (source, licence,
SHA-256). Nothing here downloads; a clip that is absent is skipped and ``load_clips`` says which.
The held-out recordings (pyannote-audio's ``sample/`` call, whisper.cpp's ``jfk``) are never
read. Run alone, it lists the clips and whether each is present::

    uv run python benchmarks/real_speech.py
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from math import gcd
from pathlib import Path

import jiwer
import numpy as np
import soundfile as sf
from scipy.signal import butter, resample_poly, sosfilt

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "real_speech_manifest.json"
DEFAULT_CACHE = HERE.parent / "data" / "state" / "real-speech-cache"
DEFAULT_SHARED = Path(
    os.environ.get("LYDSPOR_REAL_SPEECH", HERE.parent.parent / "shared" / "real-speech")
)
RATE = 16_000

#: The phone-band versions of each clip: what a dialer stores for a call. G.711 μ-law (the
#: fixed line's codec) and GSM 06.10 full rate (a mobile leg's), both 8 kHz, band 300-3400 Hz.
PHONE_VARIANTS = {"ulaw8k": "ULAW", "gsm8k": "GSM610"}
VARIANTS = ("wide16k", *PHONE_VARIANTS)


@dataclass
class Clip:
    id: str
    set: str
    language: str
    reference: str | None
    #: WAV bytes per variant, as a dialer would store them (decoded by the engine's own path).
    files: dict[str, bytes] = field(default_factory=dict)
    duration_s: float = 0.0


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read(path: Path, raw_rate: int | None) -> np.ndarray:
    """Mono float32 at 16 kHz."""
    if raw_rate:
        samples = np.frombuffer(path.read_bytes(), dtype="<i2").astype(np.float32) / 32768
        rate = raw_rate
    else:
        from faster_whisper.audio import decode_audio

        return decode_audio(str(path), sampling_rate=RATE)  # mp3 too (PyAV)
    return resample(samples, rate, RATE)


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target:
        return np.asarray(samples, dtype=np.float32)
    g = gcd(rate, target)
    return resample_poly(samples, target // g, rate // g).astype(np.float32)


def wav_bytes(samples: np.ndarray, rate: int, subtype: str = "PCM_16") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(samples, -1, 1), rate, format="WAV", subtype=subtype)
    return buffer.getvalue()


def phone_band(samples16k: np.ndarray, subtype: str) -> bytes:
    """A phone line's version: 300-3400 Hz, 8 kHz, through the codec (μ-law or GSM 06.10)."""
    sos = butter(4, [300, 3400], btype="bandpass", fs=RATE, output="sos")
    band = sosfilt(sos, samples16k).astype(np.float32)
    narrow = resample(band, RATE, 8000)
    peak = float(np.max(np.abs(narrow))) or 1.0
    narrow = narrow * min(1.0, 0.7 / peak)  # a line's level; never clip in the codec
    return wav_bytes(narrow, 8000, subtype)


def session(clips: list[Clip], gap_s: float = 2.5, *, muted: bool = False, seed: int = 0) -> Clip:
    """One agent-track-like recording: the clips in turn, with pauses between them (where the
    customer would speak), so VAD, long-form decoding and chunking are exercised. Pauses are
    line noise at -60 dBFS, or with ``muted`` digital silence, as isolation leaves the
    customer's turns in an agent-only track."""
    rng = np.random.default_rng(seed)
    parts, refs = [], []
    for clip in clips:
        audio, _ = sf.read(io.BytesIO(clip.files["wide16k"]), dtype="float32")
        gap = np.zeros(int(gap_s * RATE), np.float32)
        if not muted:
            gap = (rng.standard_normal(gap.size) * 10 ** (-60 / 20)).astype(np.float32)
        parts += [audio, gap]
        refs.append(clip.reference)
    audio = np.concatenate(parts[:-1])
    name = f"{clips[0].language}-session" + ("-muted" if muted else "")
    out = Clip(name, name, clips[0].language, " ".join(refs))
    _add_variants(out, audio)
    return out


def _add_variants(clip: Clip, audio16k: np.ndarray) -> None:
    clip.duration_s = len(audio16k) / RATE
    clip.files["wide16k"] = wav_bytes(audio16k, RATE)
    for name, subtype in PHONE_VARIANTS.items():
        clip.files[name] = phone_band(audio16k, subtype)


def load_clips(
    cache: Path = DEFAULT_CACHE, shared: Path = DEFAULT_SHARED, *, log=print
) -> list[Clip]:
    """The verified clips that are present (each with its 16 kHz and phone-band files)."""
    manifest = json.loads(MANIFEST.read_text())
    roots = {
        name: (shared if name == "shared" else cache / spec["root"])
        for name, spec in manifest["sources"].items()
    }
    clips, missing = [], []
    for spec in manifest["clips"]:
        path = roots[spec["source"]] / spec["path"]
        if not path.is_file():
            missing.append(spec["id"])
            continue
        if _sha256(path) != spec["sha256"]:
            raise ValueError(f"{path}: checksum differs from the manifest; refetch it")
        clip = Clip(spec["id"], spec["set"], spec["language"], spec["reference"])
        _add_variants(clip, _read(path, spec.get("raw_rate")))
        clips.append(clip)
    if missing:
        log(
            f"real speech: {len(missing)} clip(s) absent, skipped ({', '.join(missing)}); "
            "run scripts/fetch_real_speech.py (Debian + PyPI) and check shared/real-speech"
        )
    return clips


# ---------------------------------------------------------------------------------- scoring

_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ä": "a", "ö": "o", "é": "e"})
_EN_ABBREV = {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint"}
_UNITS = {
    "en": {"zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
           "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
           "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
           "eighteen": 18, "nineteen": 19},
    "nb": {"null": 0, "en": 1, "ett": 1, "ei": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5,
           "seks": 6, "sju": 7, "syv": 7, "atte": 8, "ni": 9, "ti": 10, "elleve": 11,
           "tolv": 12},
    "da": {"nul": 0, "en": 1, "et": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5, "seks": 6,
           "syv": 7, "otte": 8, "ni": 9, "ti": 10, "elleve": 11, "tolv": 12},
}  # fmt: skip
_TENS_EN = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
            "eighty": 80, "ninety": 90}  # fmt: skip


def _numbers_to_digits(tokens: list[str], language: str) -> list[str]:
    """Spelled numbers as digits ("twenty one" -> "21"); "oh" is zero only among digits."""
    units = _UNITS.get(language, {})
    out: list[str] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if language == "en" and t in _TENS_EN:
            value = _TENS_EN[t]
            if i + 1 < len(tokens) and tokens[i + 1] in units and 0 < units[tokens[i + 1]] < 10:
                value += units[tokens[i + 1]]
                i += 1
            out.append(str(value))
        elif t in units and not (t == "oh" and not _near_digit(tokens, i, units)):
            out.append(str(units[t]))
        else:
            out.append(t)
        i += 1
    return out


def _near_digit(tokens: list[str], i: int, units: dict) -> bool:
    return any(
        0 <= j < len(tokens) and ((tokens[j] in units and tokens[j] != "oh") or tokens[j].isdigit())
        for j in (i - 1, i + 1)
    )


def normalise(text: str, language: str) -> list[str]:
    """Tokens to score: lower case, Nordic letters folded (the NPSC references are ASCII),
    punctuation and hyphens gone, numbers as digits with every digit its own token (so a
    digit string read as one number or as digits scores the same, digit by digit)."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_FOLD)
    text = re.sub(r"(?<=\d)[,.](?=\d{3}\b)", "", text)  # 1,000 -> 1000
    text = re.sub(r"[^\w\s']|(?<!\w)'|'(?!\w)|_", " ", text)
    tokens = text.split()
    if language == "en":
        tokens = [_EN_ABBREV.get(t, t) for t in tokens]
    tokens = _numbers_to_digits(tokens, language)
    out: list[str] = []
    for t in tokens:
        out.extend(list(t) if t.isdigit() else [t])
    return out


@dataclass
class Score:
    errors: int = 0
    words: int = 0
    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0

    @property
    def wer(self) -> float:
        return self.errors / self.words if self.words else float("nan")

    def __iadd__(self, other: Score) -> Score:
        for name in ("errors", "words", "substitutions", "deletions", "insertions"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


def score(reference: str, hypothesis: str, language: str) -> Score:
    ref, hyp = normalise(reference, language), normalise(hypothesis, language)
    if not hyp:
        return Score(len(ref), len(ref), 0, len(ref), 0)
    out = jiwer.process_words(" ".join(ref), " ".join(hyp))
    s, d, i = out.substitutions, out.deletions, out.insertions
    return Score(s + d + i, len(ref), s, d, i)


def counting_score(hypothesis: str, language: str) -> int:
    """How far a count from one comes out right: k when the numbers heard begin 1, 2, ..., k.
    The Danish clip has no transcript (nor a known last number), so this is no WER: it only
    says whether the engine hears the count, and it is never pooled with the WER sets."""
    tokens = _numbers_to_digits(_plain_tokens(hypothesis, language), language)
    values = [int(t) for t in tokens if t.isdigit()]
    k = 0
    while k < len(values) and values[k] == k + 1:
        k += 1
    return k


def _plain_tokens(text: str, language: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower().translate(_FOLD)
    return re.sub(r"[^\w\s]", " ", text).split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    args = parser.parse_args()
    clips = load_clips(args.cache, args.shared)
    for clip in clips:
        print(f"{clip.id:20s} {clip.set:12s} {clip.language} {clip.duration_s:5.1f} s")
    print(f"{len(clips)} clips present and verified")


if __name__ == "__main__":
    main()
