"""``lydspor transcribe``: one file to a word-timed, redacted transcript, by the pipeline's code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from assets.common.settings import (
    POLICY_VARIABLES,
    WHISPER_VARIABLES,
    apply_embedded_defaults,
    from_environment,
)
from assets.transcripts.engines import ENGINES, SAMPLE_RATE, WHISPER_LANGUAGE, decode_track
from assets.transcripts.models import ModelPool, ModelSpecError, transcribe_track
from assets.transcripts.pii import find_pii, redact_text
from lydspor.cli.shared import console, fail, policy

app = typer.Typer()


@app.command()
def transcribe(
    input_file: Annotated[Path, typer.Argument(help="An audio file (wav, flac, mp3, ...).")],
    out: Annotated[Path, typer.Option(help="The JSON file to write.")],
    language: Annotated[
        str | None,
        typer.Option(help="nb, nn, da, sv or en; left out: detected among the policy's languages."),
    ] = None,
    channel: Annotated[
        int | None, typer.Option(help="For a stereo file: the channel to transcribe (0 or 1).")
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option(help="faster-whisper (CPU) or whisperx (GPU; the whisperx extra)."),
    ] = None,
) -> None:
    """Transcribe one file offline, with word timestamps and personal data found and redacted."""
    apply_embedded_defaults()
    settings = from_environment(WHISPER_VARIABLES)
    if language is not None and language not in WHISPER_LANGUAGE:
        fail(f"--language must be one of {', '.join(WHISPER_LANGUAGE)}")
    engine = engine or settings["engine"] or ENGINES[0]
    if engine not in ENGINES:
        fail(f"--engine must be one of {', '.join(ENGINES)}")
    if not input_file.is_file():
        fail(f"no such file: {input_file}")
    tenant = policy().transcription
    policy_dir = Path(from_environment(POLICY_VARIABLES)["path"]).resolve().parent
    try:  # every model the policy names is located before the audio is read
        pool = ModelPool(
            {**settings, "engine": engine},
            tenant.models,
            max_loaded=tenant.max_loaded_models,
            base_dir=policy_dir,
        )
    except ModelSpecError as exc:
        fail(f"policy: {exc}")
    try:
        samples = decode_track(input_file.read_bytes(), channel)
    except Exception as exc:  # av raises many kinds; the user needs the reason, not the type
        fail(f"could not decode {input_file}: {exc}")
    seconds = len(samples) / SAMPLE_RATE
    with console.status(f"transcribing {seconds:.0f} s of audio with {engine}"):
        heard = transcribe_track(pool, samples, language, tenant.languages)
    result, choice = heard.transcript, heard.choice
    spans = find_pii(result.words, choice.language)
    document = {
        "language": choice.language,
        "model": heard.model,
        "text": result.text,
        "redacted_text": redact_text(result.words, spans),
        "words": [
            {"word": w.word, "start": w.start, "end": w.end, "probability": w.probability}
            for w in result.words
        ],
        "pii": [{"kind": p.kind, "start": p.start, "end": p.end} for p in spans],
    }
    out.write_text(json.dumps(document, ensure_ascii=False, indent=2))
    console.print(f"wrote {out}: {len(result.words)} words, {len(spans)} personal-data span(s)")
