"""Transcript words -> runs of number groups, as dictated.

A *run* is a stretch of consecutive number words and digit tokens (hesitations and spoken
dashes allowed inside), ended by any other word, a sentence end or a pause longer than
``MAX_GAP_S``. Within a run, number words are read into *groups* ("nittien tjuetre" -> 91, 23;
"ni hundre og tolv" -> 912; "double seven" -> 77; "412 -34567" -> 412, 34567), so the run's
digits are the concatenation of its groups. Each run also keeps an alternative reading with
the tens/units joins undone ("tjue tre" as 20, 3), used only to try validators.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from assets.transcripts.pii.lexicon import AND, HUNDRED, MULT, TEEN, TENS, UNIT, lexicon_for
from assets.transcripts.pii.tokens import DIGITS, FILLER, NUM, PLUS, Atom, Tok

#: A pause this long (s) between two words ends a run even without punctuation.
MAX_GAP_S = 3.0


@dataclass
class Group:
    digits: str
    first: int
    last: int
    plus: bool = False
    pause: bool = False  # a comma, dash or hesitation follows
    weak: bool = False  # a lone "en"/"one"/"oh"
    written: str = ""  # the digit token as written, for single-word digit groups
    value: int | None = None  # the number said in words (for counting and years)
    alt: str = ""  # digits with tens/units joins undone


@dataclass
class Run:
    toks: list[Tok]
    groups: list[Group] = field(default_factory=list)

    @property
    def first(self) -> int:
        return self.groups[0].first if self.groups else self.toks[0].index

    @property
    def last(self) -> int:
        return self.groups[-1].last if self.groups else self.toks[-1].index

    @property
    def digits(self) -> str:
        return "".join(g.digits for g in self.groups)

    @property
    def alt_digits(self) -> str:
        return "".join(g.alt or g.digits for g in self.groups)

    @property
    def plus(self) -> bool:
        return bool(self.groups) and self.groups[0].plus


class _Reader:
    def __init__(self, atoms: Sequence[Atom], pauses: dict[int, bool], language: str) -> None:
        self.atoms, self.pauses = atoms, pauses
        self.lex = lexicon_for(language)
        self.weak_words: dict[int, bool] = {}

    def _is(self, i: int, kind: str) -> bool:
        return i < len(self.atoms) and self.atoms[i].kind == kind

    def _pause_after(self, i: int) -> bool:
        """A pause follows atom i: it is its word's last atom and the word has a pause."""
        atoms = self.atoms
        last_of_word = i + 1 >= len(atoms) or atoms[i + 1].word != atoms[i].word
        return last_of_word and self.pauses.get(atoms[i].word, False)

    def _below_100(self, i: int) -> tuple[int, int, str] | None:
        """(value, next index, alternative digits) of a number under 100 at i; the
        alternative undoes a tens+unit join across two words ("tjue tre" -> "203")."""
        atoms, atom = self.atoms, self.atoms[i]
        if atom.kind == TENS:
            nxt = i + 1
            if (
                self.lex.tens_unit
                and not self._pause_after(i)
                and self._is(nxt, UNIT)
                and int(atoms[nxt].value) != 0
                and (atoms[nxt].word == atom.word or not self._compound_at(nxt))
            ):
                value = int(atom.value) + int(atoms[nxt].value)
                split = atoms[nxt].word != atom.word
                return value, i + 2, f"{atom.value}{atoms[nxt].value}" if split else ""
            return int(atom.value), i + 1, ""
        if atom.kind == UNIT:
            if (
                self.lex.unit_and_tens
                and int(atom.value) != 0
                and not self._pause_after(i)
                and self._is(i + 1, AND)
                and not self._pause_after(i + 1)
                and self._is(i + 2, TENS)
            ):
                return int(atoms[i + 2].value) + int(atom.value), i + 3, ""
            return int(atom.value), i + 1, ""
        if atom.kind == TEEN:
            return int(atom.value), i + 1, ""
        return None

    def _compound_at(self, i: int) -> bool:
        atoms = self.atoms
        return i + 1 < len(atoms) and atoms[i + 1].word == atoms[i].word

    def _number(self, i: int) -> tuple[int, int, str] | None:
        """A number under 1000 at i ("ni hundre og tolv"): (value, next index, glued)."""
        atoms = self.atoms
        head, j = 1, i
        if atoms[i].kind == UNIT and int(atoms[i].value) != 0 and self._is(i + 1, HUNDRED):
            if self._pause_after(i):
                return self._below_100(i)
            head, j = int(atoms[i].value), i + 1
        if not self._is(j, HUNDRED):
            return self._below_100(i)
        value, j = head * 100, j + 1
        if self._pause_after(j - 1):
            return value, j, ""
        k = j + 1 if self._is(j, AND) and not self._pause_after(j) else j
        if k < len(atoms) and atoms[k].kind in (UNIT, TEEN, TENS):
            rest = self._below_100(k)
            if rest is not None and rest[0] > 0:
                return value + rest[0], rest[1], f"{value}{rest[2] or rest[0]}"
        return value, j, ""

    def groups(self) -> list[Group]:
        atoms, out = self.atoms, []
        plus, i, plus_word = False, 0, -1
        while i < len(atoms):
            atom = atoms[i]
            if atom.kind == PLUS:
                plus, i, plus_word = True, i + 1, atom.word
                continue
            n_before = len(out)
            if atom.kind == DIGITS:
                out.append(Group(str(atom.value), atom.word, atom.word, plus, self._pause_after(i)))
                self._plus_first(out, n_before, plus, plus_word)
                plus, i = False, i + 1
                continue
            if atom.kind == MULT:
                if self._is(i + 1, UNIT):
                    unit = atoms[i + 1]
                    digits = str(unit.value) * int(atom.value)
                    out.append(Group(digits, atom.word, unit.word, plus, self._pause_after(i + 1)))
                    self._plus_first(out, n_before, plus, plus_word)
                    plus, i = False, i + 2
                else:
                    i += 1
                continue
            parsed = self._number(i) if atom.kind != AND else None
            if parsed is None:  # a stray "og"/"and": a boundary between groups
                if out:
                    out[-1].pause = True
                i += 1
                continue
            value, j, alt = parsed
            end = atoms[j - 1]
            digits = str(value)
            weak = j == i + 1 and atom.kind == UNIT and self._weak(atom)
            out.append(Group(digits, atom.word, end.word, plus, self._pause_after(j - 1),
                             weak, value=value, alt=alt))  # fmt: skip
            self._plus_first(out, n_before, plus, plus_word)
            plus, i = False, j
        return out

    @staticmethod
    def _plus_first(out: list[Group], n_before: int, plus: bool, plus_word: int) -> None:
        """A group said after "pluss" starts at the "pluss" word."""
        if plus and len(out) > n_before and plus_word >= 0:
            out[-1].first = min(out[-1].first, plus_word)

    def _weak(self, atom: Atom) -> bool:
        return self.weak_words.get(atom.word, False)


