"""Personal data in word-level transcripts: numbers as digits, groups and number words."""

from __future__ import annotations

import datetime

import phonenumbers
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.dk import cpr
from stdnum.no import fodselsnummer
from stdnum.se import personnummer

from assets.transcripts.engines import Word
from assets.transcripts.pii import NumberRun, PiiSpan, find_pii, number_runs, redact_text

LANGUAGES = ("nb", "nn", "da", "sv", "en")


def words(text: str, gap: float = 0.1) -> list[Word]:
    """Transcript words of a text, 0.3 s each, ``gap`` apart."""
    step = 0.3 + gap
    return [
        Word(token, round(i * step, 3), round(i * step + 0.3, 3), 0.9, 0)
        for i, token in enumerate(text.split())
    ]


def found(text: str, language: str, **kwargs: str) -> list[tuple[str, str, int, int]]:
    """(kind, normalized, first word, last word) of each span found in a text."""
    return [
        (s.kind, s.normalized, s.first_word, s.last_word)
        for s in find_pii(words(text), language, **kwargs)
    ]


# --------------------------------------------------------------------------------------------
# Number words
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "digits"),
    [
        ("nb", "tjuetre", "23"),
        ("nb", "tjue tre", "23"),
        ("nb", "tre og tjue", "23"),
        ("nb", "treogtjue", "23"),
        ("nb", "sytti syv", "77"),
        ("nb", "ni hundre og tolv", "912"),
        ("nb", "hundre", "100"),
        ("nb", "dobbel sju", "77"),
        ("nb", "null fire sju", "047"),
        ("nn", "ein tjuge", "120"),
        ("nn", "tjugeein", "21"),
        ("da", "toogtyve", "22"),
        ("da", "en-og-tyve", "21"),
        ("da", "fem og tyve", "25"),
        ("da", "fyrre", "40"),
        ("da", "halvtreds", "50"),
        ("da", "seksoghalvtreds", "56"),
        ("da", "niogtres", "69"),
        ("da", "syvoghalvfjerds", "77"),
        ("da", "otteogfirs", "88"),
        ("da", "nioghalvfems", "99"),
        ("da", "tres tre", "603"),  # Danish never says tens before units
        ("da", "tre hundrede og halvtreds", "350"),
        ("sv", "tjugotre", "23"),
        ("sv", "tjugo tre", "23"),
        ("sv", "sjuttiofem", "75"),
        ("sv", "nittionio", "99"),
        ("sv", "trettitvå", "32"),
        ("sv", "tvåhundrafemtio", "250"),
        ("sv", "noll sju noll", "070"),
        ("en", "twenty-two", "22"),
        ("en", "ninety nine", "99"),
        ("en", "nine hundred and twelve", "912"),
        ("en", "oh seven double four", "0744"),
        ("en", "triple one", "111"),
    ],
)
def test_number_words(language: str, text: str, digits: str) -> None:
    tokens = text.split()
    assert number_runs(tokens, language) == [NumberRun(digits, 0, len(tokens) - 1)]


@pytest.mark.parametrize(
    ("language", "text", "runs"),
    [
        ("nb", "pluss førtisju 91-23-45-67.", [("+4791234567", 0, 2)]),
        ("nb", "912.34.567, takk", [("91234567", 0, 0)]),
        ("nb", "(91 23) 45 67!", [("91234567", 0, 3)]),
        ("nb", "tjue, tre", [("203", 0, 1)]),  # the pause keeps them apart
        ("nb", "91 23 og 45 67", [("91234567", 0, 4)]),  # "og" bridges a number said in pieces
        ("nb", "ni en, eh, to tre", [("9123", 0, 4)]),
        ("nb", "91 23. 45 67", [("9123", 0, 1), ("4567", 2, 3)]),
        # Dates and times are shapes, not runs; "1.299" may be a digit group ("912.34.567"):
        # the unit word after it makes it an amount when deciding (find_pii finds nothing).
        ("nb", "født 21.10.1985 klokka 14.30 for 1.299 kroner", [("1299", 5, 5)]),
        ("en", "two and three", [("23", 0, 2)]),  # "and" bridges pieces of one number
        ("en", "Twenty-Two", [("22", 0, 0)]),
        ("sv", "entre", []),  # glued words must read as one number
    ],
)
def test_number_runs_split_and_punctuation(
    language: str, text: str, runs: list[tuple[str, int, int]]
) -> None:
    assert number_runs(text.split(), language) == [NumberRun(*run) for run in runs]


