"""Personal data (PII) in word-level transcripts: phone, e-mail, card and national ID numbers.

Whisper writes a number read aloud as digits ("91 23 45 67"), digit groups ("912.34.567") or
number words in the call's language ("ni en to tre", "femogtyve", "twenty-two"), split over several
words. ``find_pii`` turns each run of such words into digits, keeps which words they came from,
and accepts a stretch of the run only when a validator accepts it: ``phonenumbers`` for phones,
Luhn plus a card prefix for payment cards, python-stdnum for fødselsnummer, CPR and personnummer.

Precision comes first: a run must be used up entirely by accepted numbers (a phone number is not
cut out of a longer order number), and words around the run can veto it ("ordrenummer" before,
"kroner" after).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from itertools import combinations

import phonenumbers
from stdnum import luhn
from stdnum.dk import cpr
from stdnum.no import fodselsnummer
from stdnum.se import personnummer

from assets.transcripts.engines import Word

KINDS = ("phone", "email", "card", "no_fnr", "dk_cpr", "se_pnr")

#: Phone region per transcript language, used unless ``default_region`` is given.
PHONE_REGION = {"nb": "NO", "nn": "NO", "da": "DK", "sv": "SE", "en": "GB"}

#: A pause this long (seconds) between two words ends a number even without punctuation.
MAX_GAP_S = 3.0
#: Words before a number searched for a cue ("fødselsnummer", "ordrenummer", "ring").
CUE_WINDOW = 8
#: Most ways of reading one run of number words tried ("tjue tre" as 23, then as 20 3, ...).
MAX_READINGS = 64
#: Longest digit string considered (a 19-digit card); longer stretches are never one number.
MAX_DIGITS = 19


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


# --------------------------------------------------------------------------------------------
# Number words per language
# --------------------------------------------------------------------------------------------

_UNIT, _TEEN, _TENS, _HUNDRED, _AND, _MULT = "unit", "teen", "tens", "hundred", "and", "mult"


@dataclass(frozen=True)
class _Lexicon:
    """Number words of one language: word -> (atom kind, value)."""

    words: dict[str, tuple[str, int]]
    #: "to og tjue", "femogtyve": a unit joined to the tens after it by "og" (22, 25).
    unit_and_tens: bool
    #: "tjue tre", "twenty three": tens then a unit is one number (not in Danish).
    tens_unit: bool
    #: Words that are also articles or interjections ("en", "one", "oh"); a run may shed one
    #: at either end, since "det er en 9 1 2 3..." says nothing about the number.
    weak: frozenset[str]
    at_words: frozenset[str]
    dot_words: frozenset[str]


def _entries(kind: str, table: dict[str, int]) -> dict[str, tuple[str, int]]:
    return {word: (kind, value) for word, value in table.items()}


def _lexicon(
    units: dict[str, int],
    teens: dict[str, int],
    tens: dict[str, int],
    extra: dict[str, tuple[str, int]],
    *,
    unit_and_tens: bool,
    tens_unit: bool = True,
    weak: set[str],
    at_words: set[str],
    dot_words: set[str],
) -> _Lexicon:
    words = {
        **_entries(_UNIT, units),
        **_entries(_TEEN, teens),
        **_entries(_TENS, tens),
        **extra,
    }
    return _Lexicon(
        words,
        unit_and_tens,
        tens_unit,
        frozenset(weak),
        frozenset(at_words),
        frozenset(dot_words),
    )


_NB_UNITS = {
    "null": 0, "en": 1, "én": 1, "ein": 1, "ett": 1, "eitt": 1, "ei": 1, "to": 2, "tre": 3,
    "fire": 4, "fem": 5, "seks": 6, "sju": 7, "syv": 7, "åtte": 8, "ni": 9,
}  # fmt: skip
_NB_TEENS = {
    "ti": 10, "elleve": 11, "elve": 11, "tolv": 12, "tretten": 13, "fjorten": 14, "femten": 15,
    "seksten": 16, "sytten": 17, "søtten": 17, "atten": 18, "nitten": 19,
}  # fmt: skip
_NB_TENS = {
    "tjue": 20, "tjuge": 20, "tyve": 20, "tretti": 30, "tredve": 30, "førti": 40, "femti": 50,
    "seksti": 60, "sytti": 70, "søtti": 70, "åtti": 80, "nitti": 90,
}  # fmt: skip
_DA_UNITS = {
    "nul": 0, "en": 1, "én": 1, "et": 1, "ét": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5,
    "seks": 6, "syv": 7, "otte": 8, "ni": 9,
}  # fmt: skip
_DA_TEENS = {
    "ti": 10, "elleve": 11, "tolv": 12, "tretten": 13, "fjorten": 14, "femten": 15, "seksten": 16,
    "sytten": 17, "atten": 18, "nitten": 19,
}  # fmt: skip
_DA_TENS = {
    "tyve": 20, "tredive": 30, "tredve": 30, "fyrre": 40, "fyrretyve": 40, "halvtreds": 50,
    "halvtredsindstyve": 50, "tres": 60, "tresindstyve": 60, "halvfjerds": 70,
    "halvfjerdsindstyve": 70, "firs": 80, "firsindstyve": 80, "halvfems": 90,
    "halvfemsindstyve": 90,
}  # fmt: skip
_SV_UNITS = {
    "noll": 0, "en": 1, "ett": 1, "två": 2, "tre": 3, "fyra": 4, "fem": 5, "sex": 6, "sju": 7,
    "åtta": 8, "nio": 9,
}  # fmt: skip
_SV_TEENS = {
    "tio": 10, "elva": 11, "tolv": 12, "tretton": 13, "fjorton": 14, "femton": 15, "sexton": 16,
    "sjutton": 17, "arton": 18, "aderton": 18, "nitton": 19,
}  # fmt: skip
# Spoken Swedish drops the final -o ("trettitvå"); Whisper writes both forms.
_SV_TENS = {
    "tjugo": 20, "tjugu": 20, "tjugi": 20, "trettio": 30, "tretti": 30, "fyrtio": 40,
    "fyrti": 40, "förti": 40, "femtio": 50, "femti": 50, "sextio": 60, "sexti": 60,
    "sjuttio": 70, "sjutti": 70, "åttio": 80, "åtti": 80, "nittio": 90, "nitti": 90,
}  # fmt: skip
_EN_UNITS = {
    "zero": 0, "oh": 0, "o": 0, "nought": 0, "one": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}  # fmt: skip
_EN_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_EN_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip

_NB = _lexicon(
    _NB_UNITS,
    _NB_TEENS,
    _NB_TENS,
    {
        "hundre": (_HUNDRED, 100),
        "hundred": (_HUNDRED, 100),
        "og": (_AND, 0),
        "dobbel": (_MULT, 2),
        "dobbelt": (_MULT, 2),
    },
    unit_and_tens=True,
    weak={"en", "én", "ein", "ett", "eitt", "ei"},
    at_words={"krøllalfa", "krølla", "alfakrøll", "snabel-a", "@"},
    dot_words={"punktum", "prikk", "dott", "dot", "."},
)
_DA = _lexicon(
    _DA_UNITS,
    _DA_TEENS,
    _DA_TENS,
    {
        "hundrede": (_HUNDRED, 100),
        "hundred": (_HUNDRED, 100),
        "og": (_AND, 0),
        "dobbelt": (_MULT, 2),
    },
    unit_and_tens=True,
    tens_unit=False,
    weak={"en", "én", "et", "ét"},
    # Danish "at" means "to/that": never read as "@".
    at_words={"snabel-a", "snabela", "@"},
    dot_words={"punktum", "prik", "dot", "."},
)
_SV = _lexicon(
    _SV_UNITS,
    _SV_TEENS,
    _SV_TENS,
    {
        "hundra": (_HUNDRED, 100),
        "och": (_AND, 0),
        "dubbel": (_MULT, 2),
        "dubbla": (_MULT, 2),
    },
    unit_and_tens=False,
    weak={"en", "ett"},
    at_words={"snabel-a", "snabela", "@"},
    dot_words={"punkt", "dot", "."},
)
_EN = _lexicon(
    _EN_UNITS,
    _EN_TEENS,
    _EN_TENS,
    {
        "hundred": (_HUNDRED, 100),
        "and": (_AND, 0),
        "double": (_MULT, 2),
        "triple": (_MULT, 3),
    },
    unit_and_tens=False,
    weak={"one", "oh", "o"},
    at_words={"at", "@"},
    dot_words={"dot", "."},
)
_LEXICONS = {"nb": _NB, "nn": _NB, "no": _NB, "da": _DA, "sv": _SV, "en": _EN}

#: Hesitations inside a number read aloud ("ni en, eh, to tre"): skipped, they neither add digits
#: nor end the number.
_FILLERS = frozenset({"eh", "ehm", "øh", "øhm", "uh", "uhm", "um", "umm", "hm", "hmm", "mm", "öh"})
#: Dashes said aloud inside an ID ("åttioåtta noll tre tjugo streck noll noll sexton"): like
#: fillers, plus a boundary where two numbers may meet.
_SPOKEN_DASHES = frozenset(
    {"strek", "bindestrek", "streck", "bindestreck", "streg", "bindestreg", "dash", "hyphen"}
)


# --------------------------------------------------------------------------------------------
# Words -> atoms
# --------------------------------------------------------------------------------------------

_DIGITS, _PLUS = "digits", "plus"


@dataclass(frozen=True)
class _Atom:
    kind: str  # _DIGITS, _PLUS or a lexicon kind
    value: int | str  # int for number words, the digit string for _DIGITS
    word: int  # index of the word it came from
    pause: bool  # a comma follows: a "tjue, tre" is 20 then 3, not 23
    weak: bool  # the whole word is an article-like number word ("en", "one")


@dataclass(frozen=True)
class _Token:
    """What one transcript word contributes to a number run."""

    atoms: tuple[_Atom, ...]
    stop: bool  # the word ends a sentence ("67.") so the run ends with it
    filler: bool = False


_LEADING = "\"'([{«\u201c\u2018¿¡"
_TRAILING_QUOTES = "\"')]}»\u201d\u2019"
_STOP_PUNCT = ".!?;:…"
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


def _strip(word: str) -> tuple[str, str]:
    """(core, trailing punctuation) of a word: "(67)," -> ("67", "),")."""
    core = word.strip().lstrip(_LEADING)
    end = len(core)
    while end > 0 and core[end - 1] in _TRAILING_QUOTES + _STOP_PUNCT + ",":
        end -= 1
    return core[:end], core[end:]


def _split_compound(text: str, lex: _Lexicon) -> list[tuple[str, int]] | None:
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


def _word_atoms(part: str, index: int, lex: _Lexicon, weak: bool) -> list[_Atom] | None:
    """Atoms of one hyphen-free piece of a word that is a single number, else None."""
    lexemes = _split_compound(part, lex)
    if lexemes is None:
        return None
    atoms = [_Atom(kind, value, index, False, weak) for kind, value in lexemes]
    if len(atoms) > 1:
        # A compound must read as one number: "tjuetre" is 23, but "entre" is no "1 3".
        parsed = _parse_items(atoms, lex)
        if len(parsed) != 1 or len(parsed[0]) != 1:
            return None
    return atoms


def _tokenize(word: str, index: int, lex: _Lexicon) -> _Token | None:
    """The atoms of one word, or None where the word is not part of a number."""
    raw = word.strip()
    if raw.endswith((",-", ".-")):  # "499,-" is a price
        return None
    core, trail = _strip(raw)
    stop = any(c in _STOP_PUNCT for c in trail)
    pause = "," in trail
    lower = core.lower()
    if not lower:
        return None
    if lower in _FILLERS or lower in _SPOKEN_DASHES:
        return _Token((), stop, filler=True)
    if lower in {"+", "pluss", "plus"}:
        return _Token((_Atom(_PLUS, "", index, pause, False),), stop)
    # Whisper writes a dash between digit groups read with a pause as a leading one
    # ("07813 -567085"): a pause, then digits.
    dashed = lower[:1] in "-\u2010\u2013" and _DIGIT_TOKEN.fullmatch(lower[1:]) is not None
    match = _DIGIT_TOKEN.fullmatch(lower[1:] if dashed else lower)
    if match:
        if any(pattern.fullmatch(match.group(2)) for pattern in _NOT_A_NUMBER):
            return None
        atoms = [_Atom(_PLUS, "", index, False, False)] if match.group(1) else []
        atoms.append(_Atom(_DIGITS, re.sub(r"\D", "", match.group(2)), index, pause, False))
        return _Token(tuple(atoms), stop, filler=dashed)
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
    return _Token(tuple(atoms), stop)


# --------------------------------------------------------------------------------------------
# Atoms -> numbers ("items")
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    """One number said or written in a run, as digits, with the words it spans."""

    digits: str
    plus: bool
    first: int
    last: int
    weak: bool
    pause: bool = False  # a comma follows: where two numbers in one run may meet
    raw: str = ""  # the written digit token, for shapes like "211062-5629"


class _Reader:
    """Reads numbers out of a run of atoms.

    Number words said in a row are ambiguous: "tjue tre" is 23 or 20 then 3, "ni hundre
    tolv" is 912 or 900 then 12. The reader glues by default and records where it did
    (``glued``); a later reading can pass those places in ``split`` to read them apart.
    """

    def __init__(
        self, atoms: Sequence[_Atom], lex: _Lexicon, split: frozenset[int] = frozenset()
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
        if atom.kind == _TENS:
            # "tjue tre", "twenty-three", "tjugotre": tens then a unit is one number (not in
            # Danish, and not into a compound word: "tres treogfyrre" is 60 43).
            nxt = i + 1
            if (
                self.lex.tens_unit
                and not atom.pause
                and self._is(nxt, _UNIT)
                and atoms[nxt].value != 0
                and (atoms[nxt].word == atom.word or not self._compound_starts(nxt))
                and self._glue(i)
            ):
                return int(atom.value) + int(atoms[nxt].value), i + 2
            return int(atom.value), i + 1
        if atom.kind == _UNIT:
            # "to og tjue", "femogtyve": the unit comes first, joined by "og".
            if (
                self.lex.unit_and_tens
                and atom.value != 0
                and not atom.pause
                and self._is(i + 1, _AND)
                and not atoms[i + 1].pause
                and self._is(i + 2, _TENS)
            ):
                return int(atoms[i + 2].value) + int(atom.value), i + 3
            return int(atom.value), i + 1
        if atom.kind == _TEEN:
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
            atoms[i].kind == _UNIT
            and atoms[i].value != 0
            and not atoms[i].pause
            and self._is(i + 1, _HUNDRED)
            and self._glue(i)
        ):
            head, j = int(atoms[i].value), i + 1
        if not self._is(j, _HUNDRED):
            return self._below_100(i)
        value, j = head * 100, j + 1
        if atoms[j - 1].pause:
            return value, j
        k = j + 1 if self._is(j, _AND) and not atoms[j].pause else j
        if k < len(atoms) and atoms[k].kind in (_UNIT, _TEEN, _TENS) and self._glue(j - 1):
            rest = self._below_100(k)
            if rest is not None and rest[0] > 0:
                return value + rest[0], rest[1]
        return value, j

    def items(self) -> list[list[_Item]]:
        """Numbers in the run, split where it cannot go on (a stray "og", a "+")."""
        atoms = self.atoms
        runs: list[list[_Item]] = [[]]
        i = 0
        while i < len(atoms):
            atom = atoms[i]
            if atom.kind == _DIGITS:
                runs[-1].append(
                    _Item(str(atom.value), False, atom.word, atom.word, False, atom.pause)
                )
                i += 1
            elif atom.kind == _PLUS:  # "+" only ever leads a number
                runs.append([_Item("", True, atom.word, atom.word, False)])
                i += 1
            elif atom.kind == _MULT and not atom.pause and self._is(i + 1, _UNIT):
                unit = atoms[i + 1]  # "double seven" -> 77
                digits = str(unit.value) * int(atom.value)
                runs[-1].append(_Item(digits, False, atom.word, unit.word, False, unit.pause))
                i += 2
            elif atom.kind != _MULT and (parsed := self._number(i)) is not None:
                value, j = parsed
                end = atoms[j - 1]
                weak = j == i + 1 and atom.weak
                runs[-1].append(_Item(str(value), False, atom.word, end.word, weak, end.pause))
                i = j
            else:  # an "og"/"and" that joins nothing: two numbers, not one
                runs.append([])
                i += 1
        return [run for run in runs if run]


def _parse_items(atoms: Sequence[_Atom], lex: _Lexicon) -> list[list[_Item]]:
    """Numbers in a run of atoms, read with every join ("tjue tre" = 23)."""
    return _Reader(atoms, lex).items()


def _readings(atoms: Sequence[_Atom], lex: _Lexicon) -> Iterator[list[list[_Item]]]:
    """Ways to read a run: first with every join, then with ever more of them undone."""
    first = _Reader(atoms, lex)
    yield first.items()
    points = list(dict.fromkeys(first.glued))
    count = 1
    for size in range(1, len(points) + 1):
        for split in combinations(points, size):
            if count >= MAX_READINGS:
                return
            count += 1
            yield _Reader(atoms, lex, frozenset(split)).items()


# --------------------------------------------------------------------------------------------
# Validators
# --------------------------------------------------------------------------------------------


@cache
def _region_prefix(region: str) -> tuple[str | None, str]:
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if meta is None:
        raise ValueError(f"unknown phone region {region!r}")
    return meta.national_prefix, str(meta.country_code)


def _phone(digits: str, plus: bool, region: str) -> str | None:
    """E.164 form of a valid phone number, else None."""
    if not 8 <= len(digits) <= 15:
        return None
    if plus:
        text, parse_region = "+" + digits, None
    else:
        trunk, country_code = _region_prefix(region)
        # Where national numbers start with a mandatory trunk "0" (SE, GB), a number without it
        # is most likely not a phone number, although phonenumbers accepts it.
        if trunk == "0" and not digits.startswith("0") and not digits.startswith(country_code):
            return None
        text, parse_region = digits, region
    try:
        number = phonenumbers.parse(text, parse_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _card_prefix_ok(digits: str) -> bool:
    """Whether a number has the issuer prefix and length of a payment card scheme."""
    n = len(digits)
    two, three, four = int(digits[:2]), int(digits[:3]), int(digits[:4])
    if digits[0] == "4":  # Visa
        return n in (13, 16, 19)
    if 51 <= two <= 55 or 2221 <= four <= 2720:  # Mastercard
        return n == 16
    if two in (34, 37):  # American Express
        return n == 15
    if four == 6011 or two in (62, 65) or 644 <= three <= 649:  # Discover, UnionPay
        return 16 <= n <= 19
    if 3528 <= four <= 3589:  # JCB
        return 16 <= n <= 19
    if 300 <= three <= 305 or two in (36, 38, 39):  # Diners
        return 14 <= n <= 19
    if two == 50 or 56 <= two <= 69:  # Maestro, Dankort (5019)
        return 13 <= n <= 19
    return False


def _card(digits: str) -> bool:
    return 13 <= len(digits) <= MAX_DIGITS and _card_prefix_ok(digits) and luhn.is_valid(digits)


# --------------------------------------------------------------------------------------------
# Context: cue words before a number, units after it
# --------------------------------------------------------------------------------------------

_CUE_ID, _CUE_PHONE, _CUE_OTHER = "id", "phone", "other"


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Numbers that are not personal data in our sense; checked first, since "ordrenummer" also
# contains "nummer".
_OTHER_PREFIXES = (
    "ordre", "order", "kunde", "kund", "customer", "faktura", "invoice", "sak", "ärende",
    "case", "ticket", "referan", "referen", "bestilling", "beställning", "booking", "post",
    "zip", "konto", "account", "medlem", "member", "sporing", "tracking", "serie", "serial",
    "artikkel", "artikel", "vare", "produkt", "product", "modell", "model", "pin", "kode", "kod",
    "code", "avtale", "avtal", "aftale", "agreement", "contract", "kontrakt", "forsikring",
    "polis", "policy", "lisens", "licens", "licence", "license",
)  # fmt: skip
# Words asking for a national ID; some name the country's ("CPR" is Danish). "Personnummer"
# is said in all three countries.
_ID_MARKERS = {
    "fødselsn": "no_fnr", "fødselsnr": "no_fnr", "fnr": "no_fnr", "d-nummer": "no_fnr",
    "cpr": "dk_cpr", "personn": "", "personnr": "", "personal": "", "födelsen": "",
    "identity": "", "ssn": "", "social": "", "national": "",
}  # fmt: skip
_PHONE_PREFIXES = (
    "telefon", "telephone", "tlf", "mobil", "ring", "call", "phone", "cell", "sms", "text",
    "kontakt", "contact", "reach",
)  # fmt: skip
_GENERIC_NUMBER = ("nummer", "number", "numret", "numm", "nr")
# Words written with a full stop that does not end the statement ("ordre nr. 4839").
_ABBREVIATIONS = frozenset({"nr", "no", "tlf", "tel", "ref", "ca", "kr", "bl.a", "f.eks", "e.g"})
# Words right after a number that make it an amount or a measure, not an identifier.
_UNIT_WORDS = _word_set(
    """kr kroner krone kronor krona kronen nok sek dkk eur euro euros dollar dollars usd pound
    pounds pund gbp øre öre cent cents prosent procent percent % million millioner miljoner
    millions mill mrd milliarder billion tusen tusind thousand kilo kg gram km meter mil
    kilometer minutter minuter minutes timer timmar hours sekunder sekunder seconds dager dage
    dagar days år years måneder månader months uker veckor weeks stk styk stykker"""
)
_CURRENCY_BEFORE = frozenset({"kr", "nok", "sek", "dkk", "eur", "usd", "gbp", "$", "£", "€"})


def _cue_of(text: str) -> str | None:
    if text.startswith(_OTHER_PREFIXES):
        return _CUE_OTHER
    for marker, kind in _ID_MARKERS.items():
        if text.startswith(marker):
            return f"{_CUE_ID}:{kind}" if kind else _CUE_ID
    if text.startswith(_PHONE_PREFIXES):
        return _CUE_PHONE
    return None


def _cue(words: Sequence[Word], first: int) -> str | None:
    """The nearest cue word before ``first`` saying what kind of number follows.

    The search stops at the end of a statement (a question may carry the cue: "Hva er
    fødselsnummeret ditt? Det er ..."). A bare "nummer"/"number" takes its kind from the word
    before it ("CPR nummer", "order number") and otherwise means a phone ("mitt nummer").
    """
    for index in range(first - 1, max(-1, first - 1 - CUE_WINDOW), -1):
        core, trail = _strip(words[index].word)
        text = core.lower()
        if any(c in ".!" for c in trail) and text not in _ABBREVIATIONS:
            return None
        if kind := _cue_of(text):
            if kind == _CUE_OTHER and _preposition_between(words, index, first):
                # "Is the account on 0770...", "send the invoice to 912...": the number is
                # what the account is on or where it goes, not the account's own number.
                return None
            return kind
        if text.startswith(_GENERIC_NUMBER):
            before = _strip(words[index - 1].word)[0].lower() if index > 0 else ""
            return _cue_of(before) or _CUE_PHONE
    return None


#: Words between an "order"/"account" cue and a number that make the number something else.
_PREPOSITIONS = _word_set("on to at via på til till via pr")


def _preposition_between(words: Sequence[Word], cue: int, first: int) -> bool:
    return any(_strip(words[i].word)[0].lower() in _PREPOSITIONS for i in range(cue + 1, first))


def _amount_around(words: Sequence[Word], first: int, last: int) -> bool:
    """Whether a currency or unit word sits right before or after the words first..last."""
    before = _strip(words[first - 1].word)[0].lower() if first > 0 else ""
    after = _strip(words[last + 1].word)[0].lower() if last + 1 < len(words) else ""
    return before in _CURRENCY_BEFORE or after in _UNIT_WORDS


# --------------------------------------------------------------------------------------------
# Digits -> kind
# --------------------------------------------------------------------------------------------

#: Order of preference when digits pass several validators: checksummed IDs and cards first.
_RANK = {"no_fnr": 0, "card": 0, "se_pnr": 1, "dk_cpr": 1, "phone": 2}
_WRITTEN_CPR = re.compile(r"\d{6}-\d{4}")
_YEAR = re.compile(r"(19|20)\d\d")


@dataclass(frozen=True)
class _Context:
    language: str
    region: str
    cue: str | None


def _classify(
    items: Sequence[_Item], ctx: _Context, words: Sequence[Word]
) -> tuple[str, str] | None:
    """(kind, normalized) for the digits of consecutive items, or None."""
    plus = items[0].plus
    digits = "".join(item.digits for item in items)
    if len(digits) > MAX_DIGITS:
        return None
    found: list[tuple[str, str]] = []
    if not plus:
        found.extend(_id_kinds(digits, items, ctx))
        if _card(digits):
            found.append(("card", digits))
    # Two or more years in a row ("2019, 2020") are a list of years, never a phone number.
    years = len(items) > 1 and all(_YEAR.fullmatch(item.raw) for item in items)
    if not years and (phone := _phone(digits, plus, ctx.region)):
        found.append(("phone", phone))
    if ctx.cue == _CUE_OTHER:  # "ordrenummer ...": only the strongest checksum survives
        found = [f for f in found if f[0] == "no_fnr"]
    if not found or _amount_around(words, items[0].first, items[-1].last):
        return None
    return min(found, key=lambda f: _preference(f[0], ctx))


def _id_kinds(digits: str, items: Sequence[_Item], ctx: _Context) -> list[tuple[str, str]]:
    found = []
    if len(digits) == 11 and fodselsnummer.is_valid(digits):
        found.append(("no_fnr", digits))
    if len(digits) in (10, 12) and personnummer.is_valid(digits):
        found.append(("se_pnr", digits))
    if len(digits) == 10 and cpr.is_valid(digits):
        # CPR numbers lost their mod-11 check in 2007 and python-stdnum only checks the date:
        # ten digits that start with a date are too common to call a CPR number without a
        # cue word, the written "DDMMYY-SSSS" shape, or (in a Danish call) the old checksum.
        written = len(items) == 1 and _WRITTEN_CPR.fullmatch(items[0].raw)
        old_checksum = ctx.language == "da" and cpr.checksum(digits) == 0
        if old_checksum or _asks_id(ctx.cue) or written:
            found.append(("dk_cpr", digits))
    return found


_HOME = {"no_fnr": ("nb", "nn", "no"), "se_pnr": ("sv",), "dk_cpr": ("da",)}


def _asks_id(cue: str | None) -> bool:
    return cue is not None and cue.startswith(_CUE_ID)


def _cue_miss(kind: str, cue: str | None) -> int:
    """1 where a kind is not what the cue word asked for."""
    if cue == _CUE_PHONE:
        return int(kind != "phone")
    if _asks_id(cue):
        named = cue.partition(":")[2]  # type: ignore[union-attr]
        return int(kind not in _HOME or (named != "" and kind != named))
    return 0


def _foreign(kind: str, language: str) -> int:
    """1 for another country's ID where the call's language has its own ("dk_cpr" in "nb")."""
    has_own = any(language in langs for langs in _HOME.values())
    return int(has_own and kind in _HOME and language not in _HOME[kind])


def _preference(kind: str, ctx: _Context) -> tuple[int, int, int]:
    """Sort key among kinds the same digits pass: what the cue word asks for, then checksum
    strength, then the ID of the call's own country."""
    return _cue_miss(kind, ctx.cue), _RANK[kind], _foreign(kind, ctx.language)


# --------------------------------------------------------------------------------------------
# Runs -> spans
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    kind: str
    first: int
    last: int
    normalized: str


def _partition(
    items: Sequence[_Item], classify: Callable[[Sequence[_Item]], tuple[str, str] | None]
) -> list[_Found]:
    """Cover the items entirely with as few valid numbers as possible, or find nothing.

    A phone number cut out of a longer digit string is far more often part of an order or
    account number than a real phone number, so leftovers are not allowed, except one weak
    word ("en", "one", "oh") at either end.
    """
    n = len(items)
    valid: dict[tuple[int, int], tuple[str, str]] = {}
    for i in range(n):
        for j in range(i, n):
            if j > i and items[j].plus:
                break
            width = sum(len(item.digits) for item in items[i : j + 1])
            if width > MAX_DIGITS:
                break
            if width >= 8 and (kind := classify(items[i : j + 1])):
                valid[(i, j)] = kind
    if not valid:
        return []
    # A leading "en"/"oh" is an article or an interjection only before a pause or written
    # digits ("Oh, 07400 123456"); next to more number words it is one of the number's digits.
    shed_first = items[0].weak and n > 1 and (items[0].pause or items[1].raw != "")
    # Likewise at the end: "91234567 en gang til", "..., 67, one more time".
    shed_last = items[-1].weak and n > 1 and (items[-2].pause or items[-2].raw != "")
    starts = [0, 1] if shed_first else [0]
    ends = [n, n - 1] if shed_last else [n]
    for start, end in sorted(((s, e) for s in starts for e in ends), key=lambda p: p[0] - p[1]):
        if start < end and (cover := _cover(valid, items, start, end)):
            return [
                _Found(kind, items[i].first, items[j].last, norm) for (i, j), (kind, norm) in cover
            ]
    return []


def _cover(
    valid: dict[tuple[int, int], tuple[str, str]], items: Sequence[_Item], start: int, end: int
) -> list[tuple[tuple[int, int], tuple[str, str]]] | None:
    """Fewest valid stretches that exactly cover items start..end-1 (dynamic programming).

    Two numbers may meet only at a pause (a comma): without one, "55734807 45889171" read
    out in one breath is one long number, not two phone numbers.
    """
    best: dict[int, list[tuple[tuple[int, int], tuple[str, str]]]] = {start: []}
    for j in range(start, end):
        options = [
            best[i] + [((i, j), valid[(i, j)])]
            for i in range(start, j + 1)
            if i in best and (i, j) in valid and (i == start or items[i - 1].pause)
        ]
        if options:
            best[j + 1] = min(options, key=len)
    return best.get(end)


def _number_runs(words: Sequence[Word], lex: _Lexicon) -> list[list[_Atom]]:
    """Maximal stretches of consecutive number words, ended by other words, a full stop or a
    long pause."""
    runs: list[list[_Atom]] = []
    current: list[_Atom] = []
    last_end: float | None = None
    for index, word in enumerate(words):
        token = _tokenize(word.word, index, lex)
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


def _with_raw(items: list[_Item], words: Sequence[Word]) -> list[_Item]:
    """Remember the written form of single-word digit items (for years and CPR shapes)."""
    out = []
    for item in items:
        raw = _strip(words[item.first].word)[0] if item.first == item.last else ""
        out.append(
            _Item(item.digits, item.plus, item.first, item.last, item.weak, item.pause, raw)
            if raw[:1].isdigit()
            else item
        )
    return out


def _numbers(words: Sequence[Word], language: str, region: str) -> list[_Found]:
    lex = _LEXICONS[language]
    found: list[_Found] = []
    for atoms in _number_runs(words, lex):
        best: list[_Found] = []
        best_score: tuple[int, ...] = (0,)
        memo: dict[tuple[object, ...], tuple[str, str] | None] = {}  # readings share stretches
        for reading in _readings(atoms, lex):
            result, misfit = _read(reading, words, language, region, memo)
            # Most words explained wins; then the better fit to cue words, checksum and the
            # call's country ("tolv null fire, nitti to ..." in Norwegian is a fødselsnummer
            # before it is a CPR number); ties keep the earlier, more joined reading.
            score = (sum(f.last - f.first + 1 for f in result), *(-m for m in misfit))
            if result and score > best_score:
                best, best_score = result, score
        found.extend(best)
    return found


def _read(
    reading: list[list[_Item]],
    words: Sequence[Word],
    language: str,
    region: str,
    memo: dict[tuple[object, ...], tuple[str, str] | None],
) -> tuple[list[_Found], tuple[int, int]]:
    """Personal numbers in one reading of a run, and how badly their kinds fit: summed cue
    misses, summed foreign IDs."""
    found: list[_Found] = []
    misfit = (0, 0)
    for items in reading:
        items = _with_raw(items, words)
        ctx = _Context(language, region, _cue(words, items[0].first))

        def classify(part: Sequence[_Item], ctx: _Context = ctx) -> tuple[str, str] | None:
            key = (ctx, *part)
            if key not in memo:
                memo[key] = _classify(part, ctx, words)
            return memo[key]

        part = _partition(items, classify)
        for f in part:
            misfit = (
                misfit[0] + _cue_miss(f.kind, ctx.cue),
                misfit[1] + _foreign(f.kind, language),
            )
        found.extend(part)
    return found, misfit


# --------------------------------------------------------------------------------------------
# E-mail addresses
# --------------------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"[a-z0-9æøåäö](?:[a-z0-9æøåäö._%+-]*[a-z0-9æøåäö])?@(?:[a-z0-9æøåäö-]+\.)+([a-z]{2,})"
)
_TLDS = _word_set(
    """no se dk com net org nu io eu fi de uk is info biz co me app dev ai tech online email
    gov edu"""
)
_NAME = re.compile(r"[a-z0-9æøåäö](?:[a-z0-9æøåäö._-]*[a-z0-9æøåäö])?")
_JOIN_WORDS = {
    "understrek": "_", "underscore": "_", "understreck": "_", "understregning": "_",
    "bindestrek": "-", "bindestreg": "-", "bindestreck": "-", "dash": "-", "hyphen": "-",
    "streck": "-",
}  # fmt: skip
# Words that are never the local part of an address: "look at google dot com" is no address.
_NOT_LOCAL = _word_set(
    """i me you we us he him she her it they them this that there here is are was were be been
    look looking looked go went see seen shop shopping buy bought sign signed log logged find
    found visit check available online home work site website page up in on out all just now
    only again back and or but so to from email mail send sent write wrote reach contact
    jeg meg du deg vi oss han ham hun henne de dem det den er var til på og eller"""
)


