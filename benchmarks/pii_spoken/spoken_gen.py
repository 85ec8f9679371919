"""Sentences with personal data to be spoken by TTS, and sentences with harmless numbers.

Written independently of the detector (no import from ``pii``): its own digit words, pair
and hundred words from ``num2words``, its own valid numbers (python-stdnum check digits,
phonenumbers' plans). Each sentence is (prefix, item, suffix) text plus the item's truth;
the item is synthesised on its own so its place in the audio is known exactly.

Kinds: phone, phone_cc (with country code), card, card_last4 (partial, cued), no_fnr,
dk_cpr, se_pnr, account, email, multi_turn (a card or ID dictated in pieces with pauses);
negatives: price, time, date, quantity, duration, always (24/7), cases, year, order.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

import phonenumbers
from stdnum import luhn
from stdnum.dk import cpr
from stdnum.no import fodselsnummer, kontonr
from stdnum.se import personnummer

LANGS = ("en", "nb", "nn", "da", "sv")
N2W = {"en": "en", "nb": "no", "nn": "no", "da": "da", "sv": "sv"}
DIGIT_WORDS = {
    "en": ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
    "nb": ["null", "en", "to", "tre", "fire", "fem", "seks", "sju", "åtte", "ni"],
    "nn": ["null", "ein", "to", "tre", "fire", "fem", "seks", "sju", "åtte", "ni"],
    "da": ["nul", "en", "to", "tre", "fire", "fem", "seks", "syv", "otte", "ni"],
    "sv": ["noll", "ett", "två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio"],
}
REGION = {"en": "GB", "nb": "NO", "nn": "NO", "da": "DK", "sv": "SE"}
DOUBLE = {"en": "double", "nb": "dobbel", "nn": "dobbel", "da": "dobbelt", "sv": "dubbel"}


@dataclass
class Sentence:
    lang: str
    kind: str  # a PII kind, or "neg:<type>"
    prefix: str
    items: list[str]  # item text; several for a number dictated in pieces
    suffix: str
    truth: str = ""  # digits or address ("" for negatives)
    style: str = ""
    pauses_s: list[float] = field(default_factory=list)  # silence between item pieces

    @property
    def negative(self) -> bool:
        return self.kind.startswith("neg:")


def words_nn(text: str) -> str:
    """Nynorsk forms of num2words' Bokmål output."""
    out = []
    for word in text.split():
        word = {"en": "ein", "syv": "sju", "sytti": "sytti"}.get(word, word)
        word = word.replace("syv", "sju").replace("tjue", "tjue")
        out.append(word)
    return " ".join(out)


def pair_words(n: int, lang: str) -> str:
    from num2words import num2words  # benchmark-only dependency, imported when used

    text = num2words(n, lang=N2W[lang]).replace("-", " " if lang == "en" else "")
    if lang in ("nb", "nn"):
        text = text.replace("syv", "sju")
    return words_nn(text) if lang == "nn" else text


def say_chunk(chunk: str, lang: str, style: str) -> str:
    """One group of digits in words, in the given style."""
    digits = DIGIT_WORDS[lang]
    if style == "pairs" and len(chunk) == 2 and chunk[0] != "0":
        return pair_words(int(chunk), lang)
    if style == "hundreds" and len(chunk) == 3 and chunk[0] != "0":
        return (
            pair_words(int(chunk), lang)
            .replace("en hundre", "hundre")
            .replace("one hundred", "one hundred")
        )
    if style == "double" and len(chunk) >= 2:
        out, i = [], 0
        while i < len(chunk):
            if i + 1 < len(chunk) and chunk[i] == chunk[i + 1]:
                out += [DOUBLE[lang], digits[int(chunk[i])]]
                i += 2
            else:
                out.append(digits[int(chunk[i])])
                i += 1
        return " ".join(out)
    if style == "numerals":  # left to the TTS voice to read, in twos or threes
        if len(chunk) <= 3:
            return chunk
        return " ".join(chunk[i : i + 2] for i in range(0, len(chunk), 2))
    if lang == "en" and style != "digits" and chunk.count("0") and random.random() < 0.5:
        return " ".join("oh" if c == "0" else digits[int(c)] for c in chunk)
    return " ".join(digits[int(c)] for c in chunk)


