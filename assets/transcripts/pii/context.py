"""Context: cue words before a number ("fødselsnummer", "ordrenummer", "ring") and amount
or unit words around it ("kroner", "prosent") that say what kind of number it is."""

from __future__ import annotations

from collections.abc import Sequence

from assets.transcripts.engines import Word
from assets.transcripts.pii.tokens import strip_word

#: Words before a number searched for a cue ("fødselsnummer", "ordrenummer", "ring").
CUE_WINDOW = 8

CUE_ID, CUE_PHONE, CUE_OTHER = "id", "phone", "other"


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Numbers that are not personal data in our sense; checked first, since "ordrenummer" also
# contains "nummer".
_OTHER_PREFIXES = (
    "ordre", "order", "kunde", "kund", "customer", "faktura", "invoice", "sak", "ärende",
    "case", "ticket", "referan", "referen", "bestilling", "beställning", "booking", "post",
    "zip", "konto", "account", "medlem", "member", "sporing", "tracking", "serie", "serial",
    "artikkel", "artikel", "vare", "produkt", "product", "modell", "model", "pin", "kode", "kod",
    "code", "avtale", "avtal", "aftale", "agreement", "contract", "kontrakt", "forsikring",
    "polis", "policy", "lisens", "licens", "licence", "license",
)  # fmt: skip
# Words asking for a national ID; some name the country's ("CPR" is Danish). "Personnummer"
# is said in all three countries.
_ID_MARKERS = {
    "fødselsn": "no_fnr", "fødselsnr": "no_fnr", "fnr": "no_fnr", "d-nummer": "no_fnr",
    "cpr": "dk_cpr", "personn": "", "personnr": "", "personal": "", "födelsen": "",
    "identity": "", "ssn": "", "social": "", "national": "",
}  # fmt: skip
_PHONE_PREFIXES = (
    "telefon", "telephone", "tlf", "mobil", "ring", "call", "phone", "cell", "sms", "text",
    "kontakt", "contact", "reach",
)  # fmt: skip
_GENERIC_NUMBER = ("nummer", "number", "numret", "numm", "nr")
# Words written with a full stop that does not end the statement ("ordre nr. 4839").
_ABBREVIATIONS = frozenset({"nr", "no", "tlf", "tel", "ref", "ca", "kr", "bl.a", "f.eks", "e.g"})
# Words right after a number that make it an amount or a measure, not an identifier.
_UNIT_WORDS = word_set(
    """kr kroner krone kronor krona kronen nok sek dkk eur euro euros dollar dollars usd pound
    pounds pund gbp øre öre cent cents prosent procent percent % million millioner miljoner
    millions mill mrd milliarder billion tusen tusind thousand kilo kg gram km meter mil
    kilometer minutter minuter minutes timer timmar hours sekunder sekunder seconds dager dage
    dagar days år years måneder månader months uker veckor weeks stk styk stykker"""
)
_CURRENCY_BEFORE = frozenset({"kr", "nok", "sek", "dkk", "eur", "usd", "gbp", "$", "£", "€"})


def _cue_of(text: str) -> str | None:
    if text.startswith(_OTHER_PREFIXES):
        return CUE_OTHER
    for marker, kind in _ID_MARKERS.items():
        if text.startswith(marker):
            return f"{CUE_ID}:{kind}" if kind else CUE_ID
    if text.startswith(_PHONE_PREFIXES):
        return CUE_PHONE
    return None


def cue_before(words: Sequence[Word], first: int) -> str | None:
    """The nearest cue word before ``first`` saying what kind of number follows.

    The search stops at the end of a statement (a question may carry the cue: "Hva er
    fødselsnummeret ditt? Det er ..."). A bare "nummer"/"number" takes its kind from the word
    before it ("CPR nummer", "order number") and otherwise means a phone ("mitt nummer").
    """
    for index in range(first - 1, max(-1, first - 1 - CUE_WINDOW), -1):
        core, trail = strip_word(words[index].word)
        text = core.lower()
        if any(c in ".!" for c in trail) and text not in _ABBREVIATIONS:
            return None
        if kind := _cue_of(text):
            if kind == CUE_OTHER and _preposition_between(words, index, first):
                # "Is the account on 0770...", "send the invoice to 912...": the number is
                # what the account is on or where it goes, not the account's own number.
                return None
            return kind
        if text.startswith(_GENERIC_NUMBER):
            before = strip_word(words[index - 1].word)[0].lower() if index > 0 else ""
            return _cue_of(before) or CUE_PHONE
    return None


#: Words between an "order"/"account" cue and a number that make the number something else.
_PREPOSITIONS = word_set("on to at via på til till via pr")


def _preposition_between(words: Sequence[Word], cue: int, first: int) -> bool:
    return any(strip_word(words[i].word)[0].lower() in _PREPOSITIONS for i in range(cue + 1, first))


def amount_around(words: Sequence[Word], first: int, last: int) -> bool:
    """Whether a currency or unit word sits right before or after the words first..last."""
    before = strip_word(words[first - 1].word)[0].lower() if first > 0 else ""
    after = strip_word(words[last + 1].word)[0].lower() if last + 1 < len(words) else ""
    return before in _CURRENCY_BEFORE or after in _UNIT_WORDS
