"""``lydspor isolate``: the agent's speech out of one mono file, by the pipeline's own code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assets.agent_audio.embeddings import LazyEncoder
from assets.agent_audio.enrolment import NotEnoughSpeech, enrol
from assets.agent_audio.isolation import ISOLATED, IsolationSettings
from assets.agent_audio.isolation import isolate as run_isolation
from assets.recordings.probe import encode_wav, read_audio
from lydspor.cli.shared import console, fail

app = typer.Typer()


@app.command()
def isolate(
    input_file: Annotated[
        Path, typer.Argument(help="A mono recording (wav, flac, mp3; any rate).")
    ],
    agent_sample: Annotated[
        Path, typer.Option(help="A recording of the agent alone (at least 3 s of speech).")
    ],
    out: Annotated[Path, typer.Option(help="The agent-only WAV to write (same timeline).")],
    segments: Annotated[Path, typer.Option(help="The segment table (JSON) to write.")],
    min_confidence: Annotated[
        float,
        typer.Option(help="Below this call confidence, nothing is kept and the call is flagged."),
    ] = 0.9,
) -> None:
    """Keep only the agent's voice in a mono recording; everything else becomes silence."""
    if not 0.0 < min_confidence < 1.0:
        fail("--min-confidence must be between 0 and 1")
    samples, rate = _read(input_file)
    sample, sample_rate = _read(agent_sample)
    encoder = LazyEncoder()
    try:
        voiceprint = enrol(sample, sample_rate, encoder).embedding
    except NotEnoughSpeech as exc:
        fail(f"agent sample {agent_sample}: {exc}")
    settings = IsolationSettings(min_confidence=min_confidence)
    result = run_isolation(samples, rate, voiceprint, settings=settings)
    # Under review nothing is kept: the file is silence on the call's timeline.
    agent = result.agent_audio if result.agent_audio is not None else samples.mean(axis=1) * 0
    out.write_bytes(encode_wav(agent, rate))
    segments.write_text(result.segments_json() + "\n")
    kept = (
        f"{result.agent_seconds:.1f} s of agent speech kept"
        if result.status == ISOLATED
        else f"nothing kept (review: {result.reason})"
    )
    console.print(
        f"{result.status}: {result.speakers} voice(s), confidence {result.confidence:.2f}, "
        f"{kept} of {len(samples) / rate:.1f} s; wrote {out} and {segments}"
    )


def _read(path: Path):
    if not path.is_file():
        fail(f"no such file: {path}")
    try:
        samples, rate = read_audio(path.read_bytes())
    except Exception as exc:  # libsndfile raises several kinds; the user needs the reason
        fail(f"could not decode {path}: {exc}")
    if samples.shape[1] != 1:
        fail(f"{path} has {samples.shape[1]} channels; isolation is for mono recordings")
    return samples, rate