def test_number_runs_break_on_a_long_pause() -> None:
    spaced = words("ni en to tre fire fem seks sju")
    late = [Word(w.word, w.start + 5, w.end + 5, 0.9, 0) for w in spaced[4:]]
    assert number_runs(spaced[:4] + late, "nb") == [
        NumberRun("9123", 0, 3),
        NumberRun("4567", 4, 7),
    ]


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        find_pii(words("91 23 45 67"), "de")


# --------------------------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("nb", "Nummeret mitt er 91 23 45 67.", ("+4791234567", 3, 6)),
        ("nb", "Nummeret mitt er 91234567.", ("+4791234567", 3, 3)),
        ("nb", "Ring meg på 912 34 567, takk", ("+4791234567", 3, 5)),
        ("nb", "det er ni en to tre fire fem seks sju", ("+4791234567", 2, 9)),
        ("nb", "det er nittien tjuetre førtifem sekstisju", ("+4791234567", 2, 5)),
        ("nb", "det er en og nitti, tre og tjue, fem og førti, sju og seksti",
         ("+4791234567", 2, 13)),
        ("nb", "ni hundre og tolv, trettifire, fem hundre og sekstisju", ("+4791234567", 0, 8)),
        ("nb", "det er 91 tjuetre 45 sekstisju", ("+4791234567", 2, 5)),
        ("nb", "det er ni-en-to-tre-fire-fem-seks-sju", ("+4791234567", 2, 2)),
        ("nb", "det er +47 912 34 567", ("+4791234567", 2, 5)),
        ("nb", "det er pluss førtisju 91 23 45 67", ("+4791234567", 2, 7)),
        ("nb", "det er 0047 91234567", ("+4791234567", 2, 3)),
        ("nb", "det er ni en, eh, to tre fire fem seks sju", ("+4791234567", 2, 10)),
        ("nn", "nummeret er ni ein to tre fire fem seks sju", ("+4791234567", 2, 9)),
        ("da", "mit nummer er toogtyve, femogtredive, fyrre, halvfems", ("+4522354090", 3, 6)),
        ("da", "det er to-og-tyve fem-og-tredive fyrre halvfems", ("+4522354090", 2, 5)),
        ("da", "det er seksoghalvtreds niogtres syvoghalvfjerds otteogfirs", ("+4556697788", 2, 5)),
        ("sv", "mitt nummer är noll sju noll, ett två tre, fyrtiofem sextiosju",
         ("+46701234567", 3, 10)),
        ("sv", "mitt nummer är 070-123 45 67", ("+46701234567", 3, 5)),
        ("sv", "ring noll åtta, tolv trettiofyra femtiosex", ("+468123456", 1, 5)),
        ("en", "call me on oh seven four double oh, one two three four five six",
         ("+447400123456", 3, 13)),
        ("en", "my number is 07400 123456.", ("+447400123456", 3, 4)),
        ("en", "my number is plus four four seven four hundred, one two three four five six",
         ("+447400123456", 3, 14)),
        ("en", "Oh, 07400 123456", ("+447400123456", 0, 2)),  # "Oh" may be a zero: muted too
    ],
)  # fmt: skip
def test_phone_numbers(language: str, text: str, expected: tuple[str, int, int]) -> None:
    assert found(text, language) == [("phone", *expected)]


def test_phone_region_follows_default_region() -> None:
    # Not a British number, but next to a cue: redacted, not read as E.164.
    assert found("my number is 91234567", "en") == [("phone", "91234567", 3, 3)]
    assert found("my number is 91234567", "en", default_region="NO") == [
        ("phone", "+4791234567", 3, 3)
    ]
    assert found("call 202 555 0143", "en", default_region="US") == [
        ("phone", "+12025550143", 1, 3)
    ]


def test_number_words_next_to_digits_are_redacted_with_them() -> None:
    # "en" is "a" or "one": read as a digit, the span grows but still covers the phone.
    [(kind, _, first, last)] = found("Ja, en 91234567 en gang til", "nb")
    assert kind == "phone" and first <= 2 <= last


