"""E-mail addresses, written ("ola@firma.no") or spelt out ("ola punktum nordmann krøllalfa
firma punktum no")."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assets.transcripts.engines import Word
from assets.transcripts.pii.context import word_set
from assets.transcripts.pii.lexicon import LEXICONS, Lexicon
from assets.transcripts.pii.spans import Found
from assets.transcripts.pii.tokens import STOP_PUNCT, strip_word

_EMAIL = re.compile(
    r"[a-z0-9æøåäö](?:[a-z0-9æøåäö._%+-]*[a-z0-9æøåäö])?@(?:[a-z0-9æøåäö-]+\.)+([a-z]{2,})"
)
_TLDS = word_set(
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
_NOT_LOCAL = word_set(
    """i me you we us he him she her it they them this that there here is are was were be been
    look looking looked go went see seen shop shopping buy bought sign signed log logged find
    found visit check available online home work site website page up in on out all just now
    only again back and or but so to from email mail send sent write wrote reach contact
    jeg meg du deg vi oss han ham hun henne de dem det den er var til på og eller"""
)


def _email_word(words: Sequence[Word], index: int) -> tuple[str, bool]:
    """(lower-case core, ends a sentence) of a word."""
    core, trail = strip_word(words[index].word)
    return core.lower(), any(c in STOP_PUNCT for c in trail)


def _separator(text: str, lex: Lexicon) -> str | None:
    if text in lex.dot_words:
        return "."
    return _JOIN_WORDS.get(text)


def _local_part(words: Sequence[Word], at: int, lex: Lexicon) -> tuple[int, str] | None:
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


def _domain(words: Sequence[Word], at: int, lex: Lexicon) -> tuple[int, str] | None:
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


def find_emails(words: Sequence[Word], language: str) -> list[Found]:
    lex = LEXICONS[language]
    found: list[Found] = []
    for index in range(len(words)):
        text, _ = _email_word(words, index)
        if "@" in text and text != "@":
            if (match := _EMAIL.fullmatch(text)) and match.group(1) in _TLDS:
                found.append(Found("email", index, index, text))
            continue
        if text not in lex.at_words:
            continue
        local, domain = _local_part(words, index, lex), _domain(words, index, lex)
        if local is None or domain is None:
            continue
        address = f"{local[1]}@{domain[1]}"
        if (match := _EMAIL.fullmatch(address)) and match.group(1) in _TLDS:
            found.append(Found("email", local[0], domain[0], address))
    return found
