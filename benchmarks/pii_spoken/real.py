"""Real recorded speech for the spoken PII benchmark (read by path; never committed).

Clips that are not in a package registry are read from ``$PII_BENCH_REAL_SPEECH`` (default
``data/state/bench-cache/real-speech``); each set is skipped with a message when absent.

* SpokenWOZ ``MUL1011`` (``<real speech>/spokenwoz``): a real phone call,
  one party per channel. The user dictates a 16-digit ID over four turns (dialogue state:
  ``profile-idnumber``); everything else in both channels (times "8:45", "4:30 pm",
  "eight people", a train id) must stay readable.
* Debian ``pocketsphinx-testdata`` (fetched by ``fetch_real_speech.py``): real spoken digit
  strings (``tidigits/dhd.2934z.raw`` "two nine three four zero", ``numbers.raw``) framed by a
  cue sentence spoken by piper's joe voice, alone, and run together into a PII-length digit
  run; the playing-card clips (``cards/``) and a lone short digit run are negatives.
* ``danish/u0013002.wav`` (counting) and the two NPSC Bokmål clips: negatives.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from assets.transcripts.engines import decode_track
from benchmarks.pii_spoken import tts
from benchmarks.pii_spoken.calls import DEFAULT_CACHE, RATE
from benchmarks.pii_spoken.score import Truth, norm

SHARED = Path(os.environ.get("PII_BENCH_REAL_SPEECH", DEFAULT_CACHE / "real-speech"))
PS_DATA = Path("usr/share/pocketsphinx/test/data")


def _decode(path: Path, channel: int | None = None) -> np.ndarray:
    return decode_track(path.read_bytes(), channel)


def spokenwoz() -> list[tuple[str, str, np.ndarray, list[Truth]]]:
    """[(name, language, samples, truths)] for the two channels, or [] when absent."""
    folder = SHARED / "spokenwoz"
    audio = folder / "MUL1011.opus"
    if not audio.exists():
        print(f"SKIP real: {audio} not found")
        return []
    rows = list(csv.DictReader((folder / "dialogue_state_tracking_sample_spokenwoz.csv").open()))

    def idnumber(state: str) -> str:
        return state.split("profile-idnumber=")[1].split(";")[0] if "idnumber=" in state else ""

    id_turns = [
        (int(row["start"]) / 8000, int(row["end"]) / 8000)
        for row in rows
        if idnumber(row["current_state"] or "") != idnumber(row["previous_state"] or "")
    ]
    out = []
    for channel in (0, 1):
        samples = _decode(audio, channel)
        truths = []
        if channel == 0:  # the user's channel holds the dictated ID
            truths.append(Truth("real", "spokenwoz", "en", "id", id_turns, set(),
                                (id_turns[0][0], id_turns[-1][1]), "16-digit ID over 4 turns",
                                audio=False, numbers_only=True))  # fmt: skip
        truths.append(Truth("real", "spokenwoz", "en", "neg:call", [], set(), (0.0, 1e9), "rest"))
        out.append((f"spokenwoz-ch{channel}", "en", samples, truths))
    return out


def _raw(path: Path) -> np.ndarray:
    return np.fromfile(path, dtype="<i2").astype(np.float32) / 32768.0


def pocketsphinx(cache: Path) -> list[tuple[str, str, np.ndarray, list[Truth]]]:
    root = cache / "pocketsphinx-testdata" / PS_DATA
    if not root.exists():
        print(f"SKIP real digits: {root} not found; run fetch_real_speech.py")
        return []
    import soundfile as sf

    dhd = _raw(root / "tidigits" / "dhd.2934z.raw")
    numbers = _raw(root / "numbers.raw")
    cards = [sf.read(root / "cards" / f"00{i}.wav", dtype="float32")[0] for i in range(1, 6)]
    # (name, cue sentence or "", real clips, positive?)
    plan = [
        ("cue+dhd", "My account number is", [dhd], True),
        ("cue+numbers", "My phone number is", [numbers], True),
        ("nocue dhd+numbers", "Yes, it's", [dhd, numbers], True),
        ("cue card dhd+card004+numbers", "My card number is", [dhd, cards[3], numbers], True),
        ("nocue dhd (short run)", "I counted", [dhd], False),
    ] + [(f"cards/00{i + 1}", "", [clip], False) for i, clip in enumerate(cards)]
    parts: list[np.ndarray] = [np.zeros(RATE // 2, np.float32)]
    at = 0.5
    truths = []
    for name, cue, clips, positive in plan:
        start = at
        if cue:
            audio = tts.speak("joe", cue, "en")
            parts.append(audio)
            at += audio.size / RATE
            parts.append(np.zeros(int(0.3 * RATE), np.float32))
            at += 0.3
        intervals = []
        for clip in clips:
            clip = 0.6 * clip / (np.abs(clip).max() or 1.0)
            b, e = tts.speech_extent(clip)
            intervals.append((at + b, at + e))
            parts.append(clip.astype(np.float32))
            at += clip.size / RATE
            parts.append(np.zeros(int(0.25 * RATE), np.float32))
            at += 0.25
        template = {norm(w) for w in cue.split()}
        kind = "digits" if positive else "neg:" + name
        truths.append(Truth("real", "pocketsphinx", "en", kind, intervals if positive else [],
                            template, (start, at), name, numbers_only=True))  # fmt: skip
        parts.append(np.zeros(int(1.5 * RATE), np.float32))
        at += 1.5
    return [("pocketsphinx-framed", "en", np.concatenate(parts), truths)]


def nordic_negatives() -> list[tuple[str, str, np.ndarray, list[Truth]]]:
    out = []
    for name, lang, path in [
        ("danish-counting", "da", SHARED / "danish" / "u0013002.wav"),
        ("npsc-short", "nb", SHARED / "norwegian" / "norwegian-short-3s.mp3"),
        ("npsc-medium", "nb", SHARED / "norwegian" / "norwegian-medium-8s.mp3"),
    ]:
        if not path.exists():
            print(f"SKIP real: {path} not found")
            continue
        samples = _decode(path)
        out.append((name, lang, samples, [Truth("real", name, lang, "neg:" + name, [], set(),
                                                (0.0, 1e9), name)]))  # fmt: skip
    return out
