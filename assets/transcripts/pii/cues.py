"""Context words: what a nearby word says about the number next to it.

A *positive cue* names personal data ("nummer", "telefon", "kort", "konto", "CPR"...) and
lets a short or checksum-failing number be redacted; a *negative cue* names a number that is
not personal data ("ordrenummer", "case number", "postnummer"); *unit* and *currency*
words make a number an amount, *time* words make it a time of day.
Matching is by word prefix on the lower-cased word, so inflections and compounds
("telefonnummeret", "kortnumret", "CPR-nummeret") match.
"""

from __future__ import annotations

PHONE, CARD, ID, ACCOUNT, EMAIL = "phone", "card", "id", "account", "email"

#: Checked first: a compound like "ordrenummer" also contains "nummer". Common words that
#: only sometimes name a number ("vare", "tog", "side", "gate") are left out: a wrong
#: negative cue loses personal data.
NEGATIVE_PREFIXES = (
    "ordre", "order", "faktura", "invoice", "sak", "ärende", "ärend", "case", "ticket",
    "referan", "referen", "ref", "kunde", "kund", "customer", "medlem", "member", "bestilling",
    "beställning", "booking",
    "post", "zip", "sporing", "tracking", "spårning", "serie", "serial", "artikkel", "artikel",
    "produkt", "product", "modell", "model", "flight", "train",
    "room", "værelse", "table", "versjon", "version", "kampanje",
    "kampagne", "kampanj", "pin", "kode", "kod", "code", "linje",
    "buss", "bus", "husnummer", "gatenummer", "lager", "plass", "sete", "seat",
)  # fmt: skip

#: (prefix, kind) for positive cues; kind "id:<kind>" names one country's national ID.
#: Prefixes of four letters or fewer match only the whole word, a hyphenated compound or
#: a compound with a number word ("tlf", "tlf-nummer", "idnummer", "orgnr"), so "id" does
#: not match "idag" nor "pass" "passer".
POSITIVE_PREFIXES = (
    ("fødselsn", "id:no_fnr"), ("fødselsnr", "id:no_fnr"), ("fnr", "id:no_fnr"),
    ("d-nummer", "id:no_fnr"), ("dnummer", "id:no_fnr"), ("cpr", "id:dk_cpr"),
    ("personn", "id"), ("personnr", "id"), ("personal", "id"), ("person", "id"),
    ("id", "id"), ("identitet", "id"), ("identity", "id"), ("identification", "id"),
    ("ssn", "id"), ("social", "id"), ("national", "id"), ("passport", "id"), ("pass", "id"),
    ("førerkort", "id"), ("körkort", "id"), ("kørekort", "id"), ("licence", "id"),
    ("license", "id"), ("samordning", "id"), ("org", "id"), ("organisasjon", "id"),
    ("organisation", "id"), ("cvr", "id"), ("ssn", "id"),
    ("kort", CARD), ("card", CARD), ("visa", CARD), ("mastercard", CARD), ("dankort", CARD),
    ("amex", CARD), ("kredit", CARD), ("credit", CARD), ("debit", CARD), ("betalingskort", CARD),
    ("cvc", CARD), ("cvv", CARD), ("utløp", CARD), ("expiry", CARD),
    ("konto", ACCOUNT), ("account", ACCOUNT), ("bank", ACCOUNT), ("iban", ACCOUNT),
    ("clearing", ACCOUNT), ("reg", ACCOUNT), ("sort", ACCOUNT), ("giro", ACCOUNT),
    ("telefon", PHONE), ("telephone", PHONE), ("tlf", PHONE), ("tel", PHONE),
    ("mobil", PHONE), ("mobile", PHONE), ("mob", PHONE), ("phone", PHONE), ("cell", PHONE),
    ("ringe", PHONE), ("ring", PHONE), ("ringa", PHONE), ("ringer", PHONE), ("call", PHONE),
    ("sms", PHONE), ("text", PHONE), ("kontakt", PHONE), ("contact", PHONE), ("reach", PHONE),
    ("whatsapp", PHONE), ("direkte", PHONE), ("direct", PHONE), ("fax", PHONE), ("faks", PHONE),
    ("e-post", EMAIL), ("epost", EMAIL), ("email", EMAIL), ("e-mail", EMAIL), ("mail", EMAIL),
    ("mejl", EMAIL), ("mailen", EMAIL),
)  # fmt: skip
#: Verbs that announce an address ("send it to", "skicka det till"): e-mail cues only for
#: addresses written without an "at".
SEND_WORDS = ("send", "sende", "sendt", "skicka", "skick", "write", "skriv", "mail", "mejla")


