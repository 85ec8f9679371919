"""The pool of real voices the assembled calls are made from (``real_speech_manifest.json``,
its ``voices``: each file checked against its sha256).

Each voice is one person's speech from one source; files that are absent are skipped (the
caller says so). Speaker identity comes from the manifest's ``speaker`` (the sources' own labels
or file names; each Norwegian clip is its own voice, since the source does not say). The two
multi-speaker recordings are split by their own labels: SpokenWOZ by channel, pyAudioAnalysis
by its ``.segments``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from isolation_data.assemble import RATE, Voice, to16k, utterances

MANIFEST = Path(__file__).resolve().parents[1] / "real_speech_manifest.json"
#: Manifest speakers that are not one voice: split below from their own labels.
_MULTI = ("one party per channel", "labelled speakers", "labels")


def _read(path: Path, raw: bool) -> tuple[np.ndarray, int]:
    import soundfile as sf

    if raw:
        return np.fromfile(path, dtype="<i2").astype(np.float32) / 32768.0, 16_000
    if path.suffix == ".mp3":
        try:
            return sf.read(str(path), dtype="float32", always_2d=True)
        except Exception:  # an older libsndfile without MP3
            from faster_whisper.audio import decode_audio

            return decode_audio(str(path), sampling_rate=16_000), 16_000
    return sf.read(str(path), dtype="float32", always_2d=True)


def _checked(path: Path, sha256: str) -> bool:
    if not path.is_file():
        return False
    if hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
        raise ValueError(f"{path}: checksum differs from the manifest; refetch it")
    return True


def real_voices(cache: Path, shared: Path) -> tuple[list[Voice], list[str]]:
    """Voices found, and a line per file that is absent."""
    manifest = json.loads(MANIFEST.read_text())
    roots = {
        name: shared if name == "shared" else cache / spec["root"]
        for name, spec in manifest["sources"].items()
    }
    clips: dict[str, list[np.ndarray]] = {}
    narrow: dict[str, bool] = {}
    sources: dict[str, str] = {}
    missing = []
    for entry in manifest.get("voices", []):
        if entry["speaker"] in _MULTI:
            continue
        path = roots[entry["source"]] / entry["path"]
        if not _checked(path, entry["sha256"]):
            missing.append(f"{entry['id']} ({path} absent: run scripts/fetch_real_speech.py)")
            continue
        x, rate = _read(path, path.suffix == ".raw")
        who = entry["speaker"]
        clips.setdefault(who, []).extend(utterances(to16k(x, rate)))
        narrow[who] = rate <= 8000
        sources[who] = f"{entry['source']}:{entry['path']}"
    voices = [Voice(n, c, narrow[n], sources[n]) for n, c in clips.items() if c]
    voices += _spokenwoz(shared, missing) + _pyaudioanalysis(shared, missing)
    return voices, missing


def _spokenwoz(shared: Path, missing: list[str]) -> list[Voice]:
    import soundfile as sf

    woz = shared / "spokenwoz" / "MUL1011.opus"
    if not woz.is_file():
        missing.append(f"SpokenWOZ ({woz} absent)")
        return []
    x, rate = sf.read(str(woz), dtype="float32", always_2d=True)
    source = "shared/real-speech/spokenwoz/MUL1011.opus"
    return [Voice(f"woz-ch{c}", utterances(to16k(x[:, c], rate)), True, source) for c in (0, 1)]


def _pyaudioanalysis(shared: Path, missing: list[str]) -> list[Voice]:
    import soundfile as sf

    out = []
    for stem in ("diarizationExample", "diarizationExample2"):
        wav = shared / "pyaudioanalysis" / f"{stem}.wav"
        if not wav.is_file():
            missing.append(f"pyAudioAnalysis {stem} ({wav} absent)")
            continue
        x, rate = sf.read(str(wav), dtype="float32", always_2d=True)
        audio = to16k(x, rate)
        levels = (-200.0, 0.0)  # a dense recording (a bed under the voices): its labels cut it
        by: dict[str, list[np.ndarray]] = {}
        for line in wav.with_suffix(".segments").read_text().splitlines():
            if line.strip():
                a, b, who = line.split()
                part = audio[int(float(a) * RATE) : int(float(b) * RATE)]
                by.setdefault(who, []).extend(utterances(part, levels=levels))
        tag = "2" if stem.endswith("2") else "1"
        source = f"shared/real-speech/pyaudioanalysis/{stem}.wav"
        out += [Voice(f"pyaa{tag}-{who[-1]}", c, False, source) for who, c in by.items()]
    return out
