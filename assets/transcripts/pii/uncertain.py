"""Rule 7, ``uncertain``: where the transcript cannot be trusted, it is not left readable.

Whisper turns some dictated numbers into words that are not numbers ("fyrer sex nøl",
"otter", "Nihynre og femtivere") or into loops ("nålfier, nålfier, ..."); the number rules
cannot read them, yet the audio holds the number. The safe error is to redact and mute such
stretches, under their own kind ``uncertain`` so the output says why. Four signals, all from
the engine's own output:

* **Loops**: a Whisper segment with at least ``LOOP_MIN_WORDS`` words other than written
  numbers, in which the most frequent of them with at least ``LOOP_WORD_MIN_LETTERS`` letters
  (punctuation and case aside) makes up ``LOOP_SHARE`` or more, or (from
  ``LOOP_COMPRESSION_MIN_WORDS`` such words) whose text compresses by a ratio of
  ``LOOP_COMPRESSION`` or more (Whisper's own hallucination test, zlib over the text), is
  redacted whole. Digits said over and over ("null null null") are a number, not a loop.
* **Garbled numbers**: a stretch of at least ``MIN_NUMBERISH`` number-like words (articles
  like "en" aside; ``MIN_NUMBERISH_CUED`` after a cue word or a sound-alike of one in the
  ``CUE_REACH`` words before), at most ``MAX_GAP`` other words apart (word pieces like "U"
  or "-O" aside), where number-like words are at least ``MIN_SHARE`` of the stretch and
  Whisper was unsure (mean word probability below ``MAX_MEAN_PROB``) or wrote a sound-alike.
  A sentence end closes a stretch unless number-like words follow it at once; a stretch
  followed by a unit or currency word ("... seks i tre kroner") is an amount and stays. The
  stretch widens by up to ``EDGE_WORDS`` words of probability below ``EDGE_PROB`` either side
  within its sentence: Whisper garbles a number's edges worst. Number-like: digits, a number
  word, or a word Whisper was unsure of (probability below ``FUZZY_PROB``; right between two
  number-like words any) that sounds like one after phonetic folding (``fold``: vowels and
  ``j`` to one class; ``sj``, ``tj``, ``kj``, ``sh`` to ``s``; voiced stops to voiceless;
  doubled letters and ``h`` dropped): within edit distance 0 of a folded number word (or
  tens+unit, unit+hundred compound) for folded words of up to two letters, 1 up to six, 2
  beyond, with the same first sound, or two parts run together, each one edit closer
  ("nolfem"). Only Nordic transcripts (nb, nn, da, sv) are read this way: English number
  words fold onto too many common words, and the English rules already hear the digits.
* **Garbled addresses**: a word that holds something sounding like a spoken address separator
  ("prinktym", "kralralfa", "snabbelæg", "Fugetadpunkt"; same folding and distances, on any
  part of the word) is redacted with up to ``ADDRESS_REACH`` words either side in its sentence
  (Nordic transcripts only).
* **Shattered speech**: a run of at least ``FRAGMENT_MIN`` word pieces (a leading apostrophe
  or dash, "'fir 'a 'n", "-m -nul -sjuh", or two letters at most) with mean probability below
  ``MAX_MEAN_PROB``, widened as above (Nordic transcripts only).

Tuned on the spoken benchmark's seed 1; the figures are in ``benchmarks/README.md``.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Sequence
from functools import cache

from assets.transcripts.pii import cues
from assets.transcripts.pii.lexicon import AND, HUNDRED, TENS, UNIT, lexicon_for
from assets.transcripts.pii.tokens import NUM, strip, tokenize

UNCERTAIN = "uncertain"
LOOP_MIN_WORDS = 8
LOOP_SHARE = 0.4
LOOP_COMPRESSION = 2.4
LOOP_COMPRESSION_MIN_WORDS = 20
LOOP_WORD_MIN_LETTERS = 3
MIN_NUMBERISH = 4
#: With a positive cue word (or one that sounds like one) in the ``CUE_REACH`` words before.
MIN_NUMBERISH_CUED = 3
CUE_REACH = 6
ADDRESS_REACH = 4
EDGE_WORDS = 3
FRAGMENT_MIN = 5
EDGE_PROB = 0.6
MAX_GAP = 2
MIN_SHARE = 0.5
MAX_MEAN_PROB = 0.75
FUZZY_PROB = 0.7
#: Languages read for garbled numbers.
FUZZY_LANGUAGES = frozenset({"nb", "nn", "da", "sv"})

#: Common short words that fold onto a number word ("de", "du" -> "to"; "nå", "noe" -> "ni";
#: "se", "så" -> "sju"); only the exact number word counts for these.
_NOT_NUMBERS = frozenset((
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


def _distance(a: str, b: str, limit: int) -> int:
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


@cache
def _number_keys(language: str) -> frozenset[str]:
    """Folded forms of the language's number words and of tens+unit and unit+hundred
    compounds ("femtifire", "nihundre")."""
    lex = lexicon_for(language)
    units = [w for w, (kind, _) in lex.words.items() if kind == UNIT]
    tens = [w for w, (kind, _) in lex.words.items() if kind == TENS]
    hundreds = [w for w, (kind, _) in lex.words.items() if kind == HUNDRED]
    words = [w for w, (kind, _) in lex.words.items() if kind != AND]
    words += [t + u for t in tens for u in units] + [u + h for u in units for h in hundreds]
    words += [u + "og" + t for u in units for t in tens] if lex.unit_and_tens else []
    return frozenset(fold(w) for w in words)


def _allowed(length: int) -> int:
    return 0 if length <= 2 else 1 if length <= 6 else 2


def _number_like(word, language: str) -> bool:
    """Digits or a number word, or a sound-alike Whisper was unsure of (probability below
    ``FUZZY_PROB``): a confident "firma" or "takk" is what was said."""
    if _plain_number(word.word, language):
        return True
    return _probability(word) < FUZZY_PROB and sounds_like_number(word.word, language)


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
    if core in _NOT_NUMBERS or cues.positive_kind(word) is not None:
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
    limit = max(0, _allowed(len(key)) - stricter)
    return any(k[0] == key[0] and _distance(key, k, limit) <= limit for k in _number_keys(language))


def _probability(word) -> float:
    return float(getattr(word, "probability", 1.0))


def _looping(texts: Sequence[str], language: str) -> bool:
    """Whether the words, other than numbers as written, repeat like a decoding loop: digits
    said over and over ("null null null") are a number, not a loop."""
    cores = [
        strip(t)[0].lower()
        for t in texts
        if not _plain_number(t, language) and tokenize(t, 0, language).kind != NUM  # "og"
    ]
    if len(cores) < LOOP_MIN_WORDS:
        return False
    # Short function words repeat in any speech ("at", "og"); a loop repeats a content word.
    counts = Counter(c for c in cores if len(c) >= LOOP_WORD_MIN_LETTERS)
    top = counts.most_common(1)[0][1] if counts else 0
    text = " ".join(cores).encode()
    ratio = len(text) / max(1, len(zlib.compress(text)))
    long_enough = len(cores) >= LOOP_COMPRESSION_MIN_WORDS  # zlib's overhead hides short loops
    return top / len(cores) >= LOOP_SHARE or (long_enough and ratio >= LOOP_COMPRESSION)


def loop_segments(words: Sequence, language: str) -> list[tuple[int, int]]:
    """(first, last) word of every looping segment."""
    out: list[tuple[int, int]] = []
    first = 0
    for i in range(1, len(words) + 1):
        if i == len(words) or getattr(words[i], "segment_index", 0) != getattr(
            words[first], "segment_index", 0
        ):
            if _looping([w.word for w in words[first:i]], language):
                out.append((first, i - 1))
            first = i
    return out


def garbled_numbers(words: Sequence, language: str, taken: set[int]) -> list[tuple[int, int]]:
    """(first, last) word of every stretch of garbled or unsure number-like words that the
    other rules left (some of) unredacted."""
    if language not in FUZZY_LANGUAGES:
        return []
    texts = [w.word for w in words]
    like = [_number_like(w, language) for w in words]
    # Inside a stretch, a confident sound-alike belongs to it too ("... tre to nøy.").
    near = [ok or sounds_like_number(t, language) for ok, t in zip(like, texts, strict=True)]
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(texts):
        if not like[i]:
            i += 1
            continue
        members = [i]
        j = i + 1
        while j < len(texts) and _gap(texts, members[-1], j) <= MAX_GAP:
            going_on = like[j] or (near[j] and j + 1 < len(texts) and like[j + 1])
            if _ends(texts[j - 1]) and not going_on:
                break  # a sentence end, unless the numbers go on right after it
            if near[j]:
                members.append(j)
            j += 1
        first, last = members[0], members[-1]
        span = range(first, last + 1)
        # Sound-alikes Whisper was unsure of (a confident one at an edge only joins a stretch;
        # right between two number-like words, a confident one too ("sju fyrer sju").
        inner = {k for k in members[1:-1] if like[k - 1] and like[k + 1]}
        numbers = [
            k
            for k in members
            if (like[k] or k in inner) and not _plain_number(texts[k], language) and k not in taken
        ]
        mean = sum(_probability(words[k]) for k in span) / len(span)
        after = texts[last + 1] if last + 1 < len(texts) else ""
        amount = (
            bool(after)
            and not _ends(texts[last])
            and (cues.is_unit(after) or cues.is_currency(after))
        )
        strong = [k for k in members if like[k] and not _weak(texts[k], language)]
        cued = any(_cue_like(texts[k]) for k in range(max(0, first - CUE_REACH), first + 1))
        if (
            len(strong) >= (MIN_NUMBERISH_CUED if cued else MIN_NUMBERISH)
            and len(members) / len(span) >= MIN_SHARE
            and (mean < MAX_MEAN_PROB or numbers)
            and not amount
            and not set(members) <= taken
        ):
            out.append(_widened(words, texts, first, last))
        i = last + 1
    return out


def _gap(texts: Sequence[str], member: int, j: int) -> int:
    """Other words between a member and ``j``; word pieces ("U", "-O") do not count."""
    return sum(not _fragment(texts[k]) for k in range(member + 1, j))


def _widened(words: Sequence, texts: Sequence[str], first: int, last: int) -> tuple[int, int]:
    """The stretch with up to ``EDGE_WORDS`` unsure words (probability below ``EDGE_PROB``)
    either side in its sentence: Whisper garbles a number's edges worst ("Öfyrra", "nu.")."""
    for _ in range(EDGE_WORDS):
        if first > 0 and not _ends(texts[first - 1]) and _probability(words[first - 1]) < EDGE_PROB:
            first -= 1
    for _ in range(EDGE_WORDS):
        if (
            last + 1 < len(texts)
            and not _ends(texts[last])
            and _probability(words[last + 1]) < EDGE_PROB
        ):
            last += 1
    return first, last