def test_swedish_and_british_numbers_need_their_trunk_zero() -> None:
    # phonenumbers accepts "701234567" as Swedish; said without its "0" it is not read as a
    # Swedish phone, but nine digits are redacted as a PII-length number.
    assert found("det är 701234567", "sv") == [("phone", "701234567", 2, 2)]
    assert found("det är 46701234567", "sv") == [("phone", "+46701234567", 2, 2)]


def test_two_phones_in_one_run_are_redacted() -> None:
    # Read as one number dictated in pieces: every digit word is redacted.
    for text in ("ring 91234567, 98765432 takk", "ring 91234567 98765432 takk"):
        assert [(k, first, last) for k, _, first, last in found(text, "nb")] == [("phone", 1, 2)]


# --------------------------------------------------------------------------------------------
# Cards and national IDs
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "my card is 4111 1111 1111 1111 thanks", ("card", "4111111111111111", 3, 6)),
        ("en", "it's 4111-1111-1111-1111.", ("card", "4111111111111111", 1, 1)),
        ("en", "amex 3782 822463 10005", ("card", "378282246310005", 1, 3)),
        ("en", "four one one one, one one one one, one one one one, one one one one",
         ("card", "4111111111111111", 0, 15)),
        ("nb", "kortet er fire en en en, 1111 1111 en en en en",
         ("card", "4111111111111111", 2, 11)),
        ("nb", "fødselsnummeret er 151086 95088", ("no_fnr", "15108695088", 2, 3)),
        ("nb", "det er 15108695088.", ("no_fnr", "15108695088", 2, 2)),
        ("nb", "det er femten ti åttiseks ni hundre og femti åttiåtte",
         ("no_fnr", "15108695088", 2, 9)),
        ("en", "my national id is 15108695088", ("no_fnr", "15108695088", 4, 4)),
        ("da", "mit CPR-nummer er 211062-5629", ("dk_cpr", "2110625629", 3, 3)),
        ("da", "det er 211062-5629", ("dk_cpr", "2110625629", 2, 2)),
        ("da", "mit cpr nummer er enogtyve ti toogtres seksoghalvtreds niogtyve",
         ("dk_cpr", "2110625629", 4, 8)),
        ("da", "det er 2110625629", ("dk_cpr", "2110625629", 2, 2)),  # old mod-11 checksum holds
        ("sv", "personnumret är 880320-0016", ("se_pnr", "8803200016", 2, 2)),
        ("sv", "personnumret är 19880320-0016", ("se_pnr", "198803200016", 2, 2)),
        ("sv", "mitt personnummer är åttioåtta noll tre tjugo, noll noll sexton",
         ("se_pnr", "8803200016", 3, 9)),
        ("sv", "det är 880320 0016", ("se_pnr", "8803200016", 2, 3)),
    ],
)  # fmt: skip
def test_cards_and_national_ids(language: str, text: str, expected: tuple[str, ...]) -> None:
    assert found(text, language) == [expected]


def test_cpr_without_checksum_needs_a_cue_or_its_written_shape() -> None:
    assert cpr.is_valid("2110625628") and cpr.checksum("2110625628") != 0
    assert found("det er 2110625628", "da") == [("dk_cpr", "2110625628", 2, 2)]  # PII length
    assert found("dit cpr-nummer er 2110625628", "da") == [("dk_cpr", "2110625628", 3, 3)]
    assert found("det er 211062-5628", "da") == [("dk_cpr", "2110625628", 2, 2)]


def test_cue_word_picks_between_kinds() -> None:
    # Ten digits that pass both the personnummer and the CPR rules.
    digits = "0806024436"
    assert personnummer.is_valid(digits) and cpr.is_valid(digits)
    assert found(f"my CPR number is {digits}", "en")[0][0] == "dk_cpr"
    assert found(f"mitt personnummer är {digits}", "sv")[0][0] == "se_pnr"


