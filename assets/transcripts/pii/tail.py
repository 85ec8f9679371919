"""Rule 6, the cue tail: what follows "my number is" is redacted when ASR could not read it.

Whisper sometimes turns a dictated number into words that are not numbers at all ("nøl
otterfem N otterfere", "cínna cínna") or loses it in a hesitation. After a positive cue
word ("nummeret mitt er", "my card number is", "CPR-nummer"), the rest of the sentence
(at most ``TAIL_MAX_WORDS`` words and ``TAIL_MAX_S`` seconds) is redacted, and so muted,
when no number or address was found there and Whisper itself was unsure of it: the mean word
probability of the tail (less leading function words and trailing confident words) is below
``TAIL_MAX_PROB``. Confident ordinary words after a cue ("my phone is broken") stay.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from assets.transcripts.pii import cues
from assets.transcripts.pii.lexicon import UNIT, lexicon_for
from assets.transcripts.pii.tokens import NUM, STOPS, strip, tokenize
from assets.transcripts.pii.validate import HOME_ID

TAIL_MAX_WORDS = 14
TAIL_MAX_S = 10.0
TAIL_MAX_PROB = 0.6
#: Confident words at a tail's end that are kept ("takk", "thanks", "stemmer det?").
CONFIDENT = 0.8
#: Words that link a cue to its value ("er", "is", "på", ":"): without one, or a number
#: right after the cue, no tail is read.
_LINKS = frozenset(
    [
        "er",
        "is",
        "är",
        "es",
        "was",
        "var",
        "blir",
        "lyder:",
        "på",
        "on",
        "to",
        "til",
        "till",
        "at",
        "hos",
    ]
)
#: Words between a cue and its value: the links, possessives, pronouns, yes/no, "number".
_GLUE = _LINKS | frozenset(
    [
        "mitt",
        "min",
        "mi",
        "mine",
        "my",
        "mit",
        "dit",
        "ditt",
        "din",
        "your",
        "the",
        "det",
        "it's",
        "its",
        "it",
        "ja",
        "yes",
        "nej",
        "nei",
        "no",
        "number",
        "nummer",
        "nummeret",
        "numret",
        "me",
        "meg",
        "mig",
        "mej",
        "oss",
        "us",
    ]
)


#: Share of number-like words that makes a tail a garbled number whatever Whisper's confidence.
TAIL_NUMBERISH = 0.4


def _numberish(text: str, language: str) -> bool:
    """A digit, a number word, or a word one edit away from a unit word ("fira", "shu")."""
    core = strip(text)[0].lower().lstrip("-.")
    if not core:
        return False
    tok = tokenize(text, 0, language)
    if any(c.isdigit() for c in core) or (tok.kind == NUM and tok.atoms[0].kind != "and"):
        return True
    return len(core) >= 4 and any(_one_edit(core, unit) for unit in _units(language))


def _garbled(text: str, language: str) -> bool:
    """A number-like word the number rules could not read ("fira", "otterfem")."""
    return _numberish(text, language) and tokenize(text, 0, language).kind != NUM


@cache
def _units(language: str) -> tuple[str, ...]:
    lex = lexicon_for(language)
    return tuple(w for w, (kind, _) in lex.words.items() if kind == UNIT and len(w) >= 3)


def _one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or a == b:
        return a == b
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _numberish_sentence(texts: Sequence[str], start: int, language: str) -> bool:
    """Whether the sentence from ``start`` is mostly number-like words."""
    words = []
    for k in range(start, min(len(texts), start + TAIL_MAX_WORDS)):
        words.append(texts[k])
        if _ends(texts[k]):
            break
    return bool(words) and sum(_numberish(w, language) for w in words) * 2 > len(words)


def _stretches(indices: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for k in indices:
        if out and out[-1][1] == k - 1:
            out[-1] = (out[-1][0], k)
        else:
            out.append((k, k))
    return out


def _prob(word) -> float:
    return float(getattr(word, "probability", 1.0))


def _ends(text: str) -> bool:
    return any(c in STOPS for c in strip(text)[1]) and not strip(text)[1].startswith(",")


def cue_kind(kind: str, language: str) -> str:
    if kind.startswith("id"):
        return kind.partition(":")[2] or HOME_ID.get(language, "id")
    return "email" if kind == cues.EMAIL else kind


def cue_tails(words: Sequence, taken: set[int], language: str) -> list[tuple[str, int, int]]:
    """(kind, first, last) of each unreadable stretch after a positive cue."""
    texts = [w.word for w in words]
    out: list[tuple[str, int, int]] = []
    i = 0
    while i < len(texts):
        kind = cues.positive_kind(texts[i], texts[i - 1] if i else "")
        if kind is None or (_ends(texts[i]) and "?" in texts[i]):
            i += 1
            continue
        first = i + 1
        linked = False
        while (
            first < len(texts)
            and strip(texts[first])[0].lower() in _GLUE
            and not _ends(texts[first])
        ):
            linked |= strip(texts[first])[0].lower() in _LINKS
            first += 1
        linked |= texts[i].rstrip().endswith((",", ":"))  # "Visa, 4696 ..."
        if first < len(texts) and not linked and not _numberish(texts[first], language):
            i += 1  # "your ID number and there was ...": no value follows the cue
            continue
        last = first - 1
        stop_at = min(len(texts), first + TAIL_MAX_WORDS)
        j = first
        next_cue = False
        while j < stop_at and words[j].start - words[i].end <= TAIL_MAX_S:
            if cues.positive_kind(texts[j], texts[j - 1]) and j > first:
                next_cue = True
                break  # the next cue starts its own tail
            last = j
            if _ends(texts[j]) and not _numberish_sentence(texts, j + 1, language):
                break  # a sentence end; a dictation goes on only into a sentence of numbers
            j += 1
        while (
            last >= first
            and _prob(words[last]) >= CONFIDENT
            and not _numberish(texts[last], language)
        ):
            last -= 1
        stretch = range(first, last + 1)
        if len(stretch):
            mean = sum(_prob(words[k]) for k in stretch) / len(stretch)
            numberish = sum(_numberish(texts[k], language) or k in taken for k in stretch)
            unsure = mean < TAIL_MAX_PROB and not next_cue  # "sort code and | account ..."
            # Clean digits alone were judged by the number rules ("Ring 113 hvis ...").
            garbled = any(_garbled(texts[k], language) for k in stretch)
            free = [k for k in stretch if k not in taken]
            found_here = len(free) < len(stretch)
            if kind == cues.EMAIL and found_here:
                pass  # the address was found; what follows it is another matter
            elif unsure or found_here or (garbled and numberish / len(stretch) >= TAIL_NUMBERISH):
                # What a number rule already took stays; the rest of the tail goes too, where
                # it is mostly number-like and next to what was taken.
                for a, b in _stretches(free):
                    share = sum(_numberish(texts[k], language) for k in range(a, b + 1))
                    beside = a - 1 in taken or b + 1 in taken
                    if (a == first and not found_here) or (beside and share * 2 >= b - a + 1):
                        out.append((cue_kind(kind, language), a, b))
        i = max(i + 1, last + 1)
    return out
