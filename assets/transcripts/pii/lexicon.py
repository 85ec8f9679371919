"""Number words per language: what each word is worth and how words join into numbers."""

from __future__ import annotations

from dataclasses import dataclass

UNIT, TEEN, TENS, HUNDRED, AND, MULT = "unit", "teen", "tens", "hundred", "and", "mult"


@dataclass(frozen=True)
class Lexicon:
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
) -> Lexicon:
    words = {
        **_entries(UNIT, units),
        **_entries(TEEN, teens),
        **_entries(TENS, tens),
        **extra,
    }
    return Lexicon(
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
        "hundre": (HUNDRED, 100),
        "hundred": (HUNDRED, 100),
        "og": (AND, 0),
        "dobbel": (MULT, 2),
        "dobbelt": (MULT, 2),
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
        "hundrede": (HUNDRED, 100),
        "hundred": (HUNDRED, 100),
        "og": (AND, 0),
        "dobbelt": (MULT, 2),
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
        "hundra": (HUNDRED, 100),
        "och": (AND, 0),
        "dubbel": (MULT, 2),
        "dubbla": (MULT, 2),
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
        "hundred": (HUNDRED, 100),
        "and": (AND, 0),
        "double": (MULT, 2),
        "triple": (MULT, 3),
    },
    unit_and_tens=False,
    weak={"one", "oh", "o"},
    at_words={"at", "@"},
    dot_words={"dot", "."},
)
LEXICONS = {"nb": _NB, "nn": _NB, "no": _NB, "da": _DA, "sv": _SV, "en": _EN}

#: Hesitations inside a number read aloud ("ni en, eh, to tre"): skipped, they neither add digits
#: nor end the number.
FILLERS = frozenset({"eh", "ehm", "øh", "øhm", "uh", "uhm", "um", "umm", "hm", "hmm", "mm", "öh"})
#: Dashes said aloud inside an ID ("åttioåtta noll tre tjugo streck noll noll sexton"): like
#: fillers, plus a boundary where two numbers may meet.
SPOKEN_DASHES = frozenset(
    {"strek", "bindestrek", "streck", "bindestreck", "streg", "bindestreg", "dash", "hyphen"}
)


def lexicon_for(language: str) -> Lexicon:
    if language not in LEXICONS:
        raise ValueError(f"unsupported language {language!r}; use one of {sorted(LEXICONS)}")
    return LEXICONS[language]
