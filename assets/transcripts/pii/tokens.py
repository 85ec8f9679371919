"""Words to atoms: what each transcript word contributes to a run of numbers, and the runs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from assets.transcripts.engines import Word
from assets.transcripts.pii.lexicon import FILLERS, SPOKEN_DASHES, Lexicon
from assets.transcripts.pii.reader import DIGITS, PLUS, Atom, parse_items

#: A pause this long (seconds) between two words ends a number even without punctuation.
MAX_GAP_S = 3.0


@dataclass(frozen=True)
class Token:
    """What one transcript word contributes to a number run."""

    atoms: tuple[Atom, ...]
    stop: bool  # the word ends a sentence ("67.") so the run ends with it
    filler: bool = False


_LEADING = "\"'([{«\u201c\u2018¿¡"
TRAILING_QUOTES = "\"')]}»\u201d\u2019"
STOP_PUNCT = ".!?;:…"
_DIGIT_TOKEN = re.compile(r"(\+)?(\d+(?:[-\u2010\u2013./]\d+)*)")
_HYPHENS = re.compile(r"[-\u2010\u2013]")
# Written dates, times, prices and amounts look like digit groups but are never one of ours:
# they end a run instead of feeding digits into it.
_NOT_A_NUMBER = (
    re.compile(r"(0?[1-9]|[12]\d|3[01])[./-](0?[1-9]|1[0-2])[./-](\d{2}|\d{4})"),  # 21.10.1985
    re.compile(r"\d{4}[-/.](0?[1-9]|1[0-2])[-/.](0?[1-9]|[12]\d|3[01])"),  # 2024-03-15
    re.compile(r"([01]?\d|2[0-4])[:.][0-5]\d"),  # 14.30, 9:05
    re.compile(r"\d+,\d{1,2}"),  # 12,50
    re.compile(r"\d{1,3}(?:[.,]\d{3})+(?:,\d{1,2})?"),  # 1.299 / 25,000,000
)


def strip_word(word: str) -> tuple[str, str]:
    """(core, trailing punctuation) of a word: "(67)," -> ("67", "),")."""
    core = word.strip().lstrip(_LEADING)
    end = len(core)
    while end > 0 and core[end - 1] in TRAILING_QUOTES + STOP_PUNCT + ",":
        end -= 1
    return core[:end], core[end:]


def _split_compound(text: str, lex: Lexicon) -> list[tuple[str, int]] | None:
    """Number words glued together ("femogtyve", "tjuetre", "niohundratolv") -> lexemes."""
    if text in lex.words:
        return [lex.words[text]]
    for cut in range(len(text) - 1, 0, -1):  # longest head first: "fyrretyve" before "fyrre"
        head = lex.words.get(text[:cut])
        if head is None:
            continue
        rest = _split_compound(text[cut:], lex)
        if rest is not None and len(rest) < 5:
            return [head, *rest]
    return None


def _word_atoms(part: str, index: int, lex: Lexicon, weak: bool) -> list[Atom] | None:
    """Atoms of one hyphen-free piece of a word that is a single number, else None."""
    lexemes = _split_compound(part, lex)
    if lexemes is None:
        return None
    atoms = [Atom(kind, value, index, False, weak) for kind, value in lexemes]
    if len(atoms) > 1:
        # A compound must read as one number: "tjuetre" is 23, but "entre" is no "1 3".
        parsed = parse_items(atoms, lex)
        if len(parsed) != 1 or len(parsed[0]) != 1:
            return None
    return atoms


def tokenize(word: str, index: int, lex: Lexicon) -> Token | None:
    """The atoms of one word, or None where the word is not part of a number."""
    raw = word.strip()
    if raw.endswith((",-", ".-")):  # "499,-" is a price
        return None
    core, trail = strip_word(raw)
    stop = any(c in STOP_PUNCT for c in trail)
    pause = "," in trail
    lower = core.lower()
    if not lower:
        return None
    if lower in FILLERS or lower in SPOKEN_DASHES:
        return Token((), stop, filler=True)
    if lower in {"+", "pluss", "plus"}:
        return Token((Atom(PLUS, "", index, pause, False),), stop)
    # Whisper writes a dash between digit groups read with a pause as a leading one
    # ("07813 -567085"): a pause, then digits.
    dashed = lower[:1] in "-\u2010\u2013" and _DIGIT_TOKEN.fullmatch(lower[1:]) is not None
    match = _DIGIT_TOKEN.fullmatch(lower[1:] if dashed else lower)
    if match:
        if any(pattern.fullmatch(match.group(2)) for pattern in _NOT_A_NUMBER):
            return None
        atoms = [Atom(PLUS, "", index, False, False)] if match.group(1) else []
        atoms.append(Atom(DIGITS, re.sub(r"\D", "", match.group(2)), index, pause, False))
        return Token(tuple(atoms), stop, filler=dashed)
    parts = [p for p in _HYPHENS.split(lower) if p]
    if not parts:
        return None
    weak = len(parts) == 1 and lower in lex.weak
    atoms = []
    for part in parts:
        part_atoms = _word_atoms(part, index, lex, weak)
        if part_atoms is None:
            return None
        atoms.extend(part_atoms)
    if pause:
        atoms[-1] = replace(atoms[-1], pause=True)
    return Token(tuple(atoms), stop)


def atom_runs(words: Sequence[Word], lex: Lexicon) -> list[list[Atom]]:
    """Maximal stretches of consecutive number words, ended by other words, a full stop or a
    long pause."""
    runs: list[list[Atom]] = []
    current: list[Atom] = []
    last_end: float | None = None
    for index, word in enumerate(words):
        token = tokenize(word.word, index, lex)
        if token is None or (last_end is not None and word.start - last_end > MAX_GAP_S):
            if current:
                runs.append(current)
            current, last_end = [], None
        if token is None:
            continue
        if token.filler and current:  # a hesitation or a dash is a pause
            current[-1] = replace(current[-1], pause=True)
        current.extend(token.atoms)
        last_end = word.end
        if token.stop:
            if current:
                runs.append(current)
            current, last_end = [], None
    if current:
        runs.append(current)
    return runs
