"""A second listen where a number is expected and none was heard: an experiment, measured by
``pii_spoken_benchmark.py --second-listen`` and not in the pipeline (issue 21: it did not raise
held-out Nordic recall; the figures are in ``assets/transcripts/README.md``, "Redaction in
text").

Whisper base often writes a Nordic number read digit by digit as ordinary words ("Ni har två att
nå." for "nio två ett noll"), so no rule on the text can find it without masking ordinary speech
too. Where the first pass has a cue word ("nummer", "telefon", "kort", "konto", "personnummer",
"CPR"..., ``pii.cues``) and the detector found nothing but guesses (``GUESSES``) in the words
that follow it within ``CUE_REACH_S``, the audio from the cue's end is decoded again, for at
most ``WINDOW_S``, by the same engine with the language forced and a prompt in that language
that writes numbers as digits (``PROMPTS``). The detector reads the cue's sentence with the
second hearing in place of the first; where it finds personal data there (not a guess), the
second hearing's words replace the first pass's from the cue's end to the end of what was found.
The pipeline's redaction and muting then run on the words as they do for any other transcript,
so the found kind travels in the words (also through the Pipes worker's work files) and the same
interval is muted.

Wired into the pipeline it would be one call per track after ``transcribe_track`` (in
``hearing.hear_tracks``, which the Pipes worker runs too), with the engine's decoder from
``engine_decoder(pool.engine_for(language))``. Only the audio after a cue is ever heard again,
so speech without a cue cannot be masked by this; a prompt-led misreading after a cue costs
ordinary words, never a missed number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from assets.transcripts.engines import Transcript, Word
from assets.transcripts.engines.base import SAMPLE_RATE
from assets.transcripts.engines.faster_whisper import transcribe_options
from assets.transcripts.pii import find_pii
from assets.transcripts.pii.cues import positive_kind

#: Seconds of audio re-heard after a cue's end: a number read digit by digit, in pieces, fits.
WINDOW_S = 10.0
#: Seconds after a cue's end within which a span the first pass found counts as the cue's
#: number: no second listen there.
CUE_REACH_S = 6.0
#: First-pass words before the cue (and the cue) the detector reads with the second hearing.
CONTEXT_WORDS = 4
#: Words shorter than this many seconds of second hearing are not decoded (a cue at the end of
#: the recording).
MIN_WINDOW_S = 1.0
#: Whisper's ``initial_prompt`` per language: numbers written as digits, as a dictation reads.
PROMPTS = {
    "en": "My phone number is 0 7 7 0 0 9 0 0 1 2 3 and my card number is 4532 7180 2956 3314.",
    "nb": "Telefonnummeret mitt er 9 1 2 3 4 5 6 7, og kortnummeret er 4532 7180 2956 3314.",
    "nn": "Telefonnummeret mitt er 9 1 2 3 4 5 6 7, og kortnummeret er 4532 7180 2956 3314.",
    "da": "Mit telefonnummer er 2 0 1 2 3 4 5 6, og kortnummeret er 4532 7180 2956 3314.",
    "sv": "Mitt telefonnummer är 0 7 0 1 2 3 4 5 6 7, och kortnumret är 4532 7180 2956 3314.",
}
#: Tokens the second hearing may write: a window's numbers take 20-60; a decoder that loops on
#: the prompt's digits stops here instead of at Whisper's 448 (cost: seconds a window).
MAX_TOKENS = 96
#: A word said more than this many times in a row on the second hearing is the decoder looping
#: (the prompt invites digits); the hearing is cut before the loop.
MAX_REPEATS = 4

#: Rules that redact a guess, not a number (``pii.tail``'s words after a cue, ``pii.uncertain``'s
#: garbled stretches): a cue followed only by these is heard again, and they do not count as
#: found on the second hearing.
GUESSES = ("cue-tail", "uncertain")

#: (window samples at 16 kHz, language, prompt) -> the window's words, times from its start.
Decode = Callable[[np.ndarray, str, str], list[Word]]


def engine_decoder(engine) -> Decode | None:
    """A prompted decode with the pipeline engine's own model and options, or None for an
    engine whose model is not faster-whisper's (whisperx: no second listen)."""
    if getattr(engine, "name", "") != "faster-whisper":
        return None

    def decode(window: np.ndarray, language: str, prompt: str) -> list[Word]:
        options = transcribe_options(window, language, engine.beam_size, engine.temperature)
        segments, _ = engine._whisper.transcribe(
            window, initial_prompt=prompt, max_new_tokens=MAX_TOKENS, **options
        )
        return [
            Word(w.word.strip(), round(w.start, 3), round(w.end, 3), round(w.probability, 4), 0)
            for segment in segments
            for w in segment.words or []
            if w.word.strip()
        ]

    return decode