def say_number(digits: str, groups: tuple[int, ...], lang: str, style: str) -> str:
    out, at = [], 0
    for size in groups:
        out.append(say_chunk(digits[at : at + size], lang, style))
        at += size
    if at < len(digits):
        out.append(say_chunk(digits[at:], lang, style))
    return ", ".join(out)


# ------------------------------------------------------------------------------ values


def _date(rng: random.Random) -> datetime.date:
    return datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randint(0, 19000))


def fnr(rng: random.Random, born_on=_date) -> str:
    """A valid fødselsnummer for a birth date ``born_on(rng)`` draws, drawn again until the
    check digits fit."""
    while True:
        born = born_on(rng)
        serial = rng.randint(0, 499) if born.year < 2000 else rng.randint(500, 999)
        body = born.strftime("%d%m%y") + f"{serial:03d}"
        body += fodselsnummer.calc_check_digit1(body)
        body += fodselsnummer.calc_check_digit2(body)
        if len(body) == 11 and fodselsnummer.is_valid(body):
            return body


def cpr_number(rng: random.Random) -> str:
    while True:
        born = _date(rng)
        number = born.strftime("%d%m%y") + f"{rng.randint(0, 3999):04d}"
        if cpr.is_valid(number):
            return number


def pnr(rng: random.Random) -> str:
    while True:
        body = _date(rng).strftime("%y%m%d") + f"{rng.randint(0, 999):03d}"
        number = body + luhn.calc_check_digit(body)
        if personnummer.is_valid(number):
            return number


def card(rng: random.Random) -> str:
    prefix = rng.choice(("4", "4", "51", "55", "5019", "37"))
    length = 15 if prefix == "37" else 16
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return body + luhn.calc_check_digit(body)


def account(lang: str, rng: random.Random) -> tuple[str, tuple[int, ...]]:
    if lang in ("nb", "nn"):
        while True:
            number = "".join(rng.choice("0123456789") for _ in range(11))
            if kontonr.is_valid(number):
                return number, (4, 2, 5)
    if lang == "da":  # reg. nr + konto
        return f"{rng.randint(1000, 9999)}" + "".join(
            rng.choice("0123456789") for _ in range(10)
        ), (4, 4, 3, 3)
    if lang == "sv":  # clearing + konto
        return f"{rng.randint(3000, 9999)}" + "".join(rng.choice("0123456789") for _ in range(7)), (
            4,
            3,
            2,
            2,
        )
    return "".join(rng.choice("0123456789") for _ in range(14)), (2, 2, 2, 4, 4)  # sort + acct


PLANS = {"NO": ("4", "9"), "DK": ("2", "3", "4", "5", "6"), "SE": ("070", "072", "073", "076"),
         "GB": ("074", "075", "077", "079")}  # fmt: skip
LENGTH = {"NO": 8, "DK": 8, "SE": 10, "GB": 11}
PHONE_GROUPS = {"NO": ((3, 2, 3), (2, 2, 2, 2)), "DK": ((2, 2, 2, 2),),
                "SE": ((3, 3, 2, 2), (3, 2, 2, 3)), "GB": ((5, 6), (5, 3, 3))}  # fmt: skip


def phone(region: str, rng: random.Random) -> str:
    while True:
        prefix = rng.choice(PLANS[region])
        body = prefix + "".join(
            rng.choice("0123456789") for _ in range(LENGTH[region] - len(prefix))
        )
        if phonenumbers.is_valid_number(phonenumbers.parse(body, region)):
            return body


# ------------------------------------------------------------------------------ templates

