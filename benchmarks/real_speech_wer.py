"""WER on real recorded speech: the plain engine (faster-whisper with every library default)
beside the pipeline's engine, with the same bundled model. Reported apart from the synthetic
calls of ``sample_speech_wer.py`` (which runs this with ``--real``).

The "pipeline" row passes exactly ``transcribe_options`` from the engine module, so it measures
what the pipeline runs; "pipeline-library-vad" is the same without the band-aware VAD options
(the engine's settings before they were measured here). Every row decodes the stored file bytes
itself (PyAV, as ``decode_track`` and ``WhisperModel.transcribe(file)`` do). Clips come from
``scripts/fetch_real_speech.py`` and ``shared/real-speech`` (see ``real_speech.py``)::

    uv run python benchmarks/real_speech_wer.py [--muted-session] [--sets S,..] [--variants V,..]

Sets: en-librivox (5 read sentences), en-digits (cards, tidigits, goforward: digit and number
strings), en-sonnet (53 s, long-form), nb-npsc (2 Norwegian parliament clips), en-session (the
12 short English clips in one track, 2.5 s line-noise pauses), en-session-muted (the same with
8 s digitally silent pauses: an agent-only track as isolation leaves it, the issue's phone call
pattern), da-counting (no transcript: the count 1..k heard in order). Variants: wide16k (as
published), ulaw8k (G.711 mu-law 8 kHz, 300-3400 Hz), gsm8k (GSM 06.10 8 kHz).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assets.transcripts.engines.base import WHISPER_LANGUAGE
from assets.transcripts.engines.faster_whisper import transcribe_options
from assets.transcripts.model_store import assemble_bundled_model
from benchmarks.real_speech import VARIANTS, Clip, Score, counting_score, load_clips, score, session

MODELS = Path(__file__).resolve().parent.parent / "data" / "state" / "models"


@dataclass(frozen=True)
class Setting:
    name: str
    #: Options passed to ``WhisperModel.transcribe`` on top of the library's defaults.
    options: dict = field(default_factory=dict)
    compute_type: str = "int8"
    #: 0: the library's choice (all cores).
    cpu_threads: int = 2
    #: "forced": the clip's language (as the pipeline does from metadata); "auto": detected.
    language: str = "forced"
    #: Take the options from the pipeline's ``transcribe_options`` (``options`` on top).
    pipeline: bool = False
    #: Option names dropped from the pipeline's options.
    without: tuple[str, ...] = ()
    note: str = ""


PLAIN = Setting(
    "plain",
    compute_type="default",
    cpu_threads=0,
    language="auto",
    note="WhisperModel(bundled base).transcribe(file): every library default",
)
PLAIN_FORCED = Setting(
    "plain+lang", compute_type="default", cpu_threads=0, note="plain, language given"
)
PIPELINE = Setting("pipeline", pipeline=True, note="the engine's transcribe_options")
LIBRARY_VAD = Setting(
    "pipeline-library-vad",
    pipeline=True,
    without=("vad_parameters",),
    note="the pipeline with Silero's default options (threshold 0.5, 400 ms pad)",
)
SETTINGS = {s.name: s for s in (PLAIN, PLAIN_FORCED, PIPELINE, LIBRARY_VAD)}
#: Sets pooled into the headline WER (the sessions repeat their audio; counting has no WER).
POOLED = ("en-librivox", "en-digits", "en-sonnet", "nb-npsc")


class Runner:
    def __init__(self, model_dir: str) -> None:
        self.model_dir = model_dir
        self._models: dict[tuple[str, int], object] = {}

    def model(self, setting: Setting):
        from faster_whisper import WhisperModel

        key = (setting.compute_type, setting.cpu_threads)
        if key not in self._models:
            self._models[key] = WhisperModel(
                self.model_dir, device="cpu", compute_type=setting.compute_type,
                cpu_threads=setting.cpu_threads,
            )  # fmt: skip
        return self._models[key]

    def transcribe(self, setting: Setting, clip: Clip, variant: str) -> dict:
        import ctranslate2
        from faster_whisper.audio import decode_audio  # what decode_track calls

        model = self.model(setting)
        ctranslate2.set_random_seed(0)  # the plain engine's fallback samples: repeatable reruns
        began = time.perf_counter()
        audio = decode_audio(io.BytesIO(clip.files[variant]), sampling_rate=16_000)
        language = WHISPER_LANGUAGE[clip.language] if setting.language == "forced" else None
        options = dict(setting.options)
        if setting.pipeline:
            base = transcribe_options(audio, clip.language, 1, 0.0)
            for name in ("language", *setting.without):
                base.pop(name)
            options = {**base, **options}
        segments, info = model.transcribe(audio, language=language, **options)
        segments = list(segments)
        took = time.perf_counter() - began
        if options.get("word_timestamps"):
            words = (w.word.strip() for s in segments for w in s.words or [])
            text = " ".join(w for w in words if w)
        else:
            text = " ".join(s.text.strip() for s in segments)
        return {"text": text, "seconds": took, "language": info.language,
                "speech_s": round(info.duration_after_vad, 2)}  # fmt: skip


def run(settings: list[Setting], clips: list[Clip], variants: list[str], verbose: bool):
    runner = Runner(str(assemble_bundled_model(MODELS)))
    rows = []
    for setting in settings:
        runner.model(setting)  # load outside the timing
        for variant in variants:
            for clip in clips:
                out = runner.transcribe(setting, clip, variant)
                row = {"setting": setting.name, "variant": variant, "clip": clip.id,
                       "set": clip.set, "language": clip.language,
                       "duration_s": round(clip.duration_s, 2), **out}  # fmt: skip
                if clip.reference is None:
                    row.update(count_run=counting_score(out["text"], clip.language))
                else:
                    s = score(clip.reference, out["text"], clip.language)
                    row.update(errors=s.errors, words=s.words, sub=s.substitutions,
                               dels=s.deletions, ins=s.insertions)  # fmt: skip
                rows.append(row)
                if verbose:
                    heard = f"{row.get('errors', '-')}/{row.get('words', '-')}"
                    print(f"  {setting.name:22s} {variant:7s} {clip.id:18s} {heard} {out['text']}")
        print(f"  done: {setting.name}", flush=True)
    return rows


def aggregate(rows: list[dict], setting: str, variant: str, sets) -> tuple[Score, float]:
    total, seconds, audio = Score(), 0.0, 0.0
    for r in rows:
        mine = r["setting"] == setting and r["variant"] == variant and r["set"] in sets
        if mine and "errors" in r:
            total += Score(r["errors"], r["words"], r["sub"], r["dels"], r["ins"])
            seconds += r["seconds"]
            audio += r["duration_s"]
    return total, (seconds / audio if audio else float("nan"))


def table(rows: list[dict], settings: list[str], variants: list[str]) -> str:
    """WER (errors/words) per setting: pooled sets first, then each set, per variant."""
    present = {r["set"] for r in rows if "errors" in r}
    groups = ([("pooled", POOLED)] if present & set(POOLED) else []) + [
        (s, (s,)) for s in sorted(present, key=lambda s: (s.endswith(("session", "muted")), s))
    ]
    head = "| setting | " + " | ".join(f"{g} {v}" for g, _ in groups for v in variants) + " |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for name in settings:
        cells = []
        for _, sets in groups:
            for v in variants:
                s, _ = aggregate(rows, name, v, sets)
                cells.append(f"{s.wer:.1%} ({s.errors}/{s.words})" if s.words else "-")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def counting(rows: list[dict]) -> str:
    return "\n".join(
        f"  {r['setting']:22s} {r['variant']:7s} 1..{r['count_run']}"
        for r in rows
        if "count_run" in r
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--settings", help=f"comma-separated, of: {', '.join(SETTINGS)} (all)")
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--sets", help="comma-separated sets (default: all present)")
    p.add_argument("--muted-session", action="store_true", help="also en-session-muted")
    p.add_argument("--json", type=Path, help="write every row here")
    p.add_argument("-v", "--verbose", action="store_true", help="print every hypothesis")
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    chosen = (
        [SETTINGS[n] for n in args.settings.split(",")] if args.settings else [*SETTINGS.values()]
    )
    clips = load_clips()
    if not clips:
        print("real speech: no clips present; run scripts/fetch_real_speech.py. Nothing measured.")
        return
    english = [c for c in clips if c.language == "en" and c.set != "en-sonnet"]
    if english:
        clips.append(session(english))
        if args.muted_session:
            clips.append(session(english, gap_s=8.0, muted=True))
    if args.sets:
        wanted = set(args.sets.split(","))
        clips = [c for c in clips if c.set in wanted]
    variants = args.variants.split(",")
    print(f"real speech: {len(clips)} clips, {sum(c.duration_s for c in clips):.0f} s per "
          f"variant; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
    rows = run(chosen, clips, variants, args.verbose)
    print(
        "\nWER on real speech (errors/words):\n" + table(rows, [s.name for s in chosen], variants)
    )
    if counted := counting(rows):
        print("\nda-counting (no transcript; the count from one heard in order):\n" + counted)
    if args.json:
        used = {s.name: asdict(s) for s in chosen}
        args.json.write_text(json.dumps({"rows": rows, "settings": used}, indent=1, default=str))


if __name__ == "__main__":
    main()
