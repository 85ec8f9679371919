"""One transcript word -> what it contributes to a dictated number.

Whisper writes a number read aloud in many ways: "91234567", "912 34 567", "412 -34567"
(a pause written as a leading dash), "411 -1111 -111111", "912.34.567", "29340.",
"ni en to tre", "nittien tjuetre", "fire-en-to", "seksti sju", "double seven", or a mix.
Each word becomes a :class:`Tok` with number *atoms*; words that are written dates, times,
decimal amounts or comma thousands groups ("21.10.1985", "14:30", "12,50", "25,000", "24/7")
are *shapes*: they end a number instead of feeding it digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assets.transcripts.pii.lexicon import (
    AND,
    BIG_NUMBER_WORDS,
    BRIDGES,
    FILLERS,
    MULT,
    PLUS_WORDS,
    SPOKEN_DASHES,
    lexicon_for,
    split_compound,
)

DIGITS, PLUS = "digits", "plus"
#: Token kinds.
NUM, FILLER, BRIDGE, SHAPE, BIG, OTHER = "num", "filler", "bridge", "shape", "big", "other"

LEADING = "\"'([{«\u201c\u2018¿¡"
TRAILING = "\"')]}»\u201d\u2019"
STOPS = ".!?;:…"
DASHES = "-\u2010\u2011\u2012\u2013\u2014"


@dataclass(frozen=True)
class Atom:
    kind: str  # DIGITS, PLUS, or a lexicon kind (unit, teen, tens, hundred, and, mult)
    value: int | str  # int for number words, the digit string for DIGITS
    word: int  # index of the transcript word


@dataclass(frozen=True)
class Tok:
    index: int
    kind: str
    atoms: tuple[Atom, ...] = ()
    stop: bool = False  # the word ends a sentence ("67.", "right?")
    pause: bool = False  # a comma or a leading dash: where two groups meet
    raw: str = ""  # the word without surrounding punctuation, lower case
    weak: bool = False  # an article-like number word ("en", "one", "oh") on its own
    question: bool = False  # ends with "?"


_DIGIT_WORD = re.compile(
    rf"(?P<plus>\+)?(?P<lead>[{DASHES}.,])?(?P<body>\d+(?:[{DASHES}./:,]\d+)*)(?P<tail>[{DASHES}])?"
)
# Written shapes that are never an identifier: dates, times, decimals, thousands groups.
_SHAPES = (
    re.compile(r"(0?[1-9]|[12]\d|3[01])[./-](0?[1-9]|1[0-2])[./-](\d{2}|\d{4})"),  # 21.10.1985
    re.compile(r"\d{4}[-/.](0?[1-9]|1[0-2])[-/.](0?[1-9]|[12]\d|3[01])"),  # 2024-03-15
    re.compile(r"([01]?\d|2[0-4])[:.][0-5]\d"),  # 14.30, 9:05, 8.45
    re.compile(r"\d+,\d{1,2}"),  # 12,50
    re.compile(r"\d{1,3}(?:[.,]\d{3}){1,2}[.,]\d{1,2}"),  # 1.299,50
    re.compile(r"\d{1,3}(?:,\d{3})+"),  # 25,000,000 (with dots, "72.932.155", it may be a phone)
    re.compile(r"\d{1,4}/\d{1,4}"),  # 24/7, 1/2, 3/4
    re.compile(r"\d+(?:st|nd|rd|th|e|de|te|a|:e|:a)"),  # ordinals
)
_AND_WORDS = frozenset({"og", "and", "och"})
_ALNUM_DIGIT = re.compile(r"\d{1,4}[a-z]|[a-z]\d{1,4}")
_TIME_SUFFIX = re.compile(r"\d{1,2}(?:[.:]\d{2})?(?:am|pm|a\.m\.|p\.m\.)")
_AMOUNT = re.compile(r"[$£€]\d.*|\d+(?:[.,]\d+)?(?:%|kr|,-|\.-)")


def strip(word: str) -> tuple[str, str]:
    """(core, trailing punctuation) of a word: "(67)," -> ("67", "),")."""
    core = word.strip().lstrip(LEADING)
    end = len(core)
    while end > 0 and core[end - 1] in TRAILING + STOPS + ",":
        end -= 1
    return core[:end], core[end:]


def _number_word(text: str, index: int, language: str) -> tuple[Atom, ...] | None:
    """Atoms of a word made of number words ("sekstisju", "fire-en-to"), else None."""
    parts = [p for p in re.split(rf"[{DASHES}]", text) if p]
    if not parts:
        return None
    atoms: list[Atom] = []
    for part in parts:
        lexemes = split_compound(part, "nb" if language in ("nn", "no") else language)
        if lexemes is None:
            return None
        atoms.extend(Atom(kind, value, index) for kind, value in lexemes)
    if atoms[0].kind == AND or (atoms[-1].kind in (AND, MULT) and len(atoms) > 1):
        return None
    if len(parts) == 1 and len(atoms) > 1 and not _compound_reads(atoms):
        return None  # "entre" is no "1 3": a glued word must read as one number
    return tuple(atoms)


def _compound_reads(atoms: list[Atom]) -> bool:
    """Whether number words glued into one written word read as one number below 1000."""
    kinds = [a.kind for a in atoms]
    allowed = (
        ["tens", "unit"], ["unit", "and", "tens"], ["unit", "hundred"], ["hundred", "unit"],
        ["hundred", "teen"], ["hundred", "tens"], ["hundred", "tens", "unit"],
        ["unit", "hundred", "unit"], ["unit", "hundred", "teen"], ["unit", "hundred", "tens"],
        ["unit", "hundred", "tens", "unit"], ["unit", "hundred", "and", "tens"],
        ["unit", "hundred", "unit", "and", "tens"], ["hundred", "unit", "and", "tens"],
        ["hundred", "and", "tens"], ["hundred", "and", "unit"], ["unit", "hundred", "and", "unit"],
        ["unit", "hundred", "and", "teen"], ["hundred", "and", "teen"],
        ["mult", "unit"],
    )  # fmt: skip
    return kinds in allowed


def tokenize(word: str, index: int, language: str) -> Tok:
    """What the word at ``index`` contributes to a number."""
    raw_word = word.strip()
    core, trail = strip(raw_word)
    stop = any(c in STOPS for c in trail)
    pause = "," in trail
    question = "?" in trail
    lower = core.lower()
    base = {"index": index, "stop": stop, "pause": pause, "raw": lower, "question": question}
    if not lower:
        return Tok(kind=OTHER, **base)
    if lower in FILLERS or lower in SPOKEN_DASHES or all(c in DASHES for c in lower):
        return Tok(kind=FILLER, **{**base, "pause": True})
    if lower in PLUS_WORDS:
        return Tok(kind=NUM, atoms=(Atom(PLUS, "", index),), **base)
    if lower in BIG_NUMBER_WORDS:
        return Tok(kind=BIG, **base)
    if raw_word.endswith((",-", ".-")) or _AMOUNT.fullmatch(lower) or _TIME_SUFFIX.fullmatch(lower):
        return Tok(kind=SHAPE, **base)
    if any(c.isdigit() for c in lower):
        if _ALNUM_DIGIT.fullmatch(lower):  # "3D" for "three": one or two stray letters
            digits = re.sub(r"\D", "", lower)
            return Tok(kind=NUM, atoms=(Atom(DIGITS, digits, index),), **base)
        match = _DIGIT_WORD.fullmatch(lower)
        if match is None:
            return Tok(kind=OTHER, **base)  # "UFM670", "BA2490": letters and digits
        body = match.group("body")
        if any(shape.fullmatch(body) for shape in _SHAPES):
            return Tok(kind=SHAPE, **base)
        atoms = [Atom(PLUS, "", index)] if match.group("plus") else []
        atoms.append(Atom(DIGITS, re.sub(r"\D", "", body), index))
        lead_pause = match.group("lead") is not None
        return Tok(kind=NUM, atoms=tuple(atoms), **{**base, "pause": pause or lead_pause})
    if lower in _AND_WORDS:
        return Tok(kind=NUM, atoms=(Atom(AND, 0, index),), **base)
    number = _number_word(lower, index, language)
    if number is not None:
        weak = len(number) == 1 and lower in lexicon_for(language).weak
        return Tok(kind=NUM, atoms=number, weak=weak, **base)
    if lower in BRIDGES:
        return Tok(kind=BRIDGE, **base)
    return Tok(kind=OTHER, **base)