T = {
    "en": {
        "phone": [
            ("My mobile number is", "."),
            ("You can call me on", ", thanks."),
            ("Yes, it's", "."),
            ("The best number to reach me is", "."),
        ],
        "card": [("My card number is", "."), ("The Visa card is", ", expiry next year.")],
        "card_last4": [("The last four digits of the card are", ".")],
        "id": [("My Norwegian national ID number is", "."), ("My personal number is", ".")],
        "account": [("My bank account is sort code and account", ".")],
        "email": [("My email is", "."), ("Please send it to", ", thank you.")],
    },
    "nb": {
        "phone": [
            ("Mobilnummeret mitt er", "."),
            ("Du kan ringe meg på", ", takk."),
            ("Ja, det er", "."),
            ("Telefonen min er", " hvis noe skjer."),
        ],
        "card": [("Kortnummeret er", "."), ("Jeg betaler med Visa,", ".")],
        "card_last4": [("De fire siste sifrene på kortet er", ".")],
        "id": [("Fødselsnummeret mitt er", "."), ("Personnummeret er", ", stemmer det?")],
        "account": [("Kontonummeret mitt er", ".")],
        "email": [("E-posten min er", "."), ("Send det til", ", takk.")],
    },
    "nn": {
        "phone": [
            ("Mobilnummeret mitt er", "."),
            ("Du kan ringje meg på", ", takk."),
            ("Ja, det er", "."),
        ],
        "card": [("Kortnummeret er", ".")],
        "card_last4": [("Dei fire siste sifra på kortet er", ".")],
        "id": [("Fødselsnummeret mitt er", "."), ("Personnummeret er", ".")],
        "account": [("Kontonummeret mitt er", ".")],
        "email": [("E-posten min er", "."), ("Send det til", ", takk.")],
    },
    "da": {
        "phone": [
            ("Mit mobilnummer er", "."),
            ("Du kan ringe til mig på", ", tak."),
            ("Ja, det er", "."),
        ],
        "card": [("Kortnummeret er", "."), ("Jeg betaler med kortet", ".")],
        "card_last4": [("De sidste fire cifre på kortet er", ".")],
        "id": [("Mit CPR-nummer er", "."), ("CPR nummeret er", ", passer det?")],
        "account": [("Mit reg. nummer og kontonummer er", ".")],
        "email": [("Min mail er", "."), ("Send det til", ", tak.")],
    },
    "sv": {
        "phone": [
            ("Mitt mobilnummer är", "."),
            ("Du kan ringa mig på", ", tack."),
            ("Ja, det är", "."),
        ],
        "card": [("Kortnumret är", "."), ("Jag betalar med kortet", ".")],
        "card_last4": [("De sista fyra siffrorna på kortet är", ".")],
        "id": [("Mitt personnummer är", "."), ("Personnumret är", ", stämmer det?")],
        "account": [("Clearingnummer och kontonummer är", ".")],
        "email": [("Min mejl är", "."), ("Skicka det till", ", tack.")],
    },
}
AT = {"en": ["at"], "nb": ["krøllalfa", "alfakrøll"], "nn": ["krøllalfa"], "da": ["snabel-a"],
      "sv": ["snabel-a"]}  # fmt: skip
DOT = {"en": ["dot"], "nb": ["punktum"], "nn": ["punktum"], "da": ["punktum", "prik"],
       "sv": ["punkt"]}  # fmt: skip
NAMES = [
    "ola",
    "kari",
    "nordmann",
    "hansen",
    "lars",
    "anne",
    "berg",
    "emma",
    "jonas",
    "lund",
    "smith",
]
DOMAINS = {"en": ["example", "gmail", "outlook"], "nb": ["eksempel", "firma", "online"],
           "nn": ["eksempel", "firma"], "da": ["eksempel", "firma", "post"],
           "sv": ["exempel", "foretag", "telia"]}  # fmt: skip
TLD = {"en": ["com", "net"], "nb": ["no", "com"], "nn": ["no"], "da": ["dk", "com"],
       "sv": ["se", "com"]}  # fmt: skip

