"""What personal data is found as: a span of words of one kind."""

from __future__ import annotations

from dataclasses import dataclass

#: The kinds of personal data lydspor finds.
KINDS = ("phone", "email", "card", "no_fnr", "dk_cpr", "se_pnr")


@dataclass(frozen=True)
class PiiSpan:
    """One piece of personal data: its kind, the words it covers (inclusive) and their times."""

    kind: str
    first_word: int
    last_word: int
    start: float
    end: float
    text: str
    normalized: str


@dataclass(frozen=True)
class Found:
    """Personal data found by word index (``find_pii`` adds the words' times and text)."""

    kind: str
    first: int
    last: int
    normalized: str
