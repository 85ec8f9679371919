"""Atoms to numbers: the digits a run of number words and digit groups says.

An atom is what one word (or one piece of a compound word) contributes: digits, a "+", or a
number word with its value. Number words in a row are ambiguous ("tjue tre" is 23 or 20 3);
``readings`` yields the ways to read a run, most joined first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations

from assets.transcripts.pii.lexicon import AND, HUNDRED, MULT, TEEN, TENS, UNIT, Lexicon

#: Most ways of reading one run of number words tried ("tjue tre" as 23, then as 20 3, ...).
MAX_READINGS = 64

#: Atom kinds besides the lexicon's: a digit group as written, and a "+".
DIGITS, PLUS = "digits", "plus"


@dataclass(frozen=True)
class Atom:
    kind: str  # DIGITS, PLUS or a lexicon kind
    value: int | str  # int for number words, the digit string for DIGITS
    word: int  # index of the word it came from
    pause: bool  # a comma follows: a "tjue, tre" is 20 then 3, not 23
    weak: bool  # the whole word is an article-like number word ("en", "one")


@dataclass(frozen=True)
class Item:
    """One number said or written in a run, as digits, with the words it spans."""

    digits: str
    plus: bool
    first: int
    last: int
    weak: bool
    pause: bool = False  # a comma follows: where two numbers in one run may meet
    raw: str = ""  # the written digit token, for shapes like "211062-5629"


class Reader:
    """Reads numbers out of a run of atoms.

    Number words said in a row are ambiguous: "tjue tre" is 23 or 20 then 3, "ni hundre
    tolv" is 912 or 900 then 12. The reader glues by default and records where it did
    (``glued``); a later reading can pass those places in ``split`` to read them apart.
    """

    def __init__(
        self, atoms: Sequence[Atom], lex: Lexicon, split: frozenset[int] = frozenset()
    ) -> None:
        self.atoms, self.lex, self.split = atoms, lex, split
        self.glued: list[int] = []

    def _is(self, i: int, kind: str) -> bool:
        return i < len(self.atoms) and self.atoms[i].kind == kind

    def _glue(self, i: int) -> bool:
        """Whether to join atom ``i`` with what follows it (and remember that it could)."""
        if i in self.split:
            return False
        self.glued.append(i)
        return True

    def _below_100(self, i: int) -> tuple[int, int] | None:
        """A number under 100 at ``i``: (value, next index), or None."""
        atoms, atom = self.atoms, self.atoms[i]
        if atom.kind == TENS:
            # "tjue tre", "twenty-three", "tjugotre": tens then a unit is one number (not in
            # Danish, and not into a compound word: "tres treogfyrre" is 60 43).
            nxt = i + 1
            if (
                self.lex.tens_unit
                and not atom.pause
                and self._is(nxt, UNIT)
                and atoms[nxt].value != 0
                and (atoms[nxt].word == atom.word or not self._compound_starts(nxt))
                and self._glue(i)
            ):
                return int(atom.value) + int(atoms[nxt].value), i + 2
            return int(atom.value), i + 1
        if atom.kind == UNIT:
            # "to og tjue", "femogtyve": the unit comes first, joined by "og".
            if (
                self.lex.unit_and_tens
                and atom.value != 0
                and not atom.pause
                and self._is(i + 1, AND)
                and not atoms[i + 1].pause
                and self._is(i + 2, TENS)
            ):
                return int(atoms[i + 2].value) + int(atom.value), i + 3
            return int(atom.value), i + 1
        if atom.kind == TEEN:
            return int(atom.value), i + 1
        return None

    def _compound_starts(self, i: int) -> bool:
        """Whether atom ``i`` is the first of several from one word ("tre" of "treogfyrre")."""
        atoms = self.atoms
        return i + 1 < len(atoms) and atoms[i + 1].word == atoms[i].word

    def _number(self, i: int) -> tuple[int, int] | None:
        """A number under 1000 at ``i`` ("ni hundre og tolv" = 912): (value, next index)."""
        atoms = self.atoms
        head, j = 1, i
        if (
            atoms[i].kind == UNIT
            and atoms[i].value != 0
            and not atoms[i].pause
            and self._is(i + 1, HUNDRED)
            and self._glue(i)
        ):
            head, j = int(atoms[i].value), i + 1
        if not self._is(j, HUNDRED):
            return self._below_100(i)
        value, j = head * 100, j + 1
        if atoms[j - 1].pause:
            return value, j
        k = j + 1 if self._is(j, AND) and not atoms[j].pause else j
        if k < len(atoms) and atoms[k].kind in (UNIT, TEEN, TENS) and self._glue(j - 1):
            rest = self._below_100(k)
            if rest is not None and rest[0] > 0:
                return value + rest[0], rest[1]
        return value, j

    def items(self) -> list[list[Item]]:
        """Numbers in the run, split where it cannot go on (a stray "og", a "+")."""
        atoms = self.atoms
        runs: list[list[Item]] = [[]]
        i = 0
        while i < len(atoms):
            atom = atoms[i]
            if atom.kind == DIGITS:
                runs[-1].append(
                    Item(str(atom.value), False, atom.word, atom.word, False, atom.pause)
                )
                i += 1
            elif atom.kind == PLUS:  # "+" only ever leads a number
                runs.append([Item("", True, atom.word, atom.word, False)])
                i += 1
            elif atom.kind == MULT and not atom.pause and self._is(i + 1, UNIT):
                unit = atoms[i + 1]  # "double seven" -> 77
                digits = str(unit.value) * int(atom.value)
                runs[-1].append(Item(digits, False, atom.word, unit.word, False, unit.pause))
                i += 2
            elif atom.kind != MULT and (parsed := self._number(i)) is not None:
                value, j = parsed
                end = atoms[j - 1]
                weak = j == i + 1 and atom.weak
                runs[-1].append(Item(str(value), False, atom.word, end.word, weak, end.pause))
                i = j
            else:  # an "og"/"and" that joins nothing: two numbers, not one
                runs.append([])
                i += 1
        return [run for run in runs if run]


def parse_items(atoms: Sequence[Atom], lex: Lexicon) -> list[list[Item]]:
    """Numbers in a run of atoms, read with every join ("tjue tre" = 23)."""
    return Reader(atoms, lex).items()


def readings(atoms: Sequence[Atom], lex: Lexicon) -> Iterator[list[list[Item]]]:
    """Ways to read a run: first with every join, then with ever more of them undone."""
    first = Reader(atoms, lex)
    yield first.items()
    points = list(dict.fromkeys(first.glued))
    count = 1
    for size in range(1, len(points) + 1):
        for split in combinations(points, size):
            if count >= MAX_READINGS:
                return
            count += 1
            yield Reader(atoms, lex, frozenset(split)).items()
