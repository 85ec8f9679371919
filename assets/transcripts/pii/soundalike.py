"""Sound keys for words Whisper misheard: does a word sound like a number word?

``fold`` maps a word to a rough sound key (vowels and ``j`` to one class; ``sj``, ``tj``,
``kj``, ``sh`` to ``s``; voiced stops to voiceless; doubled letters and ``h`` dropped). A word
sounds like a number when its key is within edit distance 0 of a folded number word (or
tens+unit, unit+og+tens, unit+hundred compound, or a tens word as it is said:
``SPOKEN_TENS``) for keys of up to two letters, 1 up to six, 2 beyond, with the same first
sound; from ``FIRST_SOUND_MIN`` letters the first consonant may be lost, changed or added
when the rest is one edit closer; or when it is two such parts run together, each one edit
closer ("nolfem").
"""

from __future__ import annotations

import re
from functools import cache

from assets.transcripts.pii import cues
from assets.transcripts.pii.lexicon import AND, HUNDRED, TENS, UNIT, lexicon_for
from assets.transcripts.pii.tokens import NUM, strip, tokenize

#: Folded length from which a sound-alike may lose or change its first consonant.
FIRST_SOUND_MIN = 5


#: Common short words that fold onto a number word ("de", "du" -> "to"; "nå", "noe" -> "ni";
#: "se", "så" -> "sju"); only the exact number word counts for these.
NOT_NUMBERS = frozenset((
    "de", "da", "du", "dem", "den", "det", "der", "dei", "ta", "te", "til", "ti", "nå", "no",
    "noe", "nei", "ny", "nu", "ned", "se", "sa", "så", "si", "seg", "sig", "sin", "sen", "ser",
    "set", "var", "vi", "er", "ar", "at", "att", "i", "a", "å", "og", "och", "på", "pa", "om",
    "jo", "ja", "fra", "for", "før",
))  # fmt: skip

_VOWELS = re.compile(r"[aeiouyæøåäöüéèêáàóòôíìúù]+")
_FOLDS = (
    ("skj", "s"), ("sch", "s"), ("sj", "s"), ("tj", "s"), ("kj", "s"), ("sh", "s"), ("ch", "s"),
    ("ph", "f"), ("x", "ks"), ("c", "k"), ("q", "k"), ("w", "v"), ("z", "s"), ("d", "t"),
    ("b", "p"), ("g", "k"), ("h", ""),
)  # fmt: skip


def fold(word: str) -> str:
    """A rough sound key: "fyrer" -> "farar", "fire" -> "fara", "nøl" -> "nal"."""
    text = re.sub(r"[^a-zæøåäöüéèêáàóòôíìúù]", "", word.lower())
    for a, b in _FOLDS:
        text = text.replace(a, b)
    text = _VOWELS.sub("a", text.replace("j", "a"))  # "fjr", "fjørre": j is a glide
    return re.sub(r"(.)\1+", r"\1", text)


def distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or ``limit + 1`` once it is certain to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


#: How the tens are said where speech drops letters the spelling keeps (Danish "halvfjerds"
#: is said "halfjers", "halvtreds" "haltres"; Swedish "fyrtio" "förti", "sjuttio" "sjutti").
#: From the languages' pronunciation, not from any transcript; used only as sound keys.
SPOKEN_TENS = {
    "da": ("halfjers", "haltres", "halfems", "fiers", "tres", "føre", "tyve", "treve"),
    "sv": ("tjugi", "tretti", "förti", "femti", "sexti", "sjutti", "åtti", "nitti"),
    "nb": ("kjue", "førti", "sytti"),
    "nn": ("kjue", "førti", "sytti"),
}


@cache
def _number_keys(language: str) -> frozenset[str]:
    """Folded forms of the language's number words, of how its tens are said
    (``SPOKEN_TENS``), and of tens+unit and unit+hundred compounds ("femtifire",
    "nihundre")."""
    lex = lexicon_for(language)
    units = [w for w, (kind, _) in lex.words.items() if kind == UNIT]
    tens = [w for w, (kind, _) in lex.words.items() if kind == TENS]
    tens += list(SPOKEN_TENS.get(language, ()))
    hundreds = [w for w, (kind, _) in lex.words.items() if kind == HUNDRED]
    words = [w for w, (kind, _) in lex.words.items() if kind != AND]
    words += [t + u for t in tens for u in units] + [u + h for u in units for h in hundreds]
    # "femogfirs" is said "femofirs": the joiner's g is silent.
    joined = ("og", "o") if lex.unit_and_tens else ()
    words += [u + j + t for u in units for t in tens for j in joined]
    return frozenset(fold(w) for w in words)


def allowed_edits(length: int) -> int:
    return 0 if length <= 2 else 1 if length <= 6 else 2


@cache
def sounds_like_number(word: str, language: str) -> bool:
    """Whether ``word`` is a number word or folds close to one (see the module docstring)."""
    core = strip(word)[0].lower().strip("-.,")
    if not core:
        return False
    if any(c.isdigit() for c in core):
        return True
    tok = tokenize(word, 0, language)
    if tok.kind == NUM and any(a.kind != AND for a in tok.atoms):
        return True
    if core in NOT_NUMBERS or cues.positive_kind(word) is not None:
        return False  # "nummeret" folds close to "nitten": a cue is never a number
    key = fold(core)
    if len(key) < 2:
        return False
    # Two numbers run together ("nolfem") count too.
    return _near_number(key, language) or any(
        _near_number(key[:cut], language, 1) and _near_number(key[cut:], language, 1)
        for cut in range(3, len(key) - 2)
    )


@cache
def _near_number(key: str, language: str, stricter: int = 0) -> bool:
    """A folded word within the allowed distance (less ``stricter``: the parts of a run-together
    word) of a folded number word. A misheard number keeps its first sound ("fyrer", "nøl",
    "shoe"): only keys that start alike are compared."""
    limit = max(0, allowed_edits(len(key)) - stricter)
    keys = _number_keys(language)
    if any(k[0] == key[0] and distance(key, k, limit) <= limit for k in keys):
        return True
    # Whisper loses, swaps or adds the first consonant of a long word ("Uiseks", "Viseks"
    # for "tjueseks", "målfærds" for "halvfjerds"): then the rest must match one edit closer.
    if len(key) < FIRST_SOUND_MIN or stricter:
        return False
    rest = limit - 1
    near = [k for k in _long_keys(language) if abs(len(k) - len(key)) <= rest + 1]
    return any(
        min(distance(key, k[1:], rest), distance(key[1:], k[1:], rest),
            distance(key[1:], k, rest)) <= rest
        for k in near
    )  # fmt: skip


@cache
def _long_keys(language: str) -> tuple[str, ...]:
    return tuple(k for k in _number_keys(language) if len(k) >= FIRST_SOUND_MIN)
