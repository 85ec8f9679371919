"""E-mail addresses as ASR writes them: whole ("ola@firma.no"), spoken ("ola punktum
nordmann krøllalfa firma punktum no", "o .nordman at xample .com") or spelled letter by
letter ("o l a at ..."), in the five languages.

Each word is cut into *pieces*: name text, a dot ("dot", "punktum", "prik", "punkt", a
leading or inner "."), an at ("at", "@", "krøllalfa", "snabel-a", "alfakrøll"), or a joiner
("underscore", "bindestrek"). An address is: local part (names joined by dots/joiners,
read leftwards from the at) + at + domain (names joined by dots, ending in a top-level
domain). With no at word, a domain-shaped sequence right after an e-mail cue still counts
(ASR drops "at" more often than the rest).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assets.transcripts.pii import cues
from assets.transcripts.pii.tokens import strip

AT, DOT, JOIN, NAME, BREAK = "at", "dot", "join", "name", "break"

_AT_WORDS = {
    "en": {"at", "@"},
    "nb": {"krøllalfa", "krøll-alfa", "alfakrøll", "krølla", "snabel-a", "at", "@"},
    "nn": {"krøllalfa", "krøll-alfa", "alfakrøll", "krølla", "snabel-a", "at", "@"},
    "da": {"snabel-a", "snabela", "at", "@"},
    "sv": {"snabel-a", "snabela", "at", "@"},
}
#: Every language's spoken at sign except the ambiguous "at": callers mix languages.
_ANY_AT = frozenset().union(*_AT_WORDS.values()) - {"at"}
_AT_PAIRS = {("snabel", "a"), ("krøll", "alfa"), ("alfa", "krøll"), ("snabel", "a.")}
_DOT_WORDS = {"dot", "punktum", "prikk", "prik", "punkt", "prick", "dott", "."}
_JOIN_WORDS = {
    "underscore": "_", "understrek": "_", "understreck": "_", "understregning": "_",
    "bindestrek": "-", "bindestreg": "-", "bindestreck": "-", "dash": "-", "hyphen": "-",
    "streck": "-", "strek": "-",
}  # fmt: skip
TLDS = frozenset(
    [
        "no",
        "se",
        "dk",
        "com",
        "net",
        "org",
        "nu",
        "io",
        "eu",
        "fi",
        "de",
        "uk",
        "is",
        "info",
        "biz",
        "co",
        "me",
        "app",
        "dev",
        "ai",
        "tech",
        "online",
        "gov",
        "edu",
        "fo",
        "gl",
        "ax",
        "ee",
        "lt",
        "lv",
        "pl",
        "nl",
        "be",
        "fr",
        "es",
        "it",
        "ch",
        "at",
        "us",
        "ca",
    ]
)
# Words that are never part of an address's local part.
_STOP_LOCAL = frozenset(
    [
        "i",
        "me",
        "my",
        "mine",
        "you",
        "your",
        "we",
        "us",
        "he",
        "him",
        "she",
        "her",
        "it",
        "its",
        "they",
        "them",
        "this",
        "that",
        "there",
        "here",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "look",
        "looking",
        "looked",
        "go",
        "went",
        "see",
        "seen",
        "shop",
        "shopping",
        "buy",
        "bought",
        "sign",
        "signed",
        "log",
        "logged",
        "find",
        "found",
        "visit",
        "check",
        "available",
        "online",
        "home",
        "work",
        "site",
        "website",
        "page",
        "up",
        "in",
        "on",
        "out",
        "all",
        "just",
        "now",
        "only",
        "again",
        "back",
        "and",
        "or",
        "but",
        "so",
        "to",
        "from",
        "email",
        "mail",
        "send",
        "sent",
        "write",
        "wrote",
        "reach",
        "contact",
        "address",
        "e-mail",
        "the",
        "a",
        "an",
        "of",
        "for",
        "with",
        "by",
        "please",
        "yes",
        "no",
        "ok",
        "okay",
        "right",
        "is",
        "it's",
        "its",
        "that's",
        "jeg",
        "meg",
        "min",
        "mitt",
        "mine",
        "du",
        "deg",
        "din",
        "vi",
        "oss",
        "han",
        "ham",
        "hun",
        "henne",
        "de",
        "dem",
        "det",
        "den",
        "er",
        "var",
        "til",
        "på",
        "og",
        "eller",
        "adressen",
        "adresse",
        "e-post",
        "e-posten",
        "epost",
        "mailen",
        "mail",
        "mejl",
        "mejlen",
        "mejla",
        "sende",
        "send",
        "skriv",
        "skrive",
        "send",
        "til",
        "hos",
        "med",
        "for",
        "ja",
        "nei",
        "jag",
        "mig",
        "mitt",
        "min",
        "är",
        "var",
        "till",
        "på",
        "och",
        "eller",
        "hos",
        "med",
        "för",
        "ja",
        "nej",
        "mit",
        "min",
        "mig",
        "er",
        "til",
        "på",
        "og",
        "eller",
        "hos",
        "med",
        "for",
        "nej",
        "tror",
        "think",
        "tror",
        "tycker",
        "synes",
    ]
)
#: Top-level domains that also count with the dot unsaid ("gmail com"); short ones are words.
_SAID_TLDS = frozenset({"com", "net", "org"})
_NAME = re.compile(r"[a-z0-9æøåäöü_+-]+")


@dataclass(frozen=True)
class Piece:
    kind: str
    text: str
    word: int


@dataclass(frozen=True)
class Email:
    first: int
    last: int
    address: str


def _pieces(word: str, index: int, language: str) -> tuple[list[Piece], bool]:
    """(pieces of one word, the word ends a sentence)."""
    raw = word.strip().lstrip("\"'([{«\u201c\u2018").lower()
    core, trail = strip(raw)
    stop = any(c in ".!?" for c in trail)
    if not core and raw.strip(".") == "":
        return ([Piece(DOT, ".", index)] if "." in raw else []), False
    if core in _AT_WORDS.get(language, set()) or core in _ANY_AT:
        return [Piece(AT, "@", index)], stop
    if core in _DOT_WORDS:
        return [Piece(DOT, ".", index)], stop
    if core in _JOIN_WORDS:
        return [Piece(JOIN, _JOIN_WORDS[core], index)], stop
    out: list[Piece] = []
    for part in re.split(r"([.@])", core):
        if part == ".":
            out.append(Piece(DOT, ".", index))
        elif part == "@":
            out.append(Piece(AT, "@", index))
        elif part:
            if not _NAME.fullmatch(part):
                return [], stop
            out.append(Piece(NAME, part, index))
    # "nordman." at the end of a sentence keeps its full stop as a sentence end only.
    return out, stop


def _domain(pieces: Sequence[Piece], start: int) -> tuple[int, str] | None:
    """Longest domain from pieces[start]: (index of its last piece, text)."""
    best, text, i = None, "", start
    expect_name = True
    while i < len(pieces):
        piece = pieces[i]
        if expect_name:
            if piece.kind != NAME:
                break
            text += piece.text
            labels = text.split(".")
            if len(labels) > 1 and labels[-1] in TLDS:
                best = (i, text)
            expect_name = False
        else:
            if piece.kind == DOT:
                text += "."
                expect_name = True
            elif piece.kind == JOIN:
                text += piece.text
                expect_name = True
            elif (
                piece.kind == NAME and piece.text in _SAID_TLDS and best is None and "." not in text
            ):
                best = (i, f"{text}.{piece.text}")  # "gmail com": the dot went unsaid
                break
            else:
                break
        i += 1
    return best


def _local(pieces: Sequence[Piece], at: int, words_stop: dict[int, bool]) -> tuple[int, str] | None:
    """The local part ending right before pieces[at]: (index of its first piece, text)."""
    i, parts, names = at - 1, [], 0
    while i >= 0 and len(parts) < 12:
        piece = pieces[i]
        if piece.kind == NAME:
            if piece.text in _STOP_LOCAL or (words_stop.get(piece.word) and i != at - 1):
                break
            spelled = len(piece.text) == 1 and bool(parts) and len(parts[0][1]) <= 2
            if parts and parts[0][0] == NAME and not spelled:
                break  # two names in a row: only spelled letters join
            parts.insert(0, (NAME, piece.text))
            names += 1
        elif piece.kind in (DOT, JOIN):
            if not parts or parts[0][0] != NAME:
                break
            parts.insert(0, (piece.kind, piece.text))
        else:
            break
        i -= 1
    while parts and parts[0][0] != NAME:
        parts.pop(0)
        i += 1
    if not names:
        return None
    return i + 1, "".join(text for _, text in parts)


def find_emails(words: Sequence[str], language: str) -> list[Email]:
    pieces: list[Piece] = []
    stops: dict[int, bool] = {}
    for index, word in enumerate(words):
        got, stop = _pieces(word, index, language)
        if not got:
            got = [Piece(BREAK, "", index)]  # "14:30": nothing of an address, and no bridge
        # Two-word at signs: "snabel a", "krøll alfa".
        pair = (pieces[-1].text, got[0].text) if pieces and len(got) == 1 else None
        if pair in _AT_PAIRS and got[0].kind == NAME and pieces[-1].kind == NAME:
            pieces[-1] = Piece(AT, "@", pieces[-1].word)
            stops[index] = stop
            continue
        pieces.extend(got)
        stops[index] = stop
        if stop:
            pieces.append(Piece(BREAK, "", index))  # an address does not run past a full stop
    found: list[Email] = []
    for k, piece in enumerate(pieces):
        if piece.kind != AT:
            continue
        domain = _domain(pieces, k + 1)
        local = _local(pieces, k, stops)
        if domain is None or local is None:
            continue
        first_word = pieces[local[0]].word
        found.append(Email(first_word, pieces[domain[0]].word, f"{local[1]}@{domain[1]}"))
    # No at word: "e-posten er ola punktum nordmann firma punktum no" right after a cue.
    taken = {w for e in found for w in range(e.first, e.last + 1)}
    for k, piece in enumerate(pieces):
        if (
            piece.kind != NAME
            or piece.word in taken
            or not _cued(words, piece.word, reach=5, send=True)
        ):
            continue
        if k > 0 and pieces[k - 1].word == piece.word:
            continue
        if piece.text in _STOP_LOCAL:
            continue
        address = _domain(pieces, k)
        if address is None:  # "ola punktum nordmann | eksempel punktum no": the at unsaid
            j = k + 1
            while (
                j + 1 < len(pieces) and pieces[j].kind in (DOT, JOIN) and pieces[j + 1].kind == NAME
            ):
                j += 2
            rest = _domain(pieces, j) if j < len(pieces) and pieces[j].kind == NAME else None
            if rest is None and j + 1 < len(pieces) and len(pieces[j].text) <= 3:
                rest = _domain(pieces, j + 1)  # "Lars and Outlook .net": the at misheard
            if rest is not None:
                local = "".join(p.text for p in pieces[k:j])
                address = (rest[0], f"{local}@{rest[1]}")
        if address is None or address[1].count(".") < 1 or len(address[1]) < 6:
            continue
        last = pieces[address[0]].word
        found.append(Email(piece.word, last, address[1]))
        taken |= set(range(piece.word, last + 1))
    return sorted(found, key=lambda e: e.first)


def _cued(words: Sequence[str], first: int, reach: int = 8, send: bool = False) -> bool:
    """Whether an e-mail cue word (or, with ``send``, a sending verb) sits shortly before
    word ``first``."""
    for index in range(first - 1, max(-1, first - 1 - reach), -1):
        if cues.positive_kind(words[index]) == cues.EMAIL:
            return True
        if send and words[index].strip().lower().startswith(cues.SEND_WORDS):
            return True
    return False