# --------------------------------------------------------------------------------------------
# E-mail addresses
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("nb", "adressen er ola punktum nordmann krøllalfa eksempel punktum no.",
         ("ola.nordmann@eksempel.no", 2, 8)),
        ("nb", "send til ola.nordmann@eksempel.no, takk", ("ola.nordmann@eksempel.no", 2, 2)),
        ("nb", "det er kari alfakrøll firma punktum com", ("kari@firma.com", 2, 6)),
        ("da", "min mail er lars snabel-a firma punktum dk", ("lars@firma.dk", 3, 7)),
        ("sv", "mejla anna punkt svensson snabel-a exempel punkt se",
         ("anna.svensson@exempel.se", 1, 7)),
        ("en", "email me at John dot Smith at gmail dot com", ("john.smith@gmail.com", 3, 9)),
        ("en", "it's john.smith at example dot co dot uk", ("john.smith@example.co.uk", 1, 7)),
        ("en", "it's jane underscore doe at outlook dot com", ("jane_doe@outlook.com", 1, 7)),
    ],
)  # fmt: skip
def test_emails(language: str, text: str, expected: tuple[str, int, int]) -> None:
    assert found(text, language) == [("email", *expected)]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "look at google dot com"),
        ("en", "I'll meet you at the station dot"),
        ("en", "we're at home"),
        ("en", "visit us at example dot com"),
        ("da", "jeg tror at firma punktum dk er lukket"),  # Danish "at" is never "@"
        ("nb", "ola krøllalfa"),
        ("nb", "ola krøllalfa eksempel punktum xyzzy"),
    ],
)
def test_not_emails(language: str, text: str) -> None:
    assert found(text, language) == []


# --------------------------------------------------------------------------------------------
# Not personal data
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "I have two kids"),
        ("en", "I have two kids and twenty-two cats"),
        ("en", "I was born in nineteen eighty-five"),
        ("en", "it's twenty twenty-four now"),
        ("en", "that's three hundred and fifty quid"),
        ("en", "the meeting is on 2024-03-15 at 14:30"),
        ("nb", "Vi har to barn og tre hunder."),
        ("nb", "Jeg er født 21.10.1985 i Oslo."),
        ("nb", "Møtet er klokka 14.30."),
        ("nb", "Det koster 1 299 kroner."),
        ("nb", "Det koster 25 000 000 kroner."),
        ("nb", "Det koster kr 35 000 000."),
        ("nb", "Det koster 499,- i måneden."),
        ("nb", "Det var i 2019, 2020 og 2021."),
        ("nb", "Det var 2019 2020."),
        ("nb", "Ordrenummeret er 48392017."),
        ("nb", "Ordrenummer fire åtte tre ni to null en sju."),
        ("nb", "Hva er ordrenummeret? Det er 48392017."),
        ("nb", "Referansen er 4839 2017 5521."),  # a phone-shaped part of a longer number
        ("da", "Det koster tre hundrede og halvtreds kroner."),
        ("da", "Vi har fireogtyve butikker."),
        ("sv", "Det kostar tvåhundrafemtio kronor."),
        ("en", "the code is 1234 5678 9012 3456"),
    ],
)
def test_no_false_alarms(language: str, text: str) -> None:
    assert found(text, language) == []


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("nb", "Det er 12 34 56 78.", ("phone", "12345678", 2, 5)),  # PII length, no cue
        ("nb", "Fødselsnummeret er 15108695077.", ("no_fnr", "15108695077", 2, 2)),
        ("sv", "personnumret är 880320-0018", ("se_pnr", "8803200018", 2, 2)),
        ("en", "my card is 4111 1111 1111 1112", ("card", "4111111111111112", 3, 6)),
    ],
)  # fmt: skip
def test_invalid_numbers_are_redacted(language: str, text: str, expected: tuple) -> None:
    # ASR drops and mishears digits: a failing checksum does not clear a cued or PII-length
    # number.
    assert found(text, language) == [expected]


def test_cue_does_not_reach_into_the_previous_statement() -> None:
    assert found("Ordrenummeret er 1234. Nummeret mitt er 91234567.", "nb") == [
        ("phone", "+4791234567", 6, 6)
    ]


# --------------------------------------------------------------------------------------------
# Spans and redaction
# --------------------------------------------------------------------------------------------