def _matches(text: str, prefix: str) -> bool:
    if not text.startswith(prefix):
        return False
    if len(prefix) > 4 or text == prefix:
        return True
    rest = text[len(prefix) :].lstrip("-")
    rest = rest[1:] if rest.startswith("s") and rest[1:].startswith(GENERIC_NUMBER) else rest
    return rest.startswith(GENERIC_NUMBER) or rest in ("en", "et", "ens", "s", "a")


#: A bare "nummer"/"number" is a cue of its own: a phone unless the word before names more.
GENERIC_NUMBER = ("nummer", "number", "numret", "numre", "numm", "nr", "no.", "nummber", "siffer",
                  "siffr", "cifre", "digits", "digit")  # fmt: skip

#: Words right after a number that make it an amount, a measure or a duration.
UNIT_WORDS = frozenset(
    [
        "kr",
        "kr.",
        "kroner",
        "krone",
        "kronor",
        "krona",
        "kronen",
        "nok",
        "sek",
        "dkk",
        "eur",
        "euro",
        "euros",
        "dollar",
        "dollars",
        "usd",
        "pound",
        "pounds",
        "quid",
        "pund",
        "gbp",
        "øre",
        "öre",
        "cent",
        "cents",
        "pence",
        "p",
        "prosent",
        "procent",
        "percent",
        "%",
        "prosenten",
        "million",
        "millioner",
        "miljoner",
        "millions",
        "mill",
        "mrd",
        "milliarder",
        "billion",
        "tusen",
        "tusind",
        "thousand",
        "kilo",
        "kg",
        "gram",
        "g",
        "km",
        "meter",
        "m",
        "mil",
        "kilometer",
        "liter",
        "l",
        "minutter",
        "minutters",
        "minuter",
        "minutes",
        "minute",
        "min",
        "timer",
        "timmar",
        "timar",
        "hours",
        "hour",
        "time",
        "timme",
        "sekunder",
        "seconds",
        "second",
        "sek",
        "dager",
        "dage",
        "dagar",
        "days",
        "day",
        "døgn",
        "dygn",
        "år",
        "years",
        "year",
        "måneder",
        "måned",
        "månader",
        "månad",
        "months",
        "month",
        "uker",
        "uke",
        "veckor",
        "vecka",
        "weeks",
        "week",
        "stk",
        "stykk",
        "stykker",
        "styk",
        "styck",
        "stycken",
        "pieces",
        "items",
        "gange",
        "gånger",
        "times",
        "ganger",
        "personer",
        "people",
        "persons",
        "folk",
        "pers",
        "mennesker",
        "människor",
        "barn",
        "kids",
        "children",
        "items",
        "ting",
        "kilowatt",
        "kwh",
        "gb",
        "mb",
        "tb",
        "ghz",
        "mbit",
        "prosent",
        "grader",
        "degrees",
    ]
)
CURRENCY_BEFORE = frozenset(
    ["kr", "kr.", "nok", "sek", "dkk", "eur", "usd", "gbp", "$", "£", "€", "dollar", "euro"]
)
#: Words around a time of day ("klokka 14 30", "at 8 45 am", "halv tre").
TIME_WORDS = frozenset(
    [
        "klokka",
        "klokken",
        "klockan",
        "kl",
        "kl.",
        "am",
        "pm",
        "a.m.",
        "p.m.",
        "o'clock",
        "oclock",
        "tiden",
    ]
)


def _core(word: str) -> str:
    return word.strip().strip("\"'()[]{}«»\u201c\u201d\u2018\u2019¿¡.,!?;:…").lower()


def positive_kind(word: str, before: str = "") -> str | None:
    """The kind a positive cue word names, or None.

    ``before`` is the previous word: "CPR nummer", "order number" take their meaning from it.
    """
    text = _core(word)
    if not text:
        return None
    if is_negative(text):
        return None
    for prefix, kind in POSITIVE_PREFIXES:
        if _matches(text, prefix):
            return kind
    if text.startswith(GENERIC_NUMBER):
        previous = _core(before)
        if previous and is_negative(previous):
            return None
        return positive_kind(previous) if previous and positive_kind(previous) else PHONE
    return None


def is_negative(word: str) -> bool:
    """Whether a word names a number that is not personal data ("ordrenummer", "case")."""
    text = _core(word)
    if not text or text.startswith(("personn", "telefon", "kortn", "kontonr", "kontonum")):
        return False
    return any(_matches(text, prefix) for prefix in NEGATIVE_PREFIXES)


def is_unit(word: str) -> bool:
    return _core(word) in UNIT_WORDS or word.strip().lower() in UNIT_WORDS


def is_currency(word: str) -> bool:
    return word.strip().lower() in CURRENCY_BEFORE or _core(word) in CURRENCY_BEFORE


def is_time_word(word: str) -> bool:
    text = word.strip().lower().strip(",.!?")
    return text in TIME_WORDS or (
        text.endswith(("am", "pm")) and text[:-2].replace(".", "").isdigit()
    )