def _weak(text: str, language: str) -> bool:
    """An article-like number word ("en", "et", "ett")."""
    return tokenize(text, 0, language).weak


_CUE_KEYS = tuple(
    fold(w) for w in ("nummer", "nummeret", "telefon", "mobil", "konto", "kort", "personnummer",
                      "fødselsnummer", "cpr")
)  # fmt: skip


@cache
def _cue_like(word: str) -> bool:
    """A positive cue, or a word that sounds like a common one ("nømmer", "Kondt")."""
    if cues.positive_kind(word) is not None:
        return True
    key = fold(strip(word)[0])
    if len(key) < 3:
        return False
    limit = _allowed(len(key))
    return any(k[0] == key[0] and _distance(key, k, limit) <= limit for k in _CUE_KEYS)


def _ends(text: str) -> bool:
    return any(c in ".!?" for c in strip(text)[1])


def _plain_number(word: str, language: str) -> bool:
    """Digits or a number word as written (not a sound-alike)."""
    core = strip(word)[0].lower().strip("-.,")
    tok = tokenize(word, 0, language)
    return any(c.isdigit() for c in core) or (
        tok.kind == NUM and any(a.kind != AND for a in tok.atoms)
    )


#: Spoken address separators ("krøllalfa", "snabel-a", "punktum", "prik"), folded.
_EMAIL_KEYS = tuple(
    fold(w) for w in ("krøllalfa", "alfakrøll", "snabela", "snabel", "punktum", "punkt")
)  # fmt: skip


