"""Rule 7, ``uncertain``: where the transcript cannot be trusted, it is not left readable.

Whisper turns some dictated numbers into words that are not numbers ("fyrer sex nøl",
"otter", "Nihynre og femtivere") or into loops ("nålfier, nålfier, ..."); the number rules
cannot read them, yet the audio holds the number. The safe error is to redact and mute such
stretches, under their own kind ``uncertain`` so the output says why. Five signals, all from
the engine's own output:

* **Loops**: a Whisper segment with at least ``LOOP_MIN_WORDS`` words other than written
  numbers, in which the most frequent of them with at least ``LOOP_WORD_MIN_LETTERS`` letters
  (punctuation and case aside) makes up ``LOOP_SHARE`` or more, or (from
  ``LOOP_COMPRESSION_MIN_WORDS`` such words) whose text compresses by a ratio of
  ``LOOP_COMPRESSION`` or more (Whisper's own hallucination test, zlib over the text), is
  redacted whole. Digits said over and over ("null null null") are a number, not a loop.
  So are ``LOOP_REPEATS`` or more consecutive segments of more than one word with the same
  text (Whisper repeating itself a segment at a time).
* **Garbled numbers**: a stretch of at least ``MIN_NUMBERISH`` number-like words (articles
  like "en" aside; ``MIN_NUMBERISH_CUED`` after a cue word, a sound-alike of one or a word
  holding one ("rockkonto", "mobilnommet") in the ``CUE_REACH`` words before, and then a
  confident sound-alike counts as number-like too), or at least ``MIN_NUMBERISH`` + 1
  sound-alikes of which ``DENSE_STRONG`` are number-like ("fjr, fjr, 2, træ 2, en træn"), at
  most ``MAX_GAP`` other words apart (word pieces like "U" or "-O" and the joiner "og"/"och"
  aside), where sound-alikes are at least ``MIN_SHARE`` of the stretch (``MIN_SHARE_CUED``
  after a cue; joiners aside) and Whisper was unsure (mean word probability below
  ``MAX_MEAN_PROB``) or wrote a sound-alike. Confident sound-alikes right before the first
  number-like word join the stretch. A sentence end closes a stretch unless number-like
  words follow it at once (word pieces aside: "2. N. N. S. Fyre 4."); a stretch followed by
  a unit or currency word ("... seks i tre kroner") is an amount and stays. The stretch
  widens by up to ``EDGE_WORDS`` words either side within its sentence that are unsure
  (probability below ``EDGE_PROB``), word pieces, joiners or a country code's plus
  ("plusfurtyskjøn"): Whisper garbles a number's edges worst; and by a whole neighbouring
  sentence of at most ``SHORT_SENTENCE`` words with mean probability below ``EDGE_PROB``
  ("Öfm nu och ta."). Number-like: digits, a number word, or a word Whisper was unsure of
  (probability below ``FUZZY_PROB``; right between two number-like words any) that sounds
  like one (``soundalike.sounds_like_number``). Only Nordic transcripts (nb, nn, da, sv) are read
  this way: English number words fold onto too many common words, and the English rules
  already hear the digits.
* **Garbled addresses**: a word that holds something sounding like a spoken address separator
  ("prinktym", "kralralfa", "snabbelæg", "Fugetadpunkt"; same folding and distances, on any
  part of the word) and that Whisper was unsure of (below ``FUZZY_PROB``; any, when the whole
  word is one edit from "krøllalfa", "alfakrøll" or "snabela", which are no ordinary
  words) is redacted with up to ``ADDRESS_REACH`` words either side in its sentence (Nordic
  transcripts only).
* **Country codes**: a spoken "plus" followed by a sound-alike of a number
  (``country_codes``; Nordic transcripts only).
* **Shattered speech**: a run of at least ``FRAGMENT_MIN`` word pieces (a leading apostrophe
  or dash, "'fir 'a 'n", "-m -nul -sjuh", or two letters at most) with mean probability below
  ``MAX_MEAN_PROB``, widened as above (Nordic transcripts only).

Gaps of at most ``HOLE_MAX`` words between two marked stretches are marked too (a number
Whisper could not spell has no holes); what is left of a stretch once other rules took its
number is not redacted alone when it is at most ``FRAME_MAX`` small common words ("på").

Tuned on the spoken benchmark's seed 1; the figures are in ``benchmarks/README.md``.
"""

from __future__ import annotations

import itertools
import re
import zlib
from collections import Counter
from collections.abc import Sequence
from functools import cache

from assets.transcripts.pii import cues
from assets.transcripts.pii.lexicon import AND, lexicon_for
from assets.transcripts.pii.soundalike import (
    NOT_NUMBERS,
    allowed_edits,
    distance,
    fold,
    sounds_like_number,
)
from assets.transcripts.pii.tokens import NUM, strip, tokenize