def test_span_fields() -> None:
    transcript = words("Nummeret mitt er 91 23 45 67. Mailen er kari krøllalfa firma punktum no")
    spans = find_pii(transcript, "nb")
    assert spans == [
        PiiSpan("phone", 3, 6, transcript[3].start, transcript[6].end,
                "91 23 45 67.", "+4791234567", "checksum", 1),
        PiiSpan("email", 9, 13, transcript[9].start, transcript[13].end,
                "kari krøllalfa firma punktum no", "kari@firma.no", "email"),
    ]  # fmt: skip


def test_redact_text() -> None:
    transcript = words("Nummeret mitt er 91 23 45 67. Kortet er 4111 1111 1111 1111, takk.")
    spans = find_pii(transcript, "nb")
    assert redact_text(transcript, spans) == "Nummeret mitt er [phone]. Kortet er [card], takk."
    assert redact_text(transcript, spans, mask="<{kind}>") == (
        "Nummeret mitt er <phone>. Kortet er <card>, takk."
    )
    assert redact_text(transcript, []) == " ".join(w.word for w in transcript)


# --------------------------------------------------------------------------------------------
# Property tests: valid numbers, said any way, inside ordinary sentences
# --------------------------------------------------------------------------------------------

# The test's own number words, written apart from the module's tables.
SAY = {
    "nb": ("null en to tre fire fem seks sju åtte ni",
           "ti elleve tolv tretten fjorten femten seksten sytten atten nitten",
           "tjue tretti førti femti seksti sytti åtti nitti", "hundre", "og"),
    "nn": ("null ein to tre fire fem seks sju åtte ni",
           "ti elleve tolv tretten fjorten femten seksten sytten atten nitten",
           "tjue tretti førti femti seksti sytti åtti nitti", "hundre", "og"),
    "da": ("nul en to tre fire fem seks syv otte ni",
           "ti elleve tolv tretten fjorten femten seksten sytten atten nitten",
           "tyve tredive fyrre halvtreds tres halvfjerds firs halvfems", "hundrede", "og"),
    "sv": ("noll ett två tre fyra fem sex sju åtta nio",
           "tio elva tolv tretton fjorton femton sexton sjutton arton nitton",
           "tjugo trettio fyrtio femtio sextio sjuttio åttio nittio", "hundra", ""),
    "en": ("zero one two three four five six seven eight nine",
           "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen",
           "twenty thirty forty fifty sixty seventy eighty ninety", "hundred", "and"),
}  # fmt: skip


def units(language: str) -> list[str]:
    return SAY[language][0].split()


def say_below_100(n: int, language: str, style: int) -> list[str]:
    """10..99 in words; ``style`` picks among the ways of writing it."""
    digits, teens, tens = (SAY[language][i].split() for i in range(3))
    if n < 10:
        return [digits[n]]
    if n < 20:
        return [teens[n - 10]]
    ten, unit = tens[n // 10 - 2], n % 10
    if unit == 0:
        return [ten]
    u = digits[unit]
    ways = {
        "nb": [[ten + u], [ten, u], [u, "og", ten], [u + "og" + ten]],
        "nn": [[ten + u], [ten, u], [u, "og", ten]],
        "da": [[u + "og" + ten], [f"{u}-og-{ten}"], [u, "og", ten]],
        "sv": [[ten + u], [ten, u]],
        "en": [[f"{ten}-{u}"], [ten, u]],
    }[language]
    return ways[style % len(ways)]


def say_below_1000(n: int, language: str, style: int) -> list[str]:
    if n < 100:
        return say_below_100(n, language, style)
    hundred, joiner = SAY[language][3], SAY[language][4]
    head = [hundred] if n // 100 == 1 and style % 2 else [units(language)[n // 100], hundred]
    rest = n % 100
    if rest == 0:
        return head
    return head + ([joiner] if joiner else []) + say_below_100(rest, language, style)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(LANGUAGES), st.integers(min_value=0, max_value=999), st.integers(0, 7))
def test_property_number_words_read_back(language: str, n: int, style: int) -> None:
    tokens = say_below_1000(n, language, style)
    assert number_runs(tokens, language) == [NumberRun(str(n), 0, len(tokens) - 1)]