def _email_word(words: Sequence[Word], index: int) -> tuple[str, bool]:
    """(lower-case core, ends a sentence) of a word."""
    core, trail = _strip(words[index].word)
    return core.lower(), any(c in _STOP_PUNCT for c in trail)


def _separator(text: str, lex: _Lexicon) -> str | None:
    if text in lex.dot_words:
        return "."
    return _JOIN_WORDS.get(text)


def _local_part(words: Sequence[Word], at: int, lex: _Lexicon) -> tuple[int, str] | None:
    """The address part before an "@" word, read leftwards: (first word, text)."""

    def name(index: int) -> str | None:
        text, stop = _email_word(words, index)
        ok = not stop and _NAME.fullmatch(text) and text not in _NOT_LOCAL
        return text if ok else None

    if at < 1 or (last := name(at - 1)) is None:
        return None
    parts, i = [last], at - 1
    # "ola punktum nordmann": name (separator name)*, each separator a word of its own.
    while i >= 2:
        sep = _separator(_email_word(words, i - 1)[0], lex)
        before = name(i - 2)
        if sep is None or before is None:
            break
        parts[:0] = [before, sep]
        i -= 2
    return i, "".join(parts)


def _domain(words: Sequence[Word], at: int, lex: _Lexicon) -> tuple[int, str] | None:
    """The longest domain after an "@" word ending in a known top-level domain."""
    text, best = "", None
    i = at + 1
    while i < len(words):
        label, stop = _email_word(words, i)
        if not _NAME.fullmatch(label):
            break
        text += label
        if "." in text and text.rsplit(".", 1)[1] in _TLDS:
            best = (i, text)
        if stop or i + 2 >= len(words):
            break
        sep = _separator(_email_word(words, i + 1)[0], lex)
        if sep is None or _email_word(words, i + 1)[1]:
            break
        text += sep
        i += 2
    return best