def cue_windows(words: Sequence[Word], language: str, duration_s: float) -> list[int]:
    """Indexes of the cue words after which nothing was found: the windows to hear again."""
    spans = [s for s in find_pii(words, language) if s.rule not in GUESSES]
    out: list[int] = []
    for i, word in enumerate(words):
        if positive_kind(word.word, words[i - 1].word if i else "") is None:
            continue
        if duration_s - word.end < MIN_WINDOW_S:
            continue
        if any(s.last_word >= i and s.start <= word.end + CUE_REACH_S for s in spans):
            continue
        if out and words[out[-1]].end + WINDOW_S > word.end:
            continue  # inside the window of the cue before
        out.append(i)
    return out


def _unlooped(heard: list[Word]) -> list[Word]:
    """The second hearing up to where one word starts repeating more than ``MAX_REPEATS`` times."""
    run = 0
    for i, word in enumerate(heard):
        run = run + 1 if i and word.word == heard[i - 1].word else 1
        if run > MAX_REPEATS:
            return heard[: i - run + 1]
    return heard


def _splice(words: list[Word], cue: int, heard: list[Word], language: str) -> list[Word] | None:
    """The words with the second hearing after ``cue`` where it holds personal data, or None."""
    heard = _unlooped(heard)
    context = words[max(0, cue - CONTEXT_WORDS) : cue + 1]
    found = [
        s
        for s in find_pii(context + heard, language)
        if s.rule not in GUESSES and s.last_word >= len(context)
    ]
    if not found:
        return None
    until = max(s.end for s in found)
    new = [w for w in heard if (w.start + w.end) / 2 <= until]
    segment = words[cue].segment_index
    new = [replace(w, segment_index=segment, speaker=words[cue].speaker) for w in new]
    after = [w for w in words[cue + 1 :] if (w.start + w.end) / 2 > until]
    return words[: cue + 1] + new + after


def second_listen(
    transcript: Transcript, samples: np.ndarray, decode: Decode, rate: int = SAMPLE_RATE
) -> tuple[Transcript, int, int]:
    """(the transcript with numbers heard again after cues, windows heard, windows spliced)."""
    language = transcript.language
    prompt = PROMPTS.get(language)
    if prompt is None or not transcript.words:
        return transcript, 0, 0
    words = list(transcript.words)
    cues = cue_windows(words, language, transcript.duration_s)
    spliced = 0
    # From the last cue back, so the earlier cues' indexes stay right.
    for cue in reversed(cues):
        begin = words[cue].end
        end = min(begin + WINDOW_S, samples.size / rate)
        window = samples[round(begin * rate) : round(end * rate)]
        heard = [
            replace(w, start=round(w.start + begin, 3), end=round(w.end + begin, 3))
            for w in decode(window, language, prompt)
        ]
        changed = _splice(words, cue, heard, language) if heard else None
        if changed is not None:
            words, spliced = changed, spliced + 1
    if not spliced:
        return transcript, len(cues), 0
    return replace(transcript, words=words), len(cues), spliced
