"""The rule set: does a run of dictated digits hold personal data, and of which kind?

In order (first match decides):

1. **Not a number of ours** (no redaction unless rule 3 finds a card or ID checksum):
   an *amount* (a unit or currency word right after/before it, or "thousand"/"million" in
   it), a *time* ("8 .45 am", "klokka 14 30"), a *list of years* (every group a written
   19xx/20xx), *counting* (four or more numbers going up by one), or fewer than 2 digits.
2. **Negative cue** ("ordrenummer", "case number", "postnummer" nearest before it): only a
   fødselsnummer, a 12-digit personnummer or a Luhn-valid card survive.
3. **Checksum or numbering plan** (card Luhn + issuer prefix, fødselsnummer, personnummer,
   CPR with its old mod-11, Norwegian account mod-11, a valid phone number): redact; the
   kind is the validated one that best fits the cue and the call's language.
4. **Positive cue** ("nummer", "telefon", "mobil", "kort", "konto", "CPR", "personnummer",
   ... nearest before it, or just after it) and at least ``CUED_MIN_DIGITS`` digits:
   redact, kind from the cue, whether or not a checksum passes (ASR drops digits).
5. **PII length**: at least ``UNCUED_MIN_DIGITS`` digits with no cue: redact, kind guessed
   from the length and the language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from assets.transcripts.pii import cues, validate
from assets.transcripts.pii.runs import Run
from assets.transcripts.pii.tokens import BIG, SHAPE, Tok, strip

#: Digits a number needs next to a positive cue ("the last four digits of the card").
CUED_MIN_DIGITS = 4
#: Digits a number needs without any cue (a Norwegian or Danish phone has 8; one may be lost).
UNCUED_MIN_DIGITS = 7
#: Words searched before a number for a cue.
CUE_WINDOW = 12
#: Words searched after a number for a cue ("91 23 45 67 er mobilnummeret mitt").
CUE_AFTER = 4
#: Abbreviations whose full stop does not end a sentence.
ABBREVIATIONS = frozenset({"nr", "no", "tlf", "tel", "ref", "ca", "kr", "f.eks", "e.g", "mob"})

#: Words between a negative cue and a number that make the number something else.
PREPOSITIONS = frozenset({"on", "to", "at", "via", "på", "til", "till", "pr"})

NEGATIVE = "negative"


@dataclass(frozen=True)
class Decision:
    kind: str
    normalized: str
    rule: str  # "checksum", "cue" or "length"


def _ends_sentence(word: str) -> bool:
    core, trail = strip(word)
    return any(c in ".!" for c in trail) and core.lower() not in ABBREVIATIONS


def cue_for(words: Sequence[str], first: int, last: int,
            numbers: frozenset[int] = frozenset()) -> str | None:  # fmt: skip
    """The nearest cue around words first..last: a positive kind, ``NEGATIVE`` or None.

    Backwards the search may cross one sentence end when the number opens the next
    sentence ("Hva er nummeret ditt? Det er ..."); forwards it stays in the sentence. It
    stops at another number (word indices in ``numbers``): a cue belongs to the nearest one.
    """
    stops = 0
    for index in range(first - 1, max(-1, first - 1 - CUE_WINDOW), -1):
        word = words[index]
        if index in numbers:
            break
        if _ends_sentence(word):
            stops += 1
            if stops > 1 or first - index > 5:
                break
        if cues.is_negative(word):
            if any(strip(words[i])[0].lower() in PREPOSITIONS for i in range(index + 1, first)):
                # "send the invoice to 912...", "the order is on 0770...": the number is where
                # the invoice goes, not the invoice's own number; look further back.
                continue
            return NEGATIVE
        before = words[index - 1] if index > 0 else ""
        if kind := cues.positive_kind(word, before):
            return kind
    if not _ends_sentence(words[last]):
        for index in range(last + 1, min(len(words), last + 1 + CUE_AFTER)):
            if index in numbers:
                break
            kind = cues.positive_kind(words[index], words[index - 1])
            if kind and kind != cues.EMAIL:
                return kind
            if _ends_sentence(words[index]):
                break
    return None


def excluded(run: Run, toks: Sequence[Tok], words: Sequence[str]) -> str | None:
    """Why a run is an amount, a time, years or counting, else None (rule 1)."""
    first, last = run.first, run.last
    prev_tok = toks[first - 1] if first > 0 else None
    next_tok = toks[last + 1] if last + 1 < len(toks) else None
    if any(t.kind == BIG for t in (prev_tok, next_tok) if t is not None):
        return "amount"
    if next_tok is not None and cues.is_unit(words[last + 1]):
        return "amount"
    if prev_tok is not None and cues.is_currency(words[first - 1]):
        return "amount"
    if next_tok is not None and (
        (next_tok.kind == SHAPE and next_tok.raw.startswith((".", ":")))
        or cues.is_time_word(words[last + 1])
    ):
        return "time"
    if prev_tok is not None and cues.is_time_word(words[first - 1]) and len(run.digits) <= 4:
        return "time"
    groups = run.groups
    if all(len(g.written) == 4 and g.written[:2] in ("19", "20") for g in groups):
        return "years"
    values = [g.value for g in groups]
    if (
        len(groups) >= 4
        and all(v is not None for v in values)
        and all(b == a + 1 for a, b in pairwise(values))  # type: ignore[operator]
    ):
        return "counting"
    if len(run.digits) < 2:
        return "short"
    return None


def _date_like(digits: str, order: str) -> bool:
    """Whether digits start with a date: "dmy" (NO/DK ids) or "ymd" (SE)."""
    try:
        if order == "dmy":
            day, month, year = int(digits[0:2]), int(digits[2:4]), 1900 + int(digits[4:6])
        else:
            year, month, day = 1900 + int(digits[0:2]), int(digits[2:4]), int(digits[4:6]) % 60
        date(year, month, day)
    except ValueError:
        return False
    return True


def _guess(digits: str, plus: bool, language: str, cue: str | None) -> str:
    """The kind of an unvalidated number, from its cue, else its length and language."""
    if cue in (cues.PHONE, cues.CARD, cues.ACCOUNT):
        return str(cue)
    if cue is not None and cue.startswith("id"):
        named = cue.partition(":")[2]
        return named or validate.HOME_ID.get(language, "id")
    n = len(digits)
    if plus or digits.startswith("00"):
        return "phone"
    if n >= 13:
        return "card"
    if n == 11 and language in ("nb", "nn") and _date_like(digits, "dmy"):
        return "no_fnr"
    if n == 10 and language == "da" and _date_like(digits, "dmy"):
        return "dk_cpr"
    if n in (10, 12) and language == "sv" and _date_like(digits[-10:], "ymd"):
        return "se_pnr"
    if n <= 12:
        return "phone"
    return "number"


#: Preference among kinds the same digits validate as (lower first).
_RANK = {"no_fnr": 0, "card": 0, "se_pnr": 1, "dk_cpr": 1, "phone": 3, "account": 4}


def _pick(found: dict[str, str], cue: str | None, language: str,
          primary: frozenset[str] = frozenset()) -> tuple[str, str]:  # fmt: skip
    """The kind that fits the cue best; then one the run's own reading validates as (a split
    reading passing a checksum by chance loses to it); then by ``_RANK``."""

    def fit(kind: str) -> tuple[int, int, int, int]:
        if cue == cues.PHONE:
            miss = kind != "phone"
        elif cue in (cues.CARD, cues.ACCOUNT):
            miss = kind != cue
        elif cue is not None and cue.startswith("id"):
            named = cue.partition(":")[2]
            miss = kind not in ("no_fnr", "dk_cpr", "se_pnr") or bool(named and kind != named)
        else:
            miss = False
        foreign = kind in ("no_fnr", "dk_cpr", "se_pnr") and validate.HOME_ID.get(language) not in (
            None,
            kind,
        )
        return int(miss), int(kind not in primary), _RANK.get(kind, 4), int(foreign)

    kind = min(found, key=fit)
    return kind, found[kind]


def _fits(kind: str, cue: str) -> bool:
    if cue in (cues.PHONE, cues.CARD, cues.ACCOUNT):
        return kind == cue
    if cue.startswith("id"):
        named = cue.partition(":")[2]
        return kind in ("no_fnr", "dk_cpr", "se_pnr") and (not named or kind == named)
    return True


def _readings(run: Run) -> list[tuple[str, bool]]:
    """Digit strings to try validators on: the run, its split reading, and the run without
    a weak edge word ("en 91234567")."""
    out = [(run.digits, run.plus)]
    if run.alt_digits != run.digits:
        out.append((run.alt_digits, run.plus))
    groups = run.groups
    if len(groups) > 1 and groups[0].weak:
        out.append(("".join(g.digits for g in groups[1:]), groups[1].plus))
    if len(groups) > 1 and groups[-1].weak:
        out.append(("".join(g.digits for g in groups[:-1]), run.plus))
    return out


def decide(run: Run, cue: str | None, why_not: str | None, language: str,
           region: str) -> Decision | None:  # fmt: skip
    """Rules 1-5 for one (possibly merged) run."""
    digits = run.digits
    found: dict[str, str] = {}
    primary: set[str] = set()  # kinds the run's own digits validate as
    if len(digits) >= 7:
        for index, (reading, plus) in enumerate(_readings(run)):
            for kind, norm in validate.strong_kinds(reading, plus, region).items():
                found.setdefault(kind, norm)
                if index == 0:
                    primary.add(kind)
        if language not in ("da",) and "dk_cpr" in found and cue != "id:dk_cpr":
            del found["dk_cpr"]  # the old CPR checksum is weak evidence outside Danish calls
        if cue == "id:dk_cpr" and validate.dk_cpr_date(digits):
            found.setdefault("dk_cpr", digits)  # since 2007 a CPR number is only a date
    if why_not is not None or cue == NEGATIVE:
        keep = {k: v for k, v in found.items() if k in ("no_fnr", "card") or
                (k == "se_pnr" and len(v) == 12)}  # fmt: skip
        if why_not in ("short",) or not keep:
            return None
        kind, norm = _pick(keep, None, language, frozenset(primary))
        return Decision(kind, norm, "checksum")
    if found:
        kind, norm = _pick(found, cue, language, frozenset(primary))
        if cue is None or _fits(kind, cue) or kind not in ("phone", "account"):
            return Decision(kind, norm, "checksum")
        # The cue names another kind than a weak validation (a phone plan, an account
        # mod-11) that passed ("CPR-nummer" before eight digits that happen to be a valid
        # phone): the cue wins. Checksummed IDs and cards keep their kind.
        return Decision(
            _guess(digits, run.plus, language, cue), ("+" if run.plus else "") + digits, "cue"
        )
    plain = ("+" if run.plus else "") + digits
    if cue is not None and cue != cues.EMAIL and len(digits) >= CUED_MIN_DIGITS:
        return Decision(_guess(digits, run.plus, language, cue), plain, "cue")
    if len(digits) >= UNCUED_MIN_DIGITS:
        return Decision(_guess(digits, run.plus, language, None), plain, "length")
    return None