NEG = {
    "en": [("price", "It costs {p} pounds a month."), ("time", "We open at {h} and close at {h2}."),
           ("time", "The meeting is at {hm}."), ("date", "It was delivered on {date}."),
           ("quantity", "I ordered {q} boxes and {q2} cables."),
           ("duration", "I waited {q} minutes."),
           ("always", "Support is open 24/7."),
           ("cases", "We have {q} open cases and {q2} closed."),
           ("year", "I have been a customer since {y}."), ("order", "My order number is {o}."),
           ("price", "That's {p} pounds and {q} pence.")],
    "nb": [("price", "Det koster {p} kroner i måneden."),
    ("time", "Vi åpner klokka {h} og stenger klokka {h2}."),
           ("time", "Møtet er klokka {hm}."), ("date", "Pakken kom {date}."),
           ("quantity", "Jeg bestilte {q} esker og {q2} kabler."),
           ("duration", "Jeg ventet i {q} minutter."),
           ("always", "Kundeservice er åpen hele døgnet, tjuefire sju."),
           ("cases", "Vi har {q} åpne saker."),
           ("year", "Jeg har vært kunde siden {y}."), ("order", "Ordrenummeret er {o}.")],
    "nn": [("price", "Det kostar {p} kroner i månaden."), ("time", "Vi opnar klokka {h}."),
           ("quantity", "Eg bestilte {q} esker."), ("duration", "Eg venta i {q} minutt."),
           ("year", "Eg har vore kunde sidan {y}."), ("order", "Ordrenummeret er {o}."),
           ("date", "Pakken kom {date}.")],
    "da": [("price", "Det koster {p} kroner om måneden."), ("time", "Vi åbner klokken {h}."),
           ("time", "Mødet er klokken {hm}."), ("quantity", "Jeg bestilte {q} kasser."),
           ("duration", "Jeg ventede i {q} minutter."), ("year", "Jeg har været kunde siden {y}."),
           ("order", "Ordrenummeret er {o}."), ("date", "Pakken kom {date}.")],
    "sv": [("price", "Det kostar {p} kronor i månaden."), ("time", "Vi öppnar klockan {h}."),
           ("time", "Mötet är klockan {hm}."), ("quantity", "Jag beställde {q} lådor."),
           ("duration", "Jag väntade i {q} minuter."), ("year", "Jag har varit kund sedan {y}."),
           ("order", "Ordernumret är {o}."), ("date", "Paketet kom {date}.")],
}  # fmt: skip


def negative(lang: str, rng: random.Random) -> Sentence:
    kind, template = rng.choice(NEG[lang])
    date = _date(rng).replace(year=rng.randint(2019, 2025))
    values = {
        "p": str(rng.choice((rng.randint(49, 999), rng.randint(1000, 24999)))),
        "q": str(rng.randint(2, 45)), "q2": str(rng.randint(2, 30)),
        "h": str(rng.randint(7, 11)), "h2": str(rng.randint(15, 22)),
        "hm": f"{rng.randint(8, 20)}:{rng.choice(('15', '30', '45'))}",
        "y": str(rng.randint(1995, 2024)),
        "date": date.strftime("%d.%m.%Y") if lang != "en" else date.strftime("%d %B %Y"),
        "o": " ".join(str(rng.randint(1000, 9999)) for _ in range(2)),
    }  # fmt: skip
    return Sentence(lang, f"neg:{kind}", template.format(**values), [], "")


def email(lang: str, rng: random.Random) -> tuple[str, str]:
    local = rng.sample(NAMES, rng.choice((1, 2)))
    domain = rng.choice(DOMAINS[lang])
    tld = rng.choice(TLD[lang])
    dot, at = rng.choice(DOT[lang]), rng.choice(AT[lang])
    spoken = f" {dot} ".join(local) + f" {at} {domain} {dot} {tld}"
    return spoken, ".".join(local) + f"@{domain}.{tld}"


STYLES = {"en": ("digits", "digits", "double", "numerals"),
          "nb": ("digits", "pairs", "pairs", "hundreds", "numerals"),
          "nn": ("digits", "pairs", "pairs", "numerals"),
          "da": ("pairs", "pairs", "digits", "numerals"),
          "sv": ("digits", "pairs", "numerals")}  # fmt: skip