@cache
def sounds_like_address_word(word: str) -> bool:
    """Whether a word holds something that sounds like a spoken address separator
    ("prinktym", "kralralfa", "snabbelæg", "Fugetadpunkt")."""
    key = fold(strip(word)[0])
    for k in _EMAIL_KEYS:
        limit = _allowed(len(k))
        if _distance(key, k, limit) <= limit:
            return True
        # Inside a longer word ("Fugetadpunkt"): one edit for long separators, none for "punkt".
        part = 1 if len(k) >= 6 else 0
        for size in range(len(k) - part, len(k) + part + 1):
            for at in range(0, len(key) - size + 1):
                if _distance(key[at : at + size], k, part) <= part:
                    return True
    return False


def garbled_addresses(words: Sequence, language: str, taken: set[int]) -> list[tuple[int, int]]:
    """Around each word that sounds like an address separator: up to ``ADDRESS_REACH`` words
    either side, within the sentence."""
    if language not in FUZZY_LANGUAGES:
        return []
    texts = [w.word for w in words]
    out: list[tuple[int, int]] = []
    for i, text in enumerate(texts):
        if i in taken or _probability(words[i]) >= FUZZY_PROB or not sounds_like_address_word(text):
            continue  # an address the e-mail rule read is not garbled
        first = i
        while first > 0 and i - first < ADDRESS_REACH and not _ends(texts[first - 1]):
            first -= 1
        last = i
        while last + 1 < len(texts) and last - i < ADDRESS_REACH and not _ends(texts[last]):
            last += 1
        out.append((first, last))
    return out


