"""Personal data in word-level transcripts, as ASR writes it: phone, card, bank account and
national ID numbers (NO fødselsnummer, DK CPR, SE personnummer) and e-mail addresses.

Recall first: digit runs split by spaces, dashes and dots, number words of the five languages
(en, nb, nn, da, sv), numbers dictated in pieces over several turns, partial or
checksum-failing numbers next to a cue word, and spelled addresses are redacted; checksums
raise confidence and pick the kind, they never gate. The rule set is in ``rules`` (rules 1-5),
``tail`` (rule 6) and ``emails``; ``assets/transcripts/README.md`` describes it and
``benchmarks/README.md`` has the figures.

Public API (as before, plus ``mute_spans``): ``find_pii``, ``PiiSpan``, ``redact_text``,
``number_runs``, ``NumberRun``, ``KINDS``, ``PHONE_REGION``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assets.transcripts.pii.detect import find_pii
from assets.transcripts.pii.lexicon import lexicon_for
from assets.transcripts.pii.runs import build_runs
from assets.transcripts.pii.spans import KINDS, PiiSpan, WordLike, mute_spans, redact_text
from assets.transcripts.pii.tokens import tokenize
from assets.transcripts.pii.validate import PHONE_REGION


@dataclass(frozen=True)
class NumberRun:
    """Digits read out of consecutive words: "+4791234567" from "pluss førtisju 91 23 45 67"."""

    digits: str  # with a leading "+" where the number was said with one
    first_word: int
    last_word: int


@dataclass(frozen=True)
class _Plain:
    word: str
    start: float = 0.0
    end: float = 0.0


def number_runs(words: Sequence[WordLike | str], language: str) -> list[NumberRun]:
    """Every run of numbers in the words, each as one digit string with its word range.

    Number words are read with every join taken ("tjue tre" = 23); a run ends at any other
    word, a sentence end or a pause over three seconds. Written dates and times
    ("21.10.1985", "14.30") are not numbers here; amounts are told apart when deciding.
    """
    lexicon_for(language)
    timed = [_Plain(w) if isinstance(w, str) else w for w in words]
    toks = [tokenize(w.word, i, language) for i, w in enumerate(timed)]
    runs = build_runs(toks, [w.start for w in timed], [w.end for w in timed], language)
    return [NumberRun(("+" if run.plus else "") + run.digits, run.first, run.last) for run in runs]


__all__ = [
    "KINDS",
    "PHONE_REGION",
    "NumberRun",
    "PiiSpan",
    "find_pii",
    "mute_spans",
    "number_runs",
    "redact_text",
]
