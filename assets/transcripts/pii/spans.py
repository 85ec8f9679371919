"""What the detector returns, and how spans become masked text and muted audio."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from assets.transcripts.pii.tokens import TRAILING, strip

#: Every kind a span may have. The first six are the original ones; "account" is a bank
#: account, "id" an identity number with no country known, "number" a PII-length digit run
#: with no cue and no checksum ("when in doubt, redact"), "uncertain" a stretch the engine
#: garbled or looped where a number may hide (rule 7, :mod:`.uncertain`).
KINDS = ("phone", "email", "card", "no_fnr", "dk_cpr", "se_pnr", "account", "id", "number",
         "uncertain")  # fmt: skip


class WordLike(Protocol):
    """What the detector reads from a transcript word (``assets.transcripts.engines.Word``)."""

    word: str
    start: float
    end: float


@dataclass(frozen=True)
class PiiSpan:
    """One piece of personal data: its kind, the words it covers (inclusive) and their times.

    ``rule`` says why it was redacted: "checksum" (a validator passed: high confidence),
    "cue" (a cue word next to a number), "length" (a PII-length digit run) or "email".
    A number dictated in pieces over several turns gives one span per piece, with the same
    ``normalized`` value and a shared ``group``.
    """

    kind: str
    first_word: int
    last_word: int
    start: float
    end: float
    text: str
    normalized: str
    rule: str = "checksum"
    group: int = 0


def redact_text(words: Sequence[WordLike], spans: Sequence[PiiSpan], mask: str = "[{kind}]") -> str:
    """The transcript's text with each span replaced by one mask token; sentence
    punctuation after a span's last word is kept ("[phone].")."""
    out: list[str] = []
    by_first = {span.first_word: span for span in spans}
    index = 0
    while index < len(words):
        span = by_first.get(index)
        if span is None:
            out.append(words[index].word)
            index += 1
            continue
        trail = strip(words[span.last_word].word)[1].lstrip(TRAILING)
        out.append(mask.format(kind=span.kind) + trail)
        index = span.last_word + 1
    return " ".join(out)


#: How far (s) muting reaches from a span into the silence or unrecognised audio before its
#: first and after its last word, up to the neighbouring word: Whisper sometimes drops the
#: first or last digit of a dictated number ("two nine three four zero" -> "9 3 4 0"), or
#: writes a number dictated in pieces with pauses as one word whose time covers one piece;
#: the rest of the audio sits in those gaps.
MUTE_REACH_S = 8.0
#: Muted beyond a span's word times (s) in any case, into neighbouring words if need be:
#: Whisper's word times for a digit group can be a few tenths of a second off (the next
#: word is given a start inside the digits' audio).
MUTE_MARGIN_S = 0.4


def mute_spans(spans: Sequence[PiiSpan], words: Sequence[WordLike] | None = None,
               reach_s: float = MUTE_REACH_S,
               margin_s: float = MUTE_MARGIN_S) -> list[tuple[float, float, str]]:  # fmt: skip
    """(start, end, kind) per span, as ``muting.mute_intervals`` takes them (it adds the
    policy padding and merges). Each span widens by ``margin_s``; with ``words`` it also
    reaches up to ``reach_s`` into the silence before and after it, up to the neighbouring
    word."""
    out = []
    for span in spans:
        start, end = span.start - margin_s, span.end + margin_s
        if words is not None:
            before = words[span.first_word - 1].end if span.first_word > 0 else 0.0
            start = min(start, max(before, span.start - reach_s))
            after = words[span.last_word + 1].start if span.last_word + 1 < len(words) else 1e9
            end = max(end, min(after, span.end + reach_s))
        out.append((max(start, 0.0), end, span.kind))
    return out
