"""WER on real recorded speech: the plain engine (faster-whisper with every library default)
beside the pipeline's engine, with the same bundled model. Reported apart from the synthetic
calls of ``sample_speech_wer.py`` (which runs this with ``--real``).

The "pipeline" row is the pipeline's own ``FasterWhisperEngine`` (built as ``WhisperResource``
builds it), so it measures what the pipeline runs; "pipeline-library-vad" passes the same
``transcribe_options`` without the band-aware VAD options (the engine before they were measured
here). Every row decodes the stored file bytes with ``decode_track`` (PyAV, as
``WhisperModel.transcribe(file)`` does too). Clips come from
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
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from assets.transcripts.engines import WHISPER_LANGUAGE, build_engine, decode_track
from assets.transcripts.engines.faster_whisper import transcribe_options
from assets.transcripts.model_store import assemble_bundled_model
from benchmarks.real_speech import VARIANTS, Clip, Score, counting_score, load_clips, score, session

MODELS = Path(__file__).resolve().parent.parent / "data" / "state" / "models"


@dataclass(frozen=True)
class Setting:
    name: str
    #: "plain": ``WhisperModel(model).transcribe(audio)`` with every library default (float32,
    #: all cores, beam 5, temperature fallback, conditioning, no VAD); "pipeline": the engine
    #: the pipeline builds (``FasterWhisperEngine`` with its defaults, as ``WhisperResource``).
    engine: str
    #: "forced": the clip's language (as the pipeline does from metadata); "auto": detected.
    language: str = "forced"
    #: Option names dropped from the pipeline's ``transcribe_options``.
    without: tuple[str, ...] = ()
    note: str = ""


PLAIN = Setting("plain", "plain", language="auto", note="library defaults, language detected")
PLAIN_FORCED = Setting("plain+lang", "plain", note="library defaults, language given")
PIPELINE = Setting("pipeline", "pipeline", note="FasterWhisperEngine.transcribe, as is")
LIBRARY_VAD = Setting(
    "pipeline-library-vad",
    "pipeline",
    without=("vad_parameters",),
    note="the pipeline's options with Silero's defaults (threshold 0.5, 400 ms pad)",
)
SETTINGS = {s.name: s for s in (PLAIN, PLAIN_FORCED, PIPELINE, LIBRARY_VAD)}
#: Sets pooled into the headline WER (the sessions repeat their audio; counting has no WER).
POOLED = ("en-librivox", "en-digits", "en-sonnet", "nb-npsc")


class Runner:
    """The plain model and the pipeline's engine, each loaded once (outside the timing)."""

    def __init__(self, model_dir: str) -> None:
        from faster_whisper import WhisperModel

        self.plain = WhisperModel(model_dir, device="cpu")
        self.engine = build_engine("faster-whisper", model_dir)

    def transcribe(self, setting: Setting, clip: Clip, variant: str) -> dict:
        import ctranslate2

        ctranslate2.set_random_seed(0)  # the plain engine's fallback samples: repeatable reruns
        began = time.perf_counter()
        audio = decode_track(clip.files[variant])
        if setting.engine == "plain":
            language = WHISPER_LANGUAGE[clip.language] if setting.language == "forced" else None
            segments, _ = self.plain.transcribe(audio, language=language)
            text = " ".join(s.text.strip() for s in segments)
        elif not setting.without:
            text = self.engine.transcribe(audio, clip.language).text
        else:
            engine = self.engine
            options = transcribe_options(audio, clip.language, engine.beam_size, engine.temperature)
            for name in setting.without:
                options.pop(name)
            segments, _ = engine._model.transcribe(audio, **options)
            text = " ".join(w.word.strip() for s in segments for w in s.words or [])
        return {"text": " ".join(text.split()), "seconds": time.perf_counter() - began}


def run(settings: list[Setting], clips: list[Clip], variants: list[str], verbose: bool):
    runner = Runner(str(assemble_bundled_model(MODELS)))
    rows = []
    for setting in settings:
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