UNCERTAIN = "uncertain"
LOOP_MIN_WORDS = 8
LOOP_SHARE = 0.4
LOOP_COMPRESSION = 2.4
LOOP_COMPRESSION_MIN_WORDS = 20
LOOP_WORD_MIN_LETTERS = 3
LOOP_REPEATS = 3
MIN_NUMBERISH = 4
#: With a positive cue word (or one that sounds like one) in the ``CUE_REACH`` words before.
MIN_NUMBERISH_CUED = 3
CUE_REACH = 6
#: Without a cue: at least ``MIN_NUMBERISH`` + 1 sound-alikes of which ``DENSE_STRONG`` are
#: plain or unsure numbers also make a stretch.
DENSE_STRONG = 2
ADDRESS_REACH = 4
EDGE_WORDS = 3
SHORT_SENTENCE = 4
FRAGMENT_MIN = 5
PLUS_REACH = 12
#: A remnant of at most this many small common words is not redacted on its own.
FRAME_MAX = 2
HOLE_MAX = 2
EDGE_PROB = 0.6
MAX_GAP = 2
MIN_SHARE = 0.5
MIN_SHARE_CUED = 0.35
MAX_MEAN_PROB = 0.75
FUZZY_PROB = 0.7
#: Languages read for garbled numbers.
FUZZY_LANGUAGES = frozenset({"nb", "nn", "da", "sv"})


def _number_like(word, language: str) -> bool:
    """Digits or a number word, or a sound-alike Whisper was unsure of (probability below
    ``FUZZY_PROB``): a confident "firma" or "takk" is what was said."""
    if _plain_number(word.word, language):
        return True
    return _probability(word) < FUZZY_PROB and sounds_like_number(word.word, language)


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
    """(first, last) word of every looping segment, and of every run of at least
    ``LOOP_REPEATS`` consecutive segments with the same text (Whisper repeating itself one
    segment at a time: "vis noe er shave. Viseks," six times)."""
    segments: list[tuple[int, int]] = []
    first = 0
    for i in range(1, len(words) + 1):
        if i == len(words) or getattr(words[i], "segment_index", 0) != getattr(
            words[first], "segment_index", 0
        ):
            segments.append((first, i - 1))
            first = i
    out = [(a, b) for a, b in segments if _looping([w.word for w in words[a : b + 1]], language)]
    keys = [" ".join(strip(w.word)[0].lower() for w in words[a : b + 1]) for a, b in segments]
    run = 0
    for k in range(len(segments) + 1):
        if k < len(segments) and k and keys[k] == keys[k - 1] and len(keys[k].split()) > 1:
            run += 1
            continue
        if run + 1 >= LOOP_REPEATS:
            out.append((segments[k - 1 - run][0], segments[k - 1][1]))
        run = 0
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
    i, last_end = 0, -1
    while i < len(texts):
        if not like[i]:
            i += 1
            continue
        members = [i]
        # Confident sound-alikes right before the first unsure one belong to it ("fjr, fjr, 2").
        k = i - 1
        while k > last_end and not _ends(texts[k]) and (near[k] or _joiner(texts[k], language)):
            if near[k]:
                members.insert(0, k)
            k -= 1
        j = i + 1
        while j < len(texts) and _gap(texts, members[-1], j, language) <= MAX_GAP:
            # Word pieces ("N. N. S.") do not end a dictation: look past them.
            ahead = j
            while ahead + 1 < len(texts) and _fragment(texts[ahead]) and not like[ahead]:
                ahead += 1
            going_on = like[ahead] or (near[ahead] and ahead + 1 < len(texts) and like[ahead + 1])
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
        cued = any(_cue_like(texts[k]) for k in range(max(0, first - CUE_REACH), first + 1))
        joiners = sum(_joiner(texts[k], language) for k in span)
        # After a cue, a confident sound-alike ("træ og færds") counts too.
        strong = [
            k for k in members if (like[k] or (cued and near[k])) and not _weak(texts[k], language)
        ]
        # A dense run of sound-alikes with some plain or unsure numbers among them is a
        # number Whisper could not spell ("fjr, fjr, 2, træ 2, en træn").
        alike = [k for k in members if not _weak(texts[k], language)]
        dense = len(strong) >= DENSE_STRONG and len(alike) >= MIN_NUMBERISH + 1
        if (
            (dense or len(strong) >= (MIN_NUMBERISH_CUED if cued else MIN_NUMBERISH))
            and len(members) / max(1, len(span) - joiners)
            >= (MIN_SHARE_CUED if cued else MIN_SHARE)
            and (mean < MAX_MEAN_PROB or numbers)
            and not amount
            and not set(members) <= taken
        ):
            out.append(_widened(words, texts, first, last, language))
        i = last_end = last
        i += 1
    return out


