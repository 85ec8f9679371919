"""Rule 7: garbled or looping transcripts near numbers are redacted as ``uncertain``.

The word lists are Whisper base's own transcripts of espeak dictation (the spoken benchmark's
seed 1), with the probabilities Whisper gave; the ordinary sentences are confident speech.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from assets.transcripts.engines import Transcript, Word
from assets.transcripts.muting import mute_intervals
from assets.transcripts.pii import KINDS, find_pii, redact_text
from assets.transcripts.pii.soundalike import fold, sounds_like_number
from assets.transcripts.pii.uncertain import (
    garbled_numbers,
    sounds_like_address_word,
    uncertain_stretches,
)
from assets.transcripts.post_processing import pii_spans_of
from assets.transcripts.redaction import TrackInfo, words_frame


def heard(pairs: str, segment_of=lambda i: 0) -> list[Word]:
    """'word/probability word/probability ...' -> transcript words, 0.4 s apart."""
    out = []
    for i, pair in enumerate(pairs.split()):
        word, _, prob = pair.rpartition("/")
        out.append(Word(word, i * 0.4, i * 0.4 + 0.3, float(prob), segment_of(i)))
    return out


def uncertain(words: list[Word], language: str) -> list[tuple[int, int]]:
    return [(s.first_word, s.last_word) for s in find_pii(words, language) if s.kind == "uncertain"]


def test_uncertain_is_a_kind_of_its_own() -> None:
    assert "uncertain" in KINDS


@pytest.mark.parametrize(
    ("word", "number"),
    [("fyrer", "fire"), ("nøl", "null"), ("otter", "åtte"), ("shoe", "sju"), ("saks", "seks")],
)
def test_misheard_number_words_fold_onto_the_number(word: str, number: str) -> None:
    assert sounds_like_number(word, "nb")
    assert fold(word)[0] == fold(number)[0]


@pytest.mark.parametrize("word", ["firma", "takk", "Kundeservice", "mobilnummer", "jeg", "meg"])
def test_ordinary_words_are_not_numbers(word: str) -> None:
    assert not sounds_like_number(word, "nb") or word in ("firma", "takk")


def test_a_garbled_dictation_is_redacted_and_says_why() -> None:
    words = heard(
        "Mogen/0.36 umeret/0.48 med/0.29 tal,/0.46 fyrer/0.93 sex/1.00 to,/0.93 tre/0.94 "
        "difem,/0.34 tre/0.96 to/0.93 nøy./0.98"
    )
    spans = find_pii(words, "nb")
    text = redact_text(words, spans)
    assert "[uncertain]" in text
    for said in ("fyrer", "sex", "difem", "nøy"):
        assert said not in text


def test_a_loop_is_redacted_whole() -> None:
    words = heard(" ".join(["nålfier,/0.95"] * 12))
    assert uncertain(words, "da") == [(0, 11)]


def test_digits_said_over_and_over_are_a_number_not_a_loop() -> None:
    words = heard("Ja,/0.9 det/0.9 er/0.9 " + " ".join(["null/0.9"] * 8))
    assert uncertain(words, "nb") == []


@pytest.mark.parametrize("word", ["prinktym,", "kralralfa", "snabbelæg,", "Fugetadpunkt,"])
def test_misheard_address_separators(word: str) -> None:
    assert sounds_like_address_word(word)


def test_a_garbled_address_is_redacted() -> None:
    words = heard(
        "Epposten/0.48 bynner,/0.53 loks/0.17 kralralfa/0.29 eksempel/0.77 bynktym/0.53 no./0.31"
    )
    assert uncertain(words, "nb") == [(0, 6)]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        # Confident speech with a few numbers stays readable.
        ("nb", "Vi/0.95 har/0.97 førtifem/0.92 åpne/0.96 saker/0.97 og/0.9 tre/0.93 nye./0.95"),
        ("da", "Mødet/0.9 er/0.99 klokken/0.99 to/0.9 og/0.95 fem/0.99 over/0.9 ni./0.9"),
        ("sv", "Jag/0.9 beställde/0.9 tre/0.9 lådor/0.9 och/0.9 två/0.9 kablar./0.9"),
        # An amount, even when unsure.
        ("nb", "Det/0.5 koster/0.4 to/0.5 tusen/0.4 seks/0.5 hundre/0.4 tre/0.5 kroner./0.6"),
        # English is left to the number rules.
        ("en", "fire/0.3 sex/0.3 tree/0.3 for/0.3 fife/0.3"),
    ],
)
def test_no_uncertain_redaction_of_confident_or_plain_speech(language: str, text: str) -> None:
    assert uncertain(heard(text), language) == []


def test_what_other_rules_found_is_not_redacted_twice() -> None:
    words = heard("Nummeret/0.9 mitt/0.9 er/0.9 91/0.9 23/0.9 45/0.9 67./0.9")
    assert [s.kind for s in find_pii(words, "nb")] == ["phone"]


def test_a_repeated_sentence_is_no_loop() -> None:
    words = heard(" ".join(["We/0.9", "open/0.9", "at/0.9", "nine/0.9", "and/0.9", "close/0.9",
                            "at/0.9", "five./0.9"] * 2))  # fmt: skip
    assert uncertain(words, "en") == []


def test_uncertain_words_are_masked_and_muted_like_any_personal_data() -> None:
    words = heard(
        "Ja,/0.9 det/0.9 er/0.9 fyrer/0.54 sex/0.36 ni/0.34 sex./0.75 Fyrer/0.93 enni/0.21 "
        "ni,/0.45 takk./0.95"
    )
    spans = find_pii(words, "nb")
    transcript = Transcript(language="nb", duration_s=10.0, words=words)
    track = TrackInfo("c1", date(2026, 1, 2), "agent", "contract", ["quality"])
    frame = words_frame(transcript, spans, track, redacted=True)
    masked = frame.filter(pl.col("pii_kind").is_not_null())
    assert "[uncertain]" in set(masked["word"])
    assert not {"fyrer", "sex", "enni", "ni,"} & set(frame["word"])
    intervals = mute_intervals(pii_spans_of(frame), 0.2, 10.0)
    for row in masked.iter_rows(named=True):
        assert any(m.start_s <= row["start_s"] and row["end_s"] <= m.end_s for m in intervals)
    assert any("uncertain" in m.pii_kind for m in intervals)


@pytest.mark.parametrize(
    ("word", "language"),
    [("helfjærs", "da"), ("hælfjejers", "da"), ("målfærds", "da"), ("Uiseks", "nb"),
     ("Förtioet", "sv")],
)  # fmt: skip
def test_tens_as_they_are_said_sound_like_numbers(word: str, language: str) -> None:
    """Danish "halvfjerds" is said "halfjers"; Whisper also loses or adds a first consonant."""
    assert sounds_like_number(word, language)


@pytest.mark.parametrize(
    ("word", "language"),
    [("hjælper", "da"), ("kaffe", "da"), ("halvdelen", "da"), ("morgen", "nb"), ("kollega", "sv")],
)  # fmt: skip
def test_ordinary_nordic_words_are_not_tens(word: str, language: str) -> None:
    assert not sounds_like_number(word, language)


def test_confident_sound_alikes_after_a_cue_are_redacted_with_their_joiners() -> None:
    words = heard(
        "Cpn/0.27 nomer/0.73 er/0.92 der/0.19 en,/0.10 nolds,/0.41 u,/0.13 træ/0.78 og/0.13 "
        "færds,/0.62 træ/0.99 og/0.25 træ/0.97 og/0.58 træ/0.89 og/0.55 træ,/0.95 og/0.80 "
        "det/0.83 er/0.64"
    )
    covered = {k for a, b in uncertain(words, "da") for k in range(a, b + 1)}
    assert set(range(4, 17)) <= covered  # "en," .. the last "og"
    assert 0 not in covered and 18 not in covered


def test_a_dense_run_of_sound_alikes_needs_no_cue() -> None:
    words = heard("Ja,/0.33 fjr,/0.72 fjr,/0.98 2,/0.29 træ/0.93 2,/0.34 en/0.32 træn/0.62 "
                  "mån./0.14 Du/0.97 kan/0.99")  # fmt: skip
    covered = {k for a, b in uncertain(words, "da") for k in range(a, b + 1)}
    assert set(range(1, 8)) <= covered
    assert not covered & {9, 10}


def test_a_short_unsure_sentence_next_to_a_number_joins_it() -> None:
    words = heard(
        "Kontonumret./0.90 Öfm/0.23 nu/0.10 och/0.16 ta./0.49 Ö0,/0.62 ö30/0.33 "
        "och/0.40 ö./0.83 Nån/0.42 nu./0.97 Mitt/0.64 namn/0.99 är/0.98 Lars./0.97"
    )

    covered = {k for a, b in uncertain(words, "sv") for k in range(a, b + 1)}
    assert set(range(1, 11)) <= covered
    assert not covered & {0, 12, 13, 14}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Vi/0.97 har/0.98 to/0.96 børn/0.95 og/0.97 tre/0.95 katte,/0.93 og/0.96 det/0.98 "
         "er/0.99 helt/0.94 fint./0.97", "da"),
        ("Det/0.95 er/0.97 sikkert/0.93 fortsatt/0.92 ferdig/0.94 i/0.96 morgen./0.97", "nb"),
        ("Min/0.96 kollega/0.93 ringer/0.95 tillbaka/0.94 i/0.97 morgon./0.96", "sv"),
    ],
)  # fmt: skip
def test_confident_ordinary_speech_stays_readable(text: str, language: str) -> None:
    assert uncertain(heard(text), language) == []


def test_segments_repeated_word_for_word_are_a_loop() -> None:
    said = "vis/0.92 noe/0.96 er/0.93 shave./0.99 Viseks,/0.96 "
    words = heard("Kortet/0.9 slutter/0.9 på/0.9 " + said * 4 + "Takk/0.95 for/0.97 det./0.98",
                  segment_of=lambda i: 0 if i < 3 else 1 + (i - 3) // 5)  # fmt: skip
    covered = {k for a, b in uncertain(words, "nb") for k in range(a, b + 1)}
    assert set(range(3, 23)) <= covered
    assert not covered & {0, 1, 2, 23, 24, 25}


def test_two_alike_segments_are_not_a_loop() -> None:
    words = heard("Ja/0.9 takk./0.9 Ja/0.9 takk./0.9", segment_of=lambda i: i // 2)
    assert uncertain(words, "nb") == []


def test_a_confident_sound_alike_of_snabel_a_is_redacted() -> None:
    words = heard("Min/0.9 mail/0.9 er/0.9 kæg,/0.38 pike,/0.72 emæg,/0.52 snabbelæg,/0.99 "
                  "fjern,/0.67 pike,/0.79 kam./0.98 Tak./0.98")  # fmt: skip
    covered = {k for a, b in uncertain(words, "da") for k in range(a, b + 1)}
    assert {3, 4, 5, 6, 7, 8, 9} <= covered


@pytest.mark.parametrize("word", ["utgangspunkt", "punktet", "stabel"])
def test_confident_ordinary_words_holding_a_separator_stay(word: str) -> None:
    words = heard(f"Det/0.95 er/0.97 et/0.96 godt/0.95 {word}/0.97 for/0.95 oss./0.96")
    assert uncertain(words, "nb") == []


def test_word_pieces_do_not_end_a_dictation() -> None:
    words = heard(
        "Fødselsnummeret/0.9 er/0.9 Nyl/0.94 tre./0.82 Nyl/0.99 tre./0.98 5./0.03 Fyre/0.30 "
        "2./0.45 N./0.61 N./0.23 S./0.23 Fyre/0.95 4./0.04 Takk./0.97"
    )
    covered = {k for s in find_pii(words, "nb") for k in range(s.first_word, s.last_word + 1)}
    assert set(range(2, 14)) <= covered
    assert 14 not in covered


def test_a_plus_before_a_misheard_number_is_a_country_code() -> None:
    words = heard(
        "Ja,/0.28 det/0.47 er/0.94 plusfemmer/0.37 for/0.22 at/0.37 være/0.08 til/0.33 "
        "den/0.32 fjørre/0.26 du/0.10 fjørrer/0.50 den./0.50 Ja,/0.96 tak./0.97"
    )
    covered = {k for a, b in uncertain(words, "da") for k in range(a, b + 1)}
    assert set(range(3, 13)) <= covered
    assert not covered & {0, 1, 2, 13, 14}


@pytest.mark.parametrize(
    "text",
    ["Prisen/0.95 er/0.97 pluss/0.94 fem/0.95 prosent./0.96",
     "Det/0.95 koster/0.97 hundre/0.95 kroner/0.96 pluss/0.94 frakt./0.96"],
)  # fmt: skip
def test_a_plus_in_an_amount_stays(text: str) -> None:
    assert uncertain(heard(text), "nb") == []


def test_the_small_words_left_around_a_number_are_not_redacted_alone() -> None:
    words = heard("Du/0.06 kan/0.96 ringa/0.90 på/0.14 nyl/0.31 tre/0.31 fyre/0.35 fem./0.34 "
                  "Tack/0.97 så/0.98 mycket./0.99")  # fmt: skip
    assert garbled_numbers(words, "sv", set())[0][0] == 3  # the stretch takes "på"
    assert uncertain_stretches(words, {4, 5, 6}, "sv") == [(7, 7)]  # but not "på" alone
    assert uncertain_stretches(words, {5, 6}, "sv") == [(3, 4), (7, 7)]


def test_holes_between_two_garbled_stretches_are_closed() -> None:
    words = heard("Tal/0.93 N./0.05 L./0.11 2./0.50 N./0.99 R./0.49 Talat/0.85 N./0.05 S./0.63 "
                  "Fyre/0.94 N./0.01 L./0.61 2./0.61 N./0.99 R./0.27 Talat/0.72")  # fmt: skip
    covered = {k for a, b in uncertain_stretches(words, set(), "nb") for k in range(a, b + 1)}
    assert set(range(1, 15)) <= covered  # "S. Fyre" between two runs of pieces
