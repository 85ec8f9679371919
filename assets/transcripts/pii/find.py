"""Finding and redacting personal data in a transcript's words (the package's public API)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assets.transcripts.engines import Word
from assets.transcripts.pii.emails import find_emails
from assets.transcripts.pii.lexicon import lexicon_for
from assets.transcripts.pii.numbers import find_numbers
from assets.transcripts.pii.reader import parse_items
from assets.transcripts.pii.spans import Found, PiiSpan
from assets.transcripts.pii.tokens import TRAILING_QUOTES, atom_runs, strip_word
from assets.transcripts.pii.validators import region_prefix

#: Phone region per transcript language, used unless ``default_region`` is given.
PHONE_REGION = {"nb": "NO", "nn": "NO", "da": "DK", "sv": "SE", "en": "GB"}


@dataclass(frozen=True)
class NumberRun:
    """Digits read out of consecutive words: "+4791234567" from "pluss førtisju 91 23 45 67"."""

    digits: str  # with a leading "+" where the number was said with one
    first_word: int
    last_word: int


def number_runs(words: Sequence[Word | str], language: str) -> list[NumberRun]:
    """Every run of numbers in the words, each as one digit string with its word range.

    Number words are read with every join taken ("tjue tre" = 23, "ni hundre og tolv" = 912);
    a run ends at any other word, a full stop, a pause over three seconds, a stray "og"/"and"
    or a "+" (which starts the next run). Dates, times and amounts written with separators
    ("21.10.1985", "14.30", "1.299") are not numbers here.
    """
    lex = lexicon_for(language)
    timed = [w if isinstance(w, Word) else Word(w, 0.0, 0.0, 1.0, 0) for w in words]
    runs = []
    for atoms in atom_runs(timed, lex):
        for items in parse_items(atoms, lex):
            sign = "+" if items[0].plus else ""
            digits = sign + "".join(item.digits for item in items)
            if digits.strip("+"):
                runs.append(NumberRun(digits, items[0].first, items[-1].last))
    return runs


def find_pii(
    words: Sequence[Word], language: str, *, default_region: str | None = None
) -> list[PiiSpan]:
    """Personal data in a transcript's words: non-overlapping spans in word order.

    ``language`` is the transcript's ("nb", "nn", "da", "sv", "en"); it picks the number words
    and the phone region (NO, DK, SE, GB) unless ``default_region`` names another.
    """
    lexicon_for(language)
    region = (default_region or PHONE_REGION.get(language, "NO")).upper()
    region_prefix(region)  # fail early on an unknown region
    spans: list[Found] = []
    taken: set[int] = set()
    # E-mail addresses first: their words are never also read as numbers.
    for found in [*find_emails(words, language), *find_numbers(words, language, region)]:
        covered = set(range(found.first, found.last + 1))
        if covered & taken:
            continue
        taken |= covered
        spans.append(found)
    return [
        PiiSpan(
            kind=f.kind,
            first_word=f.first,
            last_word=f.last,
            start=words[f.first].start,
            end=words[f.last].end,
            text=" ".join(w.word for w in words[f.first : f.last + 1]),
            normalized=f.normalized,
        )
        for f in sorted(spans, key=lambda f: f.first)
    ]


def redact_text(words: Sequence[Word], spans: Sequence[PiiSpan], mask: str = "[{kind}]") -> str:
    """The transcript's text with each span replaced by one mask token.

    Sentence punctuation after a span's last word is kept ("[phone].") so the text still reads.
    """
    out: list[str] = []
    by_first = {span.first_word: span for span in spans}
    index = 0
    while index < len(words):
        span = by_first.get(index)
        if span is None:
            out.append(words[index].word)
            index += 1
            continue
        trail = strip_word(words[span.last_word].word)[1].lstrip(TRAILING_QUOTES)
        out.append(mask.format(kind=span.kind) + trail)
        index = span.last_word + 1
    return " ".join(out)