def _gap(texts: Sequence[str], member: int, j: int, language: str) -> int:
    """Other words between a member and ``j``; word pieces ("U", "-O") and the number
    joiner ("og": "tre og firs") do not count."""
    return sum(
        not _fragment(texts[k]) and not _joiner(texts[k], language) for k in range(member + 1, j)
    )


def _joiner(text: str, language: str) -> bool:
    """The word that joins a unit to its tens ("og", "och", "and")."""
    entry = lexicon_for(language).words.get(strip(text)[0].lower())
    return entry is not None and entry[0] == AND


def _edge(words: Sequence, texts: Sequence[str], k: int, language: str) -> bool:
    """Whether a word next to a stretch belongs to it: unsure, a word piece, a joiner or a
    country code's plus ("plusfurtyskjøn")."""
    return (
        _probability(words[k]) < EDGE_PROB
        or _fragment(texts[k])
        or _joiner(texts[k], language)
        or strip(texts[k])[0].lower().startswith("plus")
    )


def _sentence(texts: Sequence[str], k: int, step: int) -> tuple[int, int]:
    """(first, last) of the sentence that word ``k`` begins (``step`` 1) or ends (-1)."""
    j = k
    if step > 0:
        while j + 1 < len(texts) and not _ends(texts[j]):
            j += 1
        return k, j
    while j > 0 and not _ends(texts[j - 1]):
        j -= 1
    return j, k


def _widened(
    words: Sequence, texts: Sequence[str], first: int, last: int, language: str
) -> tuple[int, int]:
    """The stretch with up to ``EDGE_WORDS`` edge words (``_edge``) either side in its
    sentence: Whisper garbles a number's edges worst ("Öfyrra", "nu."). A whole sentence of
    at most ``SHORT_SENTENCE`` words right before or after, with mean probability below
    ``EDGE_PROB``, joins too ("Öfm nu och ta. Ö0, ö30 ..."): a number Whisper could not
    hear comes out as short unsure sentences."""
    for _ in range(EDGE_WORDS):
        if first > 0 and not _ends(texts[first - 1]) and _edge(words, texts, first - 1, language):
            first -= 1
    for _ in range(EDGE_WORDS):
        if (
            last + 1 < len(texts)
            and not _ends(texts[last])
            and _edge(words, texts, last + 1, language)
        ):
            last += 1
    if first > 0 and _ends(texts[first - 1]):
        a, b = _sentence(texts, first - 1, -1)
        if _short_unsure(words, a, b):
            first = a
    if last + 1 < len(texts) and _ends(texts[last]):
        a, b = _sentence(texts, last + 1, 1)
        if _short_unsure(words, a, b):
            last = b
    return first, last


def _short_unsure(words: Sequence, a: int, b: int) -> bool:
    n = b - a + 1
    return n <= SHORT_SENTENCE and sum(_probability(w) for w in words[a : b + 1]) / n < EDGE_PROB


def _weak(text: str, language: str) -> bool:
    """An article-like number word ("en", "et", "ett")."""
    return tokenize(text, 0, language).weak


_CUE_KEYS = tuple(
    fold(w) for w in ("nummer", "nummeret", "telefon", "mobil", "konto", "kort", "personnummer",
                      "fødselsnummer", "cpr", "ringe")
)  # fmt: skip


@cache
def _cue_like(word: str) -> bool:
    """A positive cue, or a word that sounds like a common one ("nømmer", "Kondt")."""
    if cues.positive_kind(word) is not None:
        return True
    key = fold(strip(word)[0])
    if len(key) < 3:
        return False
    limit = allowed_edits(len(key))
    if any(k[0] == key[0] and distance(key, k, limit) <= limit for k in _CUE_KEYS):
        return True
    # Inside a compound ("rockkonto", "Kondtunummeret", "mobilnommet"): long cues with one
    # edit, four-letter ones exactly.
    for k in _CUE_KEYS:
        part = 1 if len(k) >= 5 else 0
        if len(k) >= 4 and len(key) > len(k):
            for at in range(0, len(key) - len(k) + 1):
                if distance(key[at : at + len(k)], k, part) <= part:
                    return True
    return False


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


#: Separators that are no ordinary word: a confident sound-alike of one counts too.
_SURE_KEYS = tuple(fold(w) for w in ("krøllalfa", "alfakrøll", "snabela"))


