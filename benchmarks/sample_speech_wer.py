"""How well Whisper (base, int8, CPU) understands the generated sample calls: WER per language
and engine, real-time factor, and how many read-back phone numbers are found in the speech.

Transcribes the agent track of every call that has one (stereo, agent_only) and the customer
track of stereo calls, against the ground truth, with the pipeline's worker plan (``--workers``,
default: as the pipeline, one track per core, side by side; 1: one track at a time on every
core, as before). Slow (about 40 s per engine on 2 cores), so not
a test::

    uv run python benchmarks/sample_speech_wer.py [--engine faster-whisper --engine whisperx]
    uv run python benchmarks/sample_speech_wer.py --real   # + real speech, reported apart

``--real`` then runs ``real_speech_wer.py`` (real recorded speech fetched by
``scripts/fetch_real_speech.py``: the plain engine beside the pipeline's; several minutes).
The synthetic calls are espeak voices made by ``assets.recordings.samples``; the real sets are
no one's here, so the two are printed in separate sections and never pooled.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jiwer
import numpy as np
import soundfile as sf

from assets.recordings.metadata import CallMetadata, RecordingMode
from assets.recordings.samples import generate_sample_calls
from assets.recordings.samples.audio import resample
from assets.transcripts.engines import build_engine
from assets.transcripts.model_store import assemble_bundled_model
from assets.transcripts.pii import find_pii
from assets.transcripts.resources import thread_plan
from benchmarks import real_speech_wer


def normalise(text: str) -> str:
    """Lower case, no punctuation, digit groups joined (Whisper writes numbers its own way)."""
    text = re.sub(r"[^\w\s]", " ", text.lower())
    text = re.sub(r"(?<=\d)\s+(?=\d)", "", text)
    return " ".join(text.split())


def tracks(metadata: CallMetadata, samples: np.ndarray) -> dict[str, np.ndarray]:
    """The channels that hold one speaker each."""
    if metadata.recording_mode is RecordingMode.STEREO:
        agent = metadata.agent_channel or 0
        return {"agent": samples[:, agent], "customer": samples[:, 1 - agent]}
    if metadata.recording_mode is RecordingMode.AGENT_ONLY:
        return {"agent": samples[:, 0]}
    return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--calls", type=int, default=12)
    parser.add_argument("--verbose", action="store_true", help="print reference and hypothesis")
    parser.add_argument(
        "--engine", action="append", choices=["faster-whisper", "whisperx"], help="repeatable"
    )
    parser.add_argument(
        "--real",
        action="store_true",
        help="also real recorded speech (real_speech_wer.py, with the muted session)",
    )
    parser.add_argument("--workers", type=int, default=0, help="tracks at once (0: per core)")
    args = parser.parse_args()
    print("== synthetic sample calls (espeak voices)")
    with tempfile.TemporaryDirectory() as tmp:
        calls = generate_sample_calls(Path(tmp) / "calls", seed=args.seed, calls=args.calls)
        for name in args.engine or ["faster-whisper"]:
            print(f"== {name}")
            run(name, calls, args.verbose, args.workers)
    if args.real:
        print("\n== real recorded speech (faster-whisper; plain engine beside the pipeline's)")
        real_speech_wer.main(["--muted-session", *(["-v"] if args.verbose else [])])


def pipeline_engine(name: str = "faster-whisper", workers: int = 1):
    """The engine ``name`` with the verified, bundled model the pipeline uses, loaded for
    ``workers`` tracks at once (0: the pipeline's plan, ``resources.thread_plan``)."""
    models = Path(__file__).resolve().parent.parent / "data" / "state" / "models"
    workers, threads = thread_plan(name, workers, 0)
    settings = {"cpu_threads": threads} | ({"num_workers": workers} if workers > 1 else {})
    return build_engine(name, str(assemble_bundled_model(models)), **settings)


def run(name: str, calls, verbose: bool, workers: int = 0) -> None:
    import time

    workers = thread_plan(name, workers, 0)[0]
    engine = pipeline_engine(name, workers)
    audio_s = 0.0
    numbers_said = numbers_found = 0
    refs: dict[tuple[str, str], list[str]] = defaultdict(list)
    hyps: dict[tuple[str, str], list[str]] = defaultdict(list)
    jobs = []
    for call in calls:
        samples, rate = sf.read(call.audio_path, dtype="float32", always_2d=True)
        for speaker, audio in tracks(call.metadata, samples).items():
            jobs.append((call, speaker, resample(audio, rate, 16_000)))
            audio_s += len(audio) / rate
    print(f"{workers} track(s) at once, {engine.cpu_threads} thread(s) each")
    began = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        heard = list(pool.map(lambda job: engine.transcribe(job[2], job[0].language), jobs))
    elapsed_s = time.monotonic() - began
    for (call, speaker, _), transcript in zip(jobs, heard, strict=True):
        truth = json.loads(call.truth_path.read_text())
        said = " ".join(t["text"] for t in truth if t["speaker"] == speaker)
        hyp, ref = normalise(transcript.text), normalise(said)
        wer = jiwer.wer(ref, hyp)
        print(f"{call.call_id} {call.language} {speaker:8s} WER {wer:6.1%}")
        # The agent reads the customer's phone number back: is it found in what was heard?
        if speaker == "agent" and re.search(r"\d[\d ,]{6,}\d", said):
            numbers_said += 1
            spans = find_pii(transcript.words, call.language)
            numbers_found += any(span.kind == "phone" for span in spans)
        if verbose:
            print(f"  ref: {ref}\n  hyp: {hyp}")
        refs[call.language, speaker].append(ref)
        hyps[call.language, speaker].append(hyp)
    print()
    for language, speaker in sorted(refs):
        wer = jiwer.wer(refs[language, speaker], hyps[language, speaker])
        print(f"{language} {speaker:8s} WER {wer:6.1%}  ({len(refs[language, speaker])} tracks)")
    print(f"real-time factor {elapsed_s / audio_s:.3f} ({audio_s:.0f} s of audio)")
    print(f"read-back phone numbers found in speech: {numbers_found} of {numbers_said}")


if __name__ == "__main__":
    main()
