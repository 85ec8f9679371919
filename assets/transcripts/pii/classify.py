"""Digits to a kind: which validators the digits of a number pass, and which kind wins."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from stdnum.dk import cpr
from stdnum.no import fodselsnummer
from stdnum.se import personnummer

from assets.transcripts.engines import Word
from assets.transcripts.pii.context import CUE_ID, CUE_OTHER, CUE_PHONE, amount_around
from assets.transcripts.pii.reader import Item
from assets.transcripts.pii.validators import MAX_DIGITS, is_card, phone_e164

#: Order of preference when digits pass several validators: checksummed IDs and cards first.
_RANK = {"no_fnr": 0, "card": 0, "se_pnr": 1, "dk_cpr": 1, "phone": 2}
_WRITTEN_CPR = re.compile(r"\d{6}-\d{4}")
_YEAR = re.compile(r"(19|20)\d\d")


@dataclass(frozen=True)
class Context:
    language: str
    region: str
    cue: str | None


def classify_digits(
    items: Sequence[Item], ctx: Context, words: Sequence[Word]
) -> tuple[str, str] | None:
    """(kind, normalized) for the digits of consecutive items, or None."""
    plus = items[0].plus
    digits = "".join(item.digits for item in items)
    if len(digits) > MAX_DIGITS:
        return None
    found: list[tuple[str, str]] = []
    if not plus:
        found.extend(_id_kinds(digits, items, ctx))
        if is_card(digits):
            found.append(("card", digits))
    # Two or more years in a row ("2019, 2020") are a list of years, never a phone number.
    years = len(items) > 1 and all(_YEAR.fullmatch(item.raw) for item in items)
    if not years and (phone := phone_e164(digits, plus, ctx.region)):
        found.append(("phone", phone))
    if ctx.cue == CUE_OTHER:  # "ordrenummer ...": only the strongest checksum survives
        found = [f for f in found if f[0] == "no_fnr"]
    if not found or amount_around(words, items[0].first, items[-1].last):
        return None
    return min(found, key=lambda f: _preference(f[0], ctx))


def _id_kinds(digits: str, items: Sequence[Item], ctx: Context) -> list[tuple[str, str]]:
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
    return cue is not None and cue.startswith(CUE_ID)


def cue_miss(kind: str, cue: str | None) -> int:
    """1 where a kind is not what the cue word asked for."""
    if cue == CUE_PHONE:
        return int(kind != "phone")
    if _asks_id(cue):
        named = cue.partition(":")[2]  # type: ignore[union-attr]
        return int(kind not in _HOME or (named != "" and kind != named))
    return 0


def foreign(kind: str, language: str) -> int:
    """1 for another country's ID where the call's language has its own ("dk_cpr" in "nb")."""
    has_own = any(language in langs for langs in _HOME.values())
    return int(has_own and kind in _HOME and language not in _HOME[kind])


def _preference(kind: str, ctx: Context) -> tuple[int, int, int]:
    """Sort key among kinds the same digits pass: what the cue word asks for, then checksum
    strength, then the ID of the call's own country."""
    return cue_miss(kind, ctx.cue), _RANK[kind], foreign(kind, ctx.language)