@cache
def sounds_like_address_word(word: str) -> bool:
    """Whether a word holds something that sounds like a spoken address separator
    ("prinktym", "kralralfa", "snabbelæg", "Fugetadpunkt")."""
    key = fold(strip(word)[0])
    for k in _EMAIL_KEYS:
        limit = allowed_edits(len(k))
        if distance(key, k, limit) <= limit:
            return True
        # Inside a longer word ("Fugetadpunkt"): one edit for long separators, none for "punkt".
        part = 1 if len(k) >= 6 else 0
        for size in range(len(k) - part, len(k) + part + 1):
            for at in range(0, len(key) - size + 1):
                if distance(key[at : at + size], k, part) <= part:
                    return True
    return False


def _whole_separator(word: str) -> bool:
    """Whether the whole word is one edit from a long separator that is no ordinary word
    ("snabbelæg"): Whisper can be sure of a word that is no word at all."""
    key = fold(strip(word)[0])
    return any(distance(key, k, 1) == 1 for k in _SURE_KEYS)  # the word itself is the e-mail rule's


def garbled_addresses(words: Sequence, language: str, taken: set[int]) -> list[tuple[int, int]]:
    """Around each word that sounds like an address separator: up to ``ADDRESS_REACH`` words
    either side, within the sentence."""
    if language not in FUZZY_LANGUAGES:
        return []
    texts = [w.word for w in words]
    out: list[tuple[int, int]] = []
    for i, text in enumerate(texts):
        if i in taken or not sounds_like_address_word(text):
            continue  # an address the e-mail rule read is not garbled
        if _probability(words[i]) >= FUZZY_PROB and not _whole_separator(text):
            continue  # a confident "punkt" or "utgangspunkt" is what was said
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
                out.append(_widened(words, [w.word for w in words], i, j - 1, language))
        i = max(j, i + 1)
    return out


def country_codes(words: Sequence, language: str, taken: set[int]) -> list[tuple[int, int]]:
    """From a spoken "plus" followed by a sound-alike of a number ("plus fem år før",
    "plusfemmer for at"), up to ``PLUS_REACH`` words within its sentence: a number with a
    country code Whisper could not spell. Not where a unit or currency word follows (an
    amount: "pluss fem prosent")."""
    if language not in FUZZY_LANGUAGES:
        return []
    texts = [w.word for w in words]
    out: list[tuple[int, int]] = []
    for i, text in enumerate(texts):
        core = strip(text)[0].lower()
        if i in taken or not core.startswith("plus"):
            continue
        rest = core.removeprefix("pluss").removeprefix("plus")
        following = texts[i + 1] if i + 1 < len(texts) and not _ends(text) else ""
        heads = [rest[:n] for n in range(3, len(rest) + 1)]  # "femmer": "fem" + "mer"
        if not any(sounds_like_number(h, language) for h in heads) and not (
            following and sounds_like_number(following, language)
        ):
            continue
        last = _sentence(texts, i, 1)[1]
        last = min(last, i + PLUS_REACH - 1)
        if any(cues.is_unit(texts[k]) or cues.is_currency(texts[k]) for k in range(i, last + 1)):
            continue
        out.append((i, last))
    return out


def uncertain_stretches(words: Sequence, taken: set[int], language: str) -> list[tuple[int, int]]:
    """(first, last) of every stretch to redact as ``uncertain``, outside ``taken`` words."""
    found = (
        loop_segments(words, language)
        + garbled_numbers(words, language, taken)
        + garbled_addresses(words, language, taken)
        + fragments(words, language)
        + country_codes(words, language, taken)
    )
    hit = sorted({k for a, b in found for k in range(a, b + 1)})
    # A number Whisper could not spell has no holes: close gaps of at most ``HOLE_MAX`` words
    # between two marked stretches ("... Talat N. [S. Fyre] N. L. 2. ...").
    holes = {
        k for a, b in itertools.pairwise(hit) if b - a - 1 <= HOLE_MAX for k in range(a + 1, b)
    }
    marked = sorted((set(hit) | holes) - taken)
    out: list[tuple[int, int]] = []
    for k in marked:
        if out and out[-1][1] == k - 1:
            out[-1] = (out[-1][0], k)
        else:
            out.append((k, k))
    # What is left of a stretch once other rules took its number may be only the sentence
    # around it ("på", "i på"): that is no garbled speech.
    return [
        (a, b)
        for a, b in out
        if b - a + 1 > FRAME_MAX
        or not all(_frame_word(words[k].word, language) for k in range(a, b + 1))
    ]


def _frame_word(text: str, language: str) -> bool:
    """A small common word ("på", "det"), not the number joiner."""
    return strip(text)[0].lower() in NOT_NUMBERS and not _joiner(text, language)