def _emails(words: Sequence[Word], language: str) -> list[_Found]:
    lex = _LEXICONS[language]
    found: list[_Found] = []
    for index in range(len(words)):
        text, _ = _email_word(words, index)
        if "@" in text and text != "@":
            if (match := _EMAIL.fullmatch(text)) and match.group(1) in _TLDS:
                found.append(_Found("email", index, index, text))
            continue
        if text not in lex.at_words:
            continue
        local, domain = _local_part(words, index, lex), _domain(words, index, lex)
        if local is None or domain is None:
            continue
        address = f"{local[1]}@{domain[1]}"
        if (match := _EMAIL.fullmatch(address)) and match.group(1) in _TLDS:
            found.append(_Found("email", local[0], domain[0], address))
    return found


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NumberRun:
    """Digits read out of consecutive words: "+4791234567" from "pluss førtisju 91 23 45 67"."""

    digits: str  # with a leading "+" where the number was said with one
    first_word: int
    last_word: int


def _lexicon_for(language: str) -> _Lexicon:
    if language not in _LEXICONS:
        raise ValueError(f"unsupported language {language!r}; use one of {sorted(_LEXICONS)}")
    return _LEXICONS[language]


def number_runs(words: Sequence[Word | str], language: str) -> list[NumberRun]:
    """Every run of numbers in the words, each as one digit string with its word range.

    Number words are read with every join taken ("tjue tre" = 23, "ni hundre og tolv" = 912);
    a run ends at any other word, a full stop, a pause over three seconds, a stray "og"/"and"
    or a "+" (which starts the next run). Dates, times and amounts written with separators
    ("21.10.1985", "14.30", "1.299") are not numbers here.
    """
    lex = _lexicon_for(language)
    timed = [w if isinstance(w, Word) else Word(w, 0.0, 0.0, 1.0, 0) for w in words]
    runs = []
    for atoms in _number_runs(timed, lex):
        for items in _parse_items(atoms, lex):
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
    _lexicon_for(language)
    region = (default_region or PHONE_REGION.get(language, "NO")).upper()
    _region_prefix(region)  # fail early on an unknown region
    spans: list[_Found] = []
    taken: set[int] = set()
    # E-mail addresses first: their words are never also read as numbers.
    for found in [*_emails(words, language), *_numbers(words, language, region)]:
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
        trail = _strip(words[span.last_word].word)[1].lstrip(_TRAILING_QUOTES)
        out.append(mask.format(kind=span.kind) + trail)
        index = span.last_word + 1
    return " ".join(out)