def _fragment(text: str) -> bool:
    """A piece of a word: a leading apostrophe or dash ("'fir", "-sjuh"), or at most two
    letters."""
    raw = text.strip().rstrip(".,!?")
    core = re.sub(r"[^\w]", "", raw)
    return bool(raw) and (raw[0] in "'-\u2019" or len(core) <= 2)


def fragments(words: Sequence, language: str) -> list[tuple[int, int]]:
    """(first, last) of every run of at least ``FRAGMENT_MIN`` word pieces Whisper was unsure
    of (mean probability below ``MAX_MEAN_PROB``): spelled or shattered speech."""
    if language not in FUZZY_LANGUAGES:
        return []
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and _fragment(words[j].word):
            j += 1
        if j - i >= FRAGMENT_MIN:
            mean = sum(_probability(w) for w in words[i:j]) / (j - i)
            if mean < MAX_MEAN_PROB:
                out.append(_widened(words, [w.word for w in words], i, j - 1))
        i = max(j, i + 1)
    return out


def uncertain_stretches(words: Sequence, taken: set[int], language: str) -> list[tuple[int, int]]:
    """(first, last) of every stretch to redact as ``uncertain``, outside ``taken`` words."""
    found = (
        loop_segments(words, language)
        + garbled_numbers(words, language, taken)
        + garbled_addresses(words, language, taken)
        + fragments(words, language)
    )
    marked = sorted({k for a, b in found for k in range(a, b + 1)} - taken)
    out: list[tuple[int, int]] = []
    for k in marked:
        if out and out[-1][1] == k - 1:
            out[-1] = (out[-1][0], k)
        else:
            out.append((k, k))
    return out
