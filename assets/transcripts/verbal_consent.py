"""Spoken consent to recording, found in the transcript as evidence for review.

On an inbound call the agent may ask near the start whether the call may be recorded and the
caller answers. This finds the agent's question (a recording word in a question, from phrase
lists per language) and the caller's first answer after it, and reads the answer as "yes", "no"
or "unclear" (both or neither). It is evidence with its words and times, never consent on its
own unless the tenant's policy says so (``transcription.verbal_consent.counts_as_consent``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assets.transcripts.engines import Word

#: Word stems that make a sentence about recording the call.
RECORDING_STEMS = {
    "nb": ("opptak", "ta opp", "tar opp", "tas opp", "spille inn", "spiller inn", "innspill"),
    "nn": ("opptak", "ta opp", "tek opp", "takast opp", "spele inn", "spela inn"),
    "da": ("optag", "optage", "optager", "optaget", "optagelse", "indspill"),
    "sv": ("spela in", "spelar in", "spelas in", "inspeln", "inspel"),
    "en": ("record",),
}
#: Words that make a sentence a request for permission even without a question mark.
PERMISSION_WORDS = {
    "nb": ("greit", "samtykke", "samtykker", "i orden", "ok", "går det bra", "tillater"),
    "nn": ("greitt", "greit", "samtykke", "samtykkjer", "i orden", "ok", "går det bra"),
    "da": ("okay", "ok", "samtykke", "samtykker", "i orden", "i order", "tilladelse"),
    "sv": ("okej", "ok", "samtycke", "samtycker", "går det bra", "godkänner"),
    "en": ("okay", "ok", "consent", "agree", "alright", "all right", "permission", "mind"),
}
#: Clear answers. Longer phrases win over the words inside them ("no problem" is a yes).
YES_PHRASES = {
    "nb": ("ja", "jada", "javisst", "ja da", "greit", "det er greit", "det går bra", "går fint",
           "det går fint", "i orden", "ok", "okei", "selvfølgelig", "helt fint", "null problem",
           "ikke noe problem", "klart"),
    "nn": ("ja", "jau", "greitt", "greit", "det går bra", "i orden", "ok", "sjølvsagt",
           "ikkje noko problem"),
    "da": ("ja", "jo", "ja tak", "det er fint", "fint", "okay", "ok", "selvfølgelig",
           "i orden", "ikke noget problem", "det er i orden"),
    "sv": ("ja", "japp", "jo", "visst", "okej", "ok", "det går bra", "absolut",
           "självklart", "inga problem", "det är okej", "det är lugnt"),
    "en": ("yes", "yeah", "yep", "yup", "sure", "of course", "okay", "ok", "that's fine",
           "that is fine", "fine", "go ahead", "no problem", "not at all", "i agree",
           "absolutely", "certainly", "alright", "all right"),
}  # fmt: skip
NO_PHRASES = {
    "nb": ("nei", "nei takk", "helst ikke", "ikke greit", "vil ikke", "ønsker ikke"),
    "nn": ("nei", "helst ikkje", "ikkje greitt", "vil ikkje", "ønskjer ikkje"),
    "da": ("nej", "nej tak", "helst ikke", "ikke i orden", "vil ikke", "ønsker ikke"),
    "sv": ("nej", "nej tack", "helst inte", "inte okej", "vill inte", "önskar inte"),
    "en": ("no", "nope", "no thanks", "no thank you", "rather not", "i don't", "i do not",
           "don't record", "do not record", "i'd prefer not", "i would prefer not"),
}  # fmt: skip

#: An answer starts at most this long after the question ends.
ANSWER_WITHIN_S = 10.0
#: A pause this long ends the answer; so does a full stop after its first word.
ANSWER_GAP_S = 1.5
ANSWER_MAX_WORDS = 12

_CORE = re.compile(r"[^\w'@]+")


@dataclass(frozen=True)
class VerbalConsentEvidence:
    question_text: str
    question_start_s: float
    question_end_s: float
    #: "yes", "no", "unclear", or "not_heard" (no customer words to read the answer from).
    answer: str
    answer_text: str | None
    answer_start_s: float | None
    answer_end_s: float | None


def _norm(text: str) -> str:
    return _CORE.sub(" ", text.lower().replace("\u2019", "'")).strip()


def _sentences(words: Sequence[Word]) -> list[list[Word]]:
    out: list[list[Word]] = []
    current: list[Word] = []
    for word in words:
        current.append(word)
        if word.word.rstrip("\"'”)").endswith((".", "?", "!")):
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def _has_phrase(text: str, phrases: Sequence[str], *, stem: bool = False) -> bool:
    padded = f" {text} "
    return any((f" {p}" if stem else f" {p} ") in padded for p in phrases)


def find_question(words: Sequence[Word], language: str, window_s: float) -> list[Word] | None:
    """The agent's first sentence in the window asking for permission to record."""
    if language not in RECORDING_STEMS:
        raise ValueError(f"unsupported language {language!r}; use one of {list(RECORDING_STEMS)}")
    for sentence in _sentences([w for w in words if w.start <= window_s]):
        text = _norm(" ".join(w.word for w in sentence))
        asks = sentence[-1].word.rstrip("\"'”)").endswith("?")
        if _has_phrase(text, RECORDING_STEMS[language], stem=True) and (
            asks or _has_phrase(text, PERMISSION_WORDS[language])
        ):
            return sentence
    return None


def read_answer(text: str, language: str) -> str:
    """ "yes", "no" or "unclear" for a short answer, longer phrases first ("no problem")."""
    remaining = f" {_norm(text)} "
    found = set()
    phrases = [(p, "yes") for p in YES_PHRASES[language]] + [
        (p, "no") for p in NO_PHRASES[language]
    ]
    for phrase, polarity in sorted(phrases, key=lambda item: -len(item[0])):
        if f" {phrase} " in remaining:
            found.add(polarity)
            remaining = remaining.replace(f" {phrase} ", " | ")
    return found.pop() if len(found) == 1 else "unclear"


def _answer_words(customer: Sequence[Word], after_s: float) -> list[Word]:
    words: list[Word] = []
    for word in sorted(customer, key=lambda w: w.start):
        if not words:
            if word.start < after_s - 0.5:
                continue
            if word.start > after_s + ANSWER_WITHIN_S:
                break
        elif word.start - words[-1].end > ANSWER_GAP_S or len(words) >= ANSWER_MAX_WORDS:
            break
        words.append(word)
        if word.word.rstrip("\"'”)").endswith((".", "?", "!")):
            break
    return words


def find_verbal_consent(
    agent: Sequence[Word],
    customer: Sequence[Word] | None,
    language: str,
    window_s: float = 90.0,
) -> VerbalConsentEvidence | None:
    """The consent question near the start and the caller's answer to it, or None when the
    agent asked no such question. ``customer`` is None when the caller's words were not kept."""
    question = find_question(agent, language, window_s)
    if question is None:
        return None
    q_start, q_end = question[0].start, question[-1].end
    answer = _answer_words(customer, q_end) if customer is not None else []
    if not answer:
        verdict = "not_heard" if customer is None else "unclear"
        return VerbalConsentEvidence(
            " ".join(w.word for w in question), q_start, q_end, verdict, None, None, None
        )
    text = " ".join(w.word for w in answer)
    return VerbalConsentEvidence(
        " ".join(w.word for w in question),
        q_start,
        q_end,
        read_answer(text, language),
        text,
        answer[0].start,
        answer[-1].end,
    )