def pii_sentence(lang: str, kind: str, rng: random.Random) -> Sentence:
    style = rng.choice(STYLES[lang])
    group_kind = kind
    if kind == "email":
        spoken, truth = email(lang, rng)
        prefix, suffix = rng.choice(T[lang]["email"])
        return Sentence(lang, kind, prefix, [spoken], suffix, truth, "spoken")
    if kind in ("phone", "phone_cc"):
        region = REGION[lang]
        digits = phone(region, rng)
        groups = rng.choice(PHONE_GROUPS[region])
        said = say_number(digits, groups, lang, style)
        if kind == "phone_cc":
            code = str(phonenumbers.country_code_for_region(region))
            digits = code + digits.lstrip("0")
            plus = {"en": "plus", "sv": "plus", "da": "plus"}.get(lang, "pluss")
            said = f"{plus} {say_chunk(code, lang, 'pairs' if lang != 'en' else 'digits')}, " + (
                say_number(digits[len(code) :], groups, lang, style)
            )
        group_kind = "phone"
    elif kind in ("card", "multi_turn"):
        digits = card(rng)
        groups = (4, 4, 4, 4) if len(digits) == 16 else (4, 6, 5)
        style = "digits" if style in ("pairs", "hundreds") and rng.random() < 0.5 else style
        said = say_number(digits, groups, lang, style)
        group_kind = "card"
    elif kind == "card_last4":
        digits = "".join(rng.choice("0123456789") for _ in range(4))
        said = say_chunk(digits, lang, "digits")
    elif kind in ("no_fnr", "dk_cpr", "se_pnr"):
        digits = {"no_fnr": fnr, "dk_cpr": cpr_number, "se_pnr": pnr}[kind](rng)
        groups = {"no_fnr": (6, 5), "dk_cpr": (6, 4), "se_pnr": (6, 4)}[kind]
        said = say_number(digits, (2, 2, 2, *groups[1:]), lang, style)
        group_kind = "id"
    elif kind == "account":
        digits, groups = account(lang, rng)
        said = say_number(digits, groups, lang, style)
    else:
        raise ValueError(kind)
    prefix, suffix = rng.choice(T[lang][group_kind])
    if kind == "multi_turn":  # the same card number, said in its four groups with pauses
        pieces = [say_chunk(digits[i : i + 4], lang, "digits") for i in range(0, len(digits), 4)]
        return Sentence(lang, kind, prefix, pieces, suffix, digits, "pieces",
                        [round(rng.uniform(2.5, 6.0), 2) for _ in pieces[1:]])  # fmt: skip
    return Sentence(lang, kind, prefix, [said], suffix, digits, style)


PII_KINDS = {
    "en": ("phone", "phone", "phone_cc", "card", "card", "card_last4", "no_fnr", "account",
           "email", "email", "multi_turn"),
    "nb": ("phone", "phone", "phone_cc", "card", "card_last4", "no_fnr", "no_fnr", "account",
           "email", "email", "multi_turn"),
    "nn": ("phone", "phone", "card", "card_last4", "no_fnr", "no_fnr", "account", "email",
           "multi_turn"),
    "da": ("phone", "phone", "phone_cc", "card", "card_last4", "dk_cpr", "dk_cpr", "account",
           "email", "email", "multi_turn"),
    "sv": ("phone", "phone", "phone_cc", "card", "card_last4", "se_pnr", "se_pnr", "account",
           "email", "email", "multi_turn"),
}  # fmt: skip


def build(lang: str, n_pii: int, n_neg: int, seed: int) -> list[Sentence]:
    """``n_pii`` sentences with one item each (kinds in rotation) and ``n_neg`` negatives,
    shuffled."""
    rng = random.Random(f"{seed}-{lang}")
    random.seed(f"{seed}-{lang}-style")
    kinds = PII_KINDS[lang]
    out = [pii_sentence(lang, kinds[i % len(kinds)], rng) for i in range(n_pii)]
    out += [negative(lang, rng) for _ in range(n_neg)]
    rng.shuffle(out)
    return out


if __name__ == "__main__":
    for lang in LANGS:
        for s in build(lang, 12, 4, 1):
            print(
                lang, s.kind, "|", s.prefix, "|", " / ".join(s.items), "|", s.suffix, "|", s.truth
            )
