"""Number words of the five transcript languages, and the small words around dictated numbers.

Each language maps a lower-case word to an atom ``(kind, value)``: a unit (0-9), a teen
(10-19), a tens word (20-90), "hundred", a multiplier ("double", "dobbel") or the joiner
("og", "and"). Compound words ("sekstisju", "femogtyve", "tjugotre") are split by
:func:`split_compound`; hyphenated ones ("fire-en-to", "twenty-two") by the tokenizer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

UNIT, TEEN, TENS, HUNDRED, AND, MULT = "unit", "teen", "tens", "hundred", "and", "mult"


@dataclass(frozen=True)
class Lexicon:
    words: dict[str, tuple[str, int]]
    #: "to og tjue", "femogtyve": a unit joined to the following tens by "og".
    unit_and_tens: bool
    #: "tjue tre", "twenty three": tens then a unit is one number (never in Danish).
    tens_unit: bool
    #: Number words that are also articles/interjections ("en", "one", "oh").
    weak: frozenset[str]


def _table(text: str, start: int = 0, step: int = 1) -> dict[str, int]:
    """'null|nul en|én ...' -> {word: value}; '|' separates spellings of one value."""
    out: dict[str, int] = {}
    for i, spellings in enumerate(text.split()):
        for word in spellings.split("|"):
            out[word] = start + i * step
    return out


def _lexicon(units, teens, tens, extra, *, unit_and_tens, tens_unit=True, weak) -> Lexicon:
    words = {w: (UNIT, v) for w, v in _table(units).items()}
    words |= {w: (TEEN, v) for w, v in _table(teens, 10).items()}
    words |= {w: (TENS, v) for w, v in _table(tens, 20, 10).items()}
    words |= extra
    return Lexicon(words, unit_and_tens, tens_unit, frozenset(weak.split()))


_NB = _lexicon(
    "null en|én|ein|eitt|ett|ei to tre fire fem seks sju|syv åtte ni",
    "ti elleve|elve tolv tretten fjorten femten seksten sytten|søtten atten nitten",
    "tjue|tjuge|tyve tretti|tredve førti|fyrti femti seksti sytti|søtti åtti nitti",
    {"hundre": (HUNDRED, 100), "hundred": (HUNDRED, 100), "og": (AND, 0),
     "dobbel": (MULT, 2), "dobbelt": (MULT, 2), "dobbelte": (MULT, 2),
     "trippel": (MULT, 3)},
    unit_and_tens=True,
    weak="en én ein ei eitt ett",
)  # fmt: skip
_DA = _lexicon(
    "nul en|én|et|ét to tre fire fem seks syv otte ni",
    "ti elleve tolv tretten fjorten femten seksten sytten atten nitten",
    "tyve tredive|tredve fyrre|fyrretyve halvtreds|halvtredsindstyve tres|tresindstyve "
    "halvfjerds|halvfjerdsindstyve firs|firsindstyve halvfems|halvfemsindstyve",
    {"hundrede": (HUNDRED, 100), "hundred": (HUNDRED, 100), "og": (AND, 0),
     "dobbelt": (MULT, 2), "dobbel": (MULT, 2)},
    unit_and_tens=True,
    tens_unit=False,
    weak="en én et ét",
)  # fmt: skip
_SV = _lexicon(
    "noll en|ett två tre fyra fem sex sju åtta nio|nie",
    "tio|tie elva tolv tretton fjorton femton sexton sjutton arton|aderton nitton",
    "tjugo|tjugu|tjugi|tju trettio|tretti fyrtio|fyrti|förti femtio|femti sextio|sexti "
    "sjuttio|sjutti åttio|åtti nittio|nitti",
    {"hundra": (HUNDRED, 100), "och": (AND, 0), "dubbel": (MULT, 2), "dubbla": (MULT, 2),
     "dubbelt": (MULT, 2)},
    unit_and_tens=False,
    weak="en ett",
)  # fmt: skip
_EN = _lexicon(
    "zero|oh|o|nought|nil one two three four five six seven eight nine",
    "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen",
    "twenty thirty forty|fourty fifty sixty seventy eighty ninety",
    {"hundred": (HUNDRED, 100), "and": (AND, 0), "double": (MULT, 2), "triple": (MULT, 3)},
    unit_and_tens=False,
    weak="one oh o",
)  # fmt: skip

#: Whisper, forced to one Nordic language, often writes a digit in a neighbour's spelling
#: ("null" in Swedish, "sex" in Norwegian, "otte"/"åtta"): every Nordic lexicon also reads
#: the others' unit words (0-9), and the common ASR misspellings below.
_NORDIC_UNITS = {
    "null": 0, "nul": 0, "noll": 0, "nyl": 0, "nol": 0, "ett": 1, "to": 2, "två": 2, "tvo": 2,
    "tre": 3, "fire": 4, "fira": 4, "fyra": 4, "fem": 5, "seks": 6, "sex": 6, "sju": 7,
    "syv": 7, "sjux": 7, "åtte": 8, "åtta": 8, "otte": 8, "otta": 8, "otto": 8, "ni": 9,
    "nio": 9, "niu": 9,
}  # fmt: skip
for _lex in (_NB, _DA, _SV):
    for _word, _value in _NORDIC_UNITS.items():
        _lex.words.setdefault(_word, (UNIT, _value))

LEXICONS = {"nb": _NB, "nn": _NB, "no": _NB, "da": _DA, "sv": _SV, "en": _EN}


def lexicon_for(language: str) -> Lexicon:
    if language not in LEXICONS:
        raise ValueError(f"unsupported language {language!r}; use one of {sorted(LEXICONS)}")
    return LEXICONS[language]


@cache
def split_compound(text: str, language: str) -> tuple[tuple[str, int], ...] | None:
    """Number words written as one ("femogtyve", "sekstisju", "tjugotre") -> atoms, or None."""
    lex = LEXICONS[language]
    if text in lex.words:
        return (lex.words[text],)
    for cut in range(len(text) - 1, 1, -1):  # longest head first: "fyrretyve" before "fyrre"
        head = lex.words.get(text[:cut])
        if head is None or (head[0] == AND and cut == len(text)):
            continue
        rest = split_compound(text[cut:], language)
        if rest is not None and len(rest) < 5:
            return (head, *rest)
    return None


#: Hesitations inside a dictated number: skipped, a pause.
FILLERS = frozenset(
    [
        "eh",
        "ehm",
        "øh",
        "øhm",
        "uh",
        "uhm",
        "um",
        "umm",
        "hm",
        "hmm",
        "mm",
        "öh",
        "äh",
        "ähm",
        "mhm",
    ]
)
#: Dashes said aloud inside an ID number ("880320 streck 0016").
SPOKEN_DASHES = frozenset(
    [
        "strek",
        "bindestrek",
        "streck",
        "bindestreck",
        "streg",
        "bindestreg",
        "dash",
        "hyphen",
        "minus",
    ]
)
#: Words that may sit between two pieces of one number dictated over several turns
#: ("1734, 1256, and 7299, and the last one, 1778"); they join pieces but are not redacted.
BRIDGES = frozenset(
    [
        "and",
        "then",
        "the",
        "last",
        "one",
        "ok",
        "okay",
        "yes",
        "yeah",
        "right",
        "so",
        "next",
        "after",
        "that",
        "og",
        "så",
        "da",
        "ja",
        "jo",
        "siste",
        "sista",
        "sidste",
        "den",
        "det",
        "och",
        "sen",
        "sedan",
        "sedan",
        "okej",
    ]
)
#: "Plus" said before a country code.
PLUS_WORDS = frozenset({"+", "pluss", "plus"})
#: Words of a larger number: a run that holds one is an amount, not an identifier.
BIG_NUMBER_WORDS = frozenset(
    [
        "thousand",
        "thousands",
        "million",
        "millions",
        "billion",
        "tusen",
        "tusind",
        "tusende",
        "tusen",
        "tusentals",
        "million",
        "millioner",
        "miljon",
        "miljoner",
        "milliard",
        "milliarder",
        "miljard",
        "miljarder",
        "mill",
        "mrd",
    ]
)