def say_digits(digits: str, language: str, style: int) -> list[str]:
    """A digit string as Whisper might write it when someone reads it out."""
    if style == 0:
        return [digits]
    if style == 1:  # groups of two (a leading odd digit alone)
        head = [digits[0]] if len(digits) % 2 else []
        return head + [digits[i : i + 2] for i in range(len(digits) % 2, len(digits), 2)]
    if style == 2:  # digit by digit
        return [units(language)[int(d)] for d in digits]
    # pairs as number words, a comma after each ("nittien, tjuetre, ...")
    out: list[str] = []
    if len(digits) % 2:
        out.append(units(language)[int(digits[0])] + ",")
    for i in range(len(digits) % 2, len(digits), 2):
        pair = digits[i : i + 2]
        said = (
            [units(language)[0], units(language)[int(pair[1])]]
            if pair[0] == "0"
            else say_below_100(int(pair), language, style)
        )
        out.extend([*said[:-1], said[-1] + ","])
    out[-1] = out[-1].rstrip(",")
    return out


BEFORE = {
    "nb": ["Ja, det er", "Kan du notere", "Greit. Det blir"],
    "nn": ["Ja, det er", "Skriv ned"],
    "da": ["Ja, det er", "Kan du skrive"],
    "sv": ["Ja, det är", "Kan du skriva"],
    "en": ["Yes, it's", "Can you write down"],
}
AFTER = {
    "nb": ["", "takk.", "så ringer jeg tilbake."],
    "nn": ["", "takk."],
    "da": ["", "tak."],
    "sv": ["", "tack."],
    "en": ["", "thanks.", "if that helps."],
}
CUE = {"dk_cpr": {"da": "Mit CPR-nummer er", "en": "My CPR number is"}}


def dates() -> st.SearchStrategy[datetime.date]:
    return st.dates(datetime.date(1940, 1, 1), datetime.date(2004, 12, 31))


@st.composite
def fnr_numbers(draw: st.DrawFn) -> str:
    born = draw(dates())
    serial = draw(st.integers(0, 499) if born.year < 2000 else st.integers(500, 999))
    body = born.strftime("%d%m%y") + f"{serial:03d}"
    body += fodselsnummer.calc_check_digit1(body)
    body += fodselsnummer.calc_check_digit2(body)
    assume(len(body) == 11 and fodselsnummer.is_valid(body))
    return body


@st.composite
def cpr_numbers(draw: st.DrawFn) -> str:
    born = draw(dates())
    century = draw(st.sampled_from("0123")) if born.year < 2000 else "4"
    number = born.strftime("%d%m%y") + century + f"{draw(st.integers(0, 999)):03d}"
    assume(cpr.is_valid(number))
    return number


@st.composite
def pnr_numbers(draw: st.DrawFn) -> str:
    born = draw(dates())
    body = born.strftime("%y%m%d") + f"{draw(st.integers(0, 999)):03d}"
    number = body + luhn.calc_check_digit(body)
    return born.strftime("%Y")[:2] + number if draw(st.booleans()) else number


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    prefix, length = draw(st.sampled_from([("4", 16), ("4", 13), ("52", 16), ("37", 15)]))
    body = prefix + draw(st.text("0123456789", min_size=length - len(prefix) - 1,
                                 max_size=length - len(prefix) - 1))  # fmt: skip
    return body + luhn.calc_check_digit(body)


PHONE_START = {"NO": ("4", "9", "2"), "DK": ("2", "3", "4", "6"), "SE": ("070", "073", "08"),
               "GB": ("074", "077", "020")}  # fmt: skip
REGION = {"nb": "NO", "nn": "NO", "da": "DK", "sv": "SE", "en": "GB"}


@st.composite
def phone_numbers(draw: st.DrawFn, region: str) -> str:
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    length = len(phonenumbers.national_significant_number(example)) + (region in ("SE", "GB"))
    start = draw(st.sampled_from(PHONE_START[region]))
    number = start + draw(st.text("0123456789", min_size=length - len(start),
                                  max_size=length - len(start)))  # fmt: skip
    assume(phonenumbers.is_valid_number(phonenumbers.parse(number, region)))
    # Where the digits also pass an ID checksum the ID wins, by design (see the unit tests).
    assume(not (personnummer.is_valid(number) or fodselsnummer.is_valid(number)))
    return number