def build_runs(toks: Sequence[Tok], starts: Sequence[float], ends: Sequence[float],
               language: str) -> list[Run]:  # fmt: skip
    """Maximal runs of number tokens (hesitations inside allowed)."""
    runs: list[Run] = []
    current: list[Tok] = []
    last_end: float | None = None

    def close() -> None:
        nonlocal current, last_end
        while current and (current[-1].kind == FILLER or _lone_and(current[-1])):
            current.pop()
        while current and (current[0].kind == FILLER or _lone_and(current[0])):
            current.pop(0)
        if current:
            runs.append(Run(list(current)))
        current, last_end = [], None

    for tok in toks:
        late = last_end is not None and starts[tok.index] - last_end > MAX_GAP_S
        if tok.kind not in (NUM, FILLER) or late:
            close()
        if tok.kind not in (NUM, FILLER):
            continue
        if tok.kind == FILLER and not current:
            continue
        current.append(tok)
        last_end = ends[tok.index]
        if tok.stop:
            close()
    close()
    for run in runs:
        read(run, language)
    return [run for run in runs if run.groups]


def _lone_and(tok: Tok) -> bool:
    return tok.kind == NUM and len(tok.atoms) == 1 and tok.atoms[0].kind == AND


def read(run: Run, language: str) -> None:
    """Fill ``run.groups`` from its tokens."""
    atoms = [atom for tok in run.toks for atom in tok.atoms]
    pauses = {tok.index: tok.pause for tok in run.toks}
    for i, tok in enumerate(run.toks):  # a hesitation or dash is a pause after the word before
        if tok.kind == FILLER and i > 0:
            pauses[run.toks[i - 1].index] = True
    reader = _Reader(atoms, pauses, language)
    reader.weak_words = {tok.index: tok.weak for tok in run.toks}
    groups = reader.groups()
    for group in groups:
        tok = next(t for t in run.toks if t.index == group.first)
        if group.first == group.last and tok.atoms and tok.atoms[-1].kind == DIGITS:
            group.written = tok.raw
    run.groups = groups