def number_for(kind: str, language: str) -> st.SearchStrategy[str]:
    return {
        "phone": phone_numbers(REGION[language]),
        "card": card_numbers(),
        "no_fnr": fnr_numbers(),
        "dk_cpr": cpr_numbers(),
        "se_pnr": pnr_numbers(),
    }[kind]


@st.composite
def planted(draw: st.DrawFn) -> tuple[str, list[str], str, int, int]:
    """(language, sentence words, kind, first word, last word) with one valid number in it."""
    kind = draw(st.sampled_from(["phone", "card", "no_fnr", "dk_cpr", "se_pnr"]))
    home = {"no_fnr": ["nb", "nn", "en"], "dk_cpr": ["da", "en"], "se_pnr": ["sv", "en"]}
    language = draw(st.sampled_from(home.get(kind, list(LANGUAGES))))
    digits = draw(number_for(kind, language))
    said = say_digits(digits, language, draw(st.integers(0, 7)))
    before = CUE.get(kind, {}).get(language) or draw(st.sampled_from(BEFORE[language]))
    after = draw(st.sampled_from(AFTER[language])).split()
    if not after:
        said[-1] += draw(st.sampled_from(["", ".", "?"]))
    sentence = before.split() + said + after
    first = len(before.split())
    return language, sentence, kind, first, first + len(said) - 1


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(planted())
def test_property_planted_numbers_are_found(case: tuple[str, list[str], str, int, int]) -> None:
    language, sentence, kind, first, last = case
    transcript = [Word(t, i * 0.4, i * 0.4 + 0.3, 0.9, 0) for i, t in enumerate(sentence)]
    spans = find_pii(transcript, language)
    assert [(s.kind, s.first_word, s.last_word) for s in spans] == [(kind, first, last)]
    redacted = redact_text(transcript, spans)
    assert f"[{kind}]" in redacted
    assert not any(c.isdigit() for c in redacted)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(LANGUAGES), st.integers(0, 999), st.integers(0, 7))
def test_property_counts_are_not_pii(language: str, n: int, style: int) -> None:
    said = say_below_1000(n, language, style)
    sentence = [*BEFORE[language][0].split(), *said, *AFTER[language][1].split()]
    assert find_pii([Word(t, i, i + 0.5, 0.9, 0) for i, t in enumerate(sentence)], language) == []


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("sv", "mitt personnummer är åttioåtta noll tre tjugo streck noll noll sexton",
         ("se_pnr", "8803200016", 3, 10)),
        ("da", "mit cpr er to et ti seks to bindestreg fem seks to ni",
         ("dk_cpr", "2110625629", 3, 12)),
        ("nb", "ring 91234567, eh, 98765432", ("phone", "9123456798765432", 1, 3)),
    ],
)  # fmt: skip
def test_spoken_dashes_and_hesitations(language: str, text: str, expected: tuple) -> None:
    assert found(text, language)[-1] == expected


def test_abbreviation_does_not_end_the_cue() -> None:
    assert found("ordre nr. 48392017", "nb") == []


def _timed(text: str) -> list[Word]:
    return [Word(token, i * 0.4, i * 0.4 + 0.3, 0.9, 0) for i, token in enumerate(text.split())]


def test_a_leading_dash_between_digit_groups_is_a_pause():
    # How Whisper writes "0 7 8 1 3, 5 6 7 0 8 5" read out with a pause.
    spans = find_pii(_timed("Shall I text the offer to 07813 -567085?"), "en")
    assert [(s.kind, s.normalized) for s in spans] == [("phone", "+447813567085")]
    assert find_pii(_timed("It is -5 degrees and 12 -3 today"), "en") == []


def test_an_order_cue_vetoes_its_own_number_but_not_a_number_it_is_on():
    # An account number is personal data: redacted whether or not the number is on it.
    assert [s.kind for s in find_pii(_timed("Is the account on 07709854754?"), "en")] == ["account"]
    spans = find_pii(_timed("Your account number 07709854754 is fine."), "en")
    assert (spans[0].kind, spans[0].first_word) == ("account", 3)
    assert [s.kind for s in find_pii(_timed("Send fakturaen til 912 34 567."), "nb")] == ["phone"]
    assert find_pii(_timed("Fakturanummeret er 91234567."), "nb") == []
